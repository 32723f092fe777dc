/** Helpers shared by the master and the router processes. */
import type { Loaded, NodeConfig } from "../config/load.ts";
import type { ConnectAddress, Runtime, Signal } from "../runtime/types.ts";
import type { Routers } from "./routers.ts";

/** Environment of router processes: their index, and the file naming the current pool. */
export const ROUTER_CHILD_ENV = "EDGE_ROUTER_INDEX";
export const POOL_FILE_ENV = "EDGE_POOL_FILE";
/** A router process's private unix datagram socket: the master forwards subscriptions there. */
export const SUB_SOCKET_ENV = "EDGE_SUBSCRIPTIONS_SOCKET";

export const EXIT_OK = 0;
export const EXIT_RUNTIME = 1;
export const EXIT_CONFIG = 2;

/** Waits for the first of the given signals. */
export function nextSignal(runtime: Runtime, signals: Array<Exclude<Signal, "SIGKILL">>) {
  return new Promise<Exclude<Signal, "SIGKILL">>((resolve) => {
    const removers = signals.map((signal) =>
      runtime.onSignal(signal, () => {
        for (const remove of removers) remove();
        resolve(signal);
      })
    );
  });
}

/** The node of a unix socket path. */
export function unixNode(path: string): NodeConfig {
  return { spec: path, address: { transport: "unix", path } };
}

/**
 * Requests at once per node: `http-node-max-inflight`, else in embedded mode twice the
 * workers' concurrency (processes x threads: one served, one waiting in uWSGI's queue).
 */
export function nodeLimit(loaded: Loaded): number {
  if (loaded.config.nodeMaxInflight > 0) return loaded.config.nodeMaxInflight;
  if (!loaded.embedded) return 0;
  const last = (names: string[]) => {
    const entry = loaded.appEntries.filter((e) => names.includes(e.key)).at(-1);
    const n = parseInt(entry?.value ?? "", 10);
    return Number.isFinite(n) && n > 0 ? n : 1;
  };
  return 2 * last(["processes", "workers"]) * last(["threads"]);
}

/** Resolves true once `address` has no request in flight, false after `timeoutMs`. */
export async function idle(routers: Routers, address: ConnectAddress, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (routers.engine.dispatcher.inflight(address) > 0) {
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}
