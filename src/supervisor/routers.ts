/** The edge's listeners, started in this process on one engine. */
import { ConfigError } from "../config/errors.ts";
import { Engine, type EngineDeps } from "../http/engine.ts";

/** Running listeners: `stop()` stops accepting and lets in-flight requests finish. */
export interface Routers {
  engine: Engine;
  stop(): Promise<void>;
}

/** Starts every listener; throws Error naming the listener that cannot be bound. */
export async function startRouters(deps: EngineDeps, reusePort: boolean): Promise<Routers> {
  const engine = new Engine(deps);
  for (const listener of deps.config.listeners) {
    try {
      await engine.listen(listener, reusePort);
    } catch (error) {
      await engine.shutdown();
      const why = reason(error);
      const sni = (error as { sni?: string }).sni;
      if (sni !== undefined) {
        throw new ConfigError(
          `Cannot use option "sni" (${sni}) as its certificate and key were refused: ${why}`,
        );
      }
      if (listener.tls && !/EADDRINUSE|EACCES|address already in use/i.test(why)) {
        throw new ConfigError(
          `Cannot use option "https" (${listener.spec}) as its certificate and key were refused: ${why}`,
        );
      }
      throw new Error(`cannot listen on ${listener.spec} (${listener.option}): ${why}`);
    }
  }
  return { engine, stop: () => engine.shutdown() };
}

/** An error's message with its errno name in front ("EADDRINUSE: ..."), as people search it. */
function reason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  let code = (error as { code?: unknown }).code;
  if (typeof code !== "string" || !/^E[A-Z]+$/.test(code)) {
    code = /address already in use/i.test(message) ? "EADDRINUSE" : undefined;
  }
  return typeof code === "string" && !message.includes(code) ? `${code}: ${message}` : message;
}
