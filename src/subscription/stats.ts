/** The router's stats document (`http-stats`), in uWSGI's shape (spec Appendix B). */
import type { StaticPool } from "../balancer/static_pool.ts";
import type { NodeConfig } from "../config/load.ts";
import type { Registry } from "./registry.ts";

/** What the document reports. */
export interface StatsSources {
  version: string;
  pid: number;
  cwd: string;
  /** Every socket the router owns (listeners, subscription server). */
  sockets: string[];
  pool: StaticPool<NodeConfig> | undefined;
  registry: Registry | undefined;
  activeSessions: number;
  now: () => number;
}

/** The JSON text uWSGI's router writes (tabs, one key per line). */
export function statsDocument(s: StatsSources): string {
  s.registry?.sweep();
  const doc: Record<string, unknown> = {
    version: s.version,
    pid: s.pid,
    uid: 0,
    gid: 0,
    cwd: s.cwd,
    active_sessions: s.activeSessions,
    http: s.sockets,
  };
  if (s.pool && s.pool.nodes.length > 0) {
    doc.static_nodes = s.pool.nodes.map((n) => ({
      name: n.name,
      hits: n.hits,
      grace: Math.floor(n.failedAt / 1000),
    }));
  }
  if (s.registry) {
    doc.subscriptions = [...s.registry.pools.values()].map((pool) => ({
      key: pool.key,
      hash: 0,
      hits: pool.hits,
      sni_enabled: 0,
      nodes: pool.nodes.map((n) => ({
        name: n.name,
        modifier1: n.modifier1,
        modifier2: n.modifier2,
        last_check: Math.floor(n.lastCheck / 1000),
        pid: 0,
        uid: 0,
        gid: 0,
        requests: n.requests,
        last_requests: n.requests,
        tx: 0,
        rx: 0,
        cores: n.cores,
        load: n.load,
        weight: n.weight,
        wrr: n.wrr,
        ref: n.ref,
        failcnt: n.failcnt,
        death_mark: n.deathMark ? 1 : 0,
      })),
    }));
  }
  doc.cheap = 0;
  return JSON.stringify(doc, null, "\t") + "\n";
}
