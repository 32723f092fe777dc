/**
 * Choosing and connecting a backend node: round-robin over the `http-to` pool, then the
 * `http-fallback` nodes; a node that refuses (or does not accept in time) is marked
 * failed and the next one is tried, at most 3 retries, only before a backend accepted.
 */
import type { StaticPool } from "../balancer/static_pool.ts";
import type { Config, NodeConfig } from "../config/load.ts";
import type { Logger } from "../log.ts";
import type { Conn, ConnectAddress } from "../runtime/types.ts";
import type { IdleSweeper } from "./idle_sweeper.ts";

/** Attempts per request: the first and at most 3 retries. */
export const MAX_ATTEMPTS = 4;

/** A connected backend, or why none could be had. */
export type Connected =
  | { ok: true; conn: Conn; node: NodeConfig }
  | { ok: false; status: number; node: string; cause: string };

/** What connecting needs. */
export interface ForwardDeps {
  config: Config;
  pool: StaticPool<NodeConfig>;
  connect: (address: ConnectAddress) => Promise<Conn>;
  logger: Logger;
  sweeper: IdleSweeper;
}

/** Returns a function that connects the next usable node for a request. */
export function nodeConnector(deps: ForwardDeps): () => Promise<Connected> {
  const { config, pool, logger, sweeper } = deps;
  const fallbacks = config.fallbacks;
  const connectTimeoutMs = config.connectTimeout * 1000;

  const pickNode = (tried: Set<NodeConfig>): NodeConfig | undefined => {
    const entry = pool.next(tried);
    if (entry) return entry.node;
    return fallbacks.find((node) => !tried.has(node));
  };

  const connectTo = (node: NodeConfig): Promise<Conn> =>
    new Promise((resolve, reject) => {
      const watch = sweeper.watch(connectTimeoutMs, () => {
        reject(new Error(`connect timed out after ${config.connectTimeout} s`));
      });
      deps.connect(node.address).then(
        (conn) => {
          watch.stop();
          // a connection that arrives after the timeout is closed at once
          if (watch.expired) conn.close();
          else resolve(conn);
        },
        (error) => {
          watch.stop();
          reject(error);
        },
      );
    });

  return async () => {
    const tried = new Set<NodeConfig>();
    const causes: string[] = [];
    let last: NodeConfig | undefined;
    while (tried.size < MAX_ATTEMPTS) {
      const node = pickNode(tried);
      if (node === undefined) break;
      tried.add(node);
      last = node;
      try {
        return { ok: true, conn: await connectTo(node), node };
      } catch (error) {
        pool.markFailed(node);
        const why = error instanceof Error ? error.message : String(error);
        causes.push(`${node.spec}: ${why}`);
        if (!config.quiet) logger.warn(`cannot connect to node ${node.spec}: ${why}`);
      }
    }
    return {
      ok: false,
      status: 502,
      node: last?.spec ?? "-",
      cause: tried.size === 0
        ? "every node is failed (within http-gracetime) and no fallback is left"
        : `no node could be connected (${causes.join("; ")})`,
    };
  };
}
