/** Counts backend connections in use per node, so a replaced pool is stopped only when idle. */
import { withCloseHook } from "../http/conn_hooks.ts";
import type { Conn, ConnectAddress } from "../runtime/types.ts";

/** In-flight backend connections by node (unix path or host:port). */
export class InFlight {
  readonly #counts = new Map<string, number>();

  /** Wraps `connect` so every connection is counted until it is closed. */
  wrap(connect: (address: ConnectAddress) => Promise<Conn>) {
    return async (address: ConnectAddress): Promise<Conn> => {
      const conn = await connect(address);
      const key = keyOf(address);
      this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1);
      return withCloseHook(conn, () => {
        this.#counts.set(key, (this.#counts.get(key) ?? 1) - 1);
      });
    };
  }

  /** Connections to `address` not closed yet. */
  count(address: ConnectAddress): number {
    return this.#counts.get(keyOf(address)) ?? 0;
  }

  /** Resolves true once `address` has no connection, false after `timeoutMs`. */
  async idle(address: ConnectAddress, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.count(address) > 0) {
      if (Date.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return true;
  }
}

function keyOf(address: ConnectAddress): string {
  return address.transport === "unix" ? address.path : `${address.hostname}:${address.port}`;
}
