/**
 * Choosing and connecting a backend node for a request: first the subscription pool of
 * the request's key (its Host), then round-robin over the `http-to` nodes, then the
 * `http-fallback` nodes. A node that refuses (or does not accept in time) is marked failed
 * and another is tried, at most 3 retries, only before a backend accepted the request.
 */
import type { StaticPool } from "../balancer/static_pool.ts";
import type { Config, NodeConfig } from "../config/load.ts";
import type { Logger } from "../log.ts";
import type { Conn, ConnectAddress } from "../runtime/types.ts";
import type { SubscriptionNode } from "../subscription/node.ts";
import type { Registry } from "../subscription/registry.ts";
import { withCloseHook } from "./conn_hooks.ts";
import type { IdleSweeper } from "./idle_sweeper.ts";

/** Attempts per request: the first and at most 3 retries. */
export const MAX_ATTEMPTS = 4;

/** A connected backend, or why none could be had. */
export type Connected =
  | {
    ok: true;
    conn: Conn;
    /** The node's name for logs (its address as configured or announced). */
    name: string;
    /** modifier1/modifier2 the node announced (subscriptions), else 0. */
    modifier1: number;
    modifier2: number;
  }
  | { ok: false; status: number; node: string; cause: string };

/** What connecting needs. */
export interface ForwardDeps {
  config: Config;
  pool: StaticPool<NodeConfig>;
  connect: (address: ConnectAddress) => Promise<Conn>;
  logger: Logger;
  sweeper: IdleSweeper;
  /** The subscription table, when a subscription server runs. */
  registry?: Registry | undefined;
}

/** Connects a node for a request with routing `key` from `clientAddress`. */
export type NodeConnector = (key: string, clientAddress: string) => Promise<Connected>;

/** Returns the function that connects the next usable node for a request. */
export function nodeConnector(deps: ForwardDeps): NodeConnector {
  const { config, pool, logger, sweeper, registry } = deps;
  const fallbacks = config.fallbacks;
  const connectTimeoutMs = config.connectTimeout * 1000;

  const connectTo = (address: ConnectAddress): Promise<Conn> =>
    new Promise((resolve, reject) => {
      const watch = sweeper.watch(connectTimeoutMs, () => {
        reject(new Error(`connect timed out after ${config.connectTimeout} s`));
      });
      deps.connect(address).then(
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

  const warn = (name: string, error: unknown, causes: string[]) => {
    const why = error instanceof Error ? error.message : String(error);
    causes.push(`${name}: ${why}`);
    if (!config.quiet) logger.warn(`cannot connect to node ${name}: ${why}`);
  };

  /** A subscription node's connection releases the node when closed. */
  const subscribed = (node: SubscriptionNode, conn: Conn): Conn =>
    withCloseHook(conn, () => registry!.release(node));

  return async (key, clientAddress) => {
    const causes: string[] = [];
    let attempts = 0;
    if (registry) {
      while (attempts < MAX_ATTEMPTS) {
        const node = registry.pick(key, clientAddress);
        if (!node) break;
        attempts++;
        try {
          const conn = await connectTo(node.address);
          return {
            ok: true,
            conn: subscribed(node, conn),
            name: node.name,
            modifier1: node.modifier1,
            modifier2: node.modifier2,
          };
        } catch (error) {
          registry.fail(node);
          registry.release(node);
          warn(node.name, error, causes);
        }
      }
      if (attempts === 0 && pool.nodes.length === 0 && fallbacks.length === 0) {
        return { ok: false, status: 503, node: "-", cause: `no node for the key "${key}"` };
      }
    }
    const tried = new Set<NodeConfig>();
    let last: NodeConfig | undefined;
    while (attempts < MAX_ATTEMPTS) {
      const node = pool.next(tried)?.node ?? fallbacks.find((n) => !tried.has(n));
      if (node === undefined) break;
      tried.add(node);
      last = node;
      attempts++;
      try {
        return {
          ok: true,
          conn: await connectTo(node.address),
          name: node.spec,
          modifier1: 0,
          modifier2: 0,
        };
      } catch (error) {
        pool.markFailed(node);
        warn(node.spec, error, causes);
      }
    }
    return {
      ok: false,
      status: 502,
      node: last?.spec ?? "-",
      cause: attempts === 0
        ? "every node is failed (within http-gracetime) and no fallback is left"
        : `no node could be connected (${causes.join("; ")})`,
    };
  };
}
