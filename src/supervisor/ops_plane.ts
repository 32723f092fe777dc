/**
 * The operations plane of a running edge (`http-stats`): stats, metrics and health from
 * this process's engine, or, with `http-processes`, summed from the snapshots the router
 * processes write to the runtime directory every second.
 */
import type { StaticPool } from "../balancer/static_pool.ts";
import type { Config, NodeConfig } from "../config/load.ts";
import { type CounterSnapshot, sumSnapshots } from "../http/counters.ts";
import type { Engine } from "../http/engine.ts";
import type { Logger } from "../log.ts";
import type { Runtime } from "../runtime/types.ts";
import type { Registry } from "../subscription/registry.ts";
import { statsDocument } from "../subscription/stats.ts";
import { VERSION } from "../version.ts";

/** How often router processes write their counters. */
export const SNAPSHOT_MS = 1000;
const SNAPSHOT_FILE = /^counters-\d+\.json$/;

/** The file a router process writes its counters to. */
export function snapshotFile(dir: string, index: string): string {
  return `${dir}/counters-${index}.json`;
}

/** What the plane reads. */
export interface OpsState {
  config: Config;
  runtime: Runtime;
  logger: Logger;
  pool: StaticPool<NodeConfig>;
  registry: Registry | undefined;
  /** This process's engine (none when router processes serve). */
  engine: () => Engine | undefined;
  /** The runtime directory (router processes' snapshots). */
  dir: string;
}

/** Starts the plane on `config.stats`. */
export async function startOpsPlane(state: OpsState): Promise<{ close(): void }> {
  const { config, runtime, pool, registry } = state;
  const sockets = [
    ...config.listeners.map((l) => l.spec),
    ...(config.subscriptionServerSpec ? [config.subscriptionServerSpec] : []),
  ];
  const snapshot = (): CounterSnapshot => {
    const engine = state.engine();
    if (engine) return engine.snapshot("main");
    const parts: CounterSnapshot[] = [];
    for (const name of runtime.listDir(state.dir)) {
      if (!SNAPSHOT_FILE.test(name)) continue;
      try {
        parts.push(JSON.parse(runtime.readTextFile(`${state.dir}/${name}`)));
      } catch {
        // being rewritten: the next scrape has it
      }
    }
    const total = sumSnapshots(parts);
    total.rss.master = runtime.rss();
    return total;
  };
  const ready = () =>
    state.engine()?.ready() ??
      (pool.usable || config.fallbacks.length > 0 ||
        [...(registry?.pools.values() ?? [])].some((p) => p.nodes.some((n) => !n.deathMark)));
  const stats = () =>
    statsDocument({
      version: `${VERSION}-uwsgi-edge`,
      pid: runtime.pid(),
      cwd: runtime.cwd(),
      sockets,
      pool,
      registry,
      activeSessions: snapshot().inFlight,
      now: runtime.now,
    });
  // loaded only when http-stats is set: a proxy without an ops plane does not carry Hono
  const { opsApp } = await import("../ops/app.ts");
  const { startOps } = await import("../ops/server.ts");
  const app = opsApp({
    stats,
    ready,
    metrics: () => {
      registry?.sweep();
      return {
        counters: snapshot(),
        nodes: [
          ...pool.nodes.map((n) => ({ name: n.name, up: pool.up(n) })),
          ...config.fallbacks.map((n) => ({ name: n.spec, up: true })),
        ],
        subscriptions: [...(registry?.pools.values() ?? [])].map((p) => ({
          key: p.key,
          nodes: p.nodes.filter((n) => !n.deathMark).length,
        })),
        ready: ready(),
      };
    },
  });
  return await startOps(config.stats!, runtime, state.logger, app, stats);
}
