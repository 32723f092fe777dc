/** The edge's listeners, started in this process with the configured HTTP engine. */
import { formatAddress } from "../config/address.ts";
import { ConfigError } from "../config/errors.ts";
import type { Config, NodeConfig } from "../config/load.ts";
import { H1Server } from "../http/h1_server.ts";
import type { IdleSweeper } from "../http/idle_sweeper.ts";
import { createProxyApp, type ListenerEnv } from "../http/proxy.ts";
import type { StaticPool } from "../balancer/static_pool.ts";
import type { Logger } from "../log.ts";
import type { Conn, ConnectAddress, Runtime } from "../runtime/types.ts";
import type { Registry } from "../subscription/registry.ts";

/** What the listeners share. */
export interface RouterDeps {
  config: Config;
  pool: StaticPool<NodeConfig>;
  connect: (address: ConnectAddress) => Promise<Conn>;
  logger: Logger;
  sweeper: IdleSweeper;
  runtime: Runtime;
  registry?: Registry | undefined;
}

/** Running listeners: `stop()` stops accepting and lets in-flight requests finish. */
export interface Routers {
  stop(): Promise<void>;
}

/** Starts every listener; throws Error naming the listener that cannot be bound. */
export async function startRouters(deps: RouterDeps, reusePort: boolean): Promise<Routers> {
  const { config, runtime, logger } = deps;
  const shared = { ...deps, hostname: runtime.hostname(), now: runtime.now };
  const app = createProxyApp(shared);
  const stoppers: Array<() => Promise<void>> = [];
  const stop = async () => {
    await Promise.all(stoppers.map((s) => s()));
  };
  for (const listener of config.listeners) {
    try {
      if (listener.tls) {
        // HTTPS (and HTTP/2 by ALPN) is served by Deno.serve, through the Hono app
        const server = await runtime.serve(
          listener.address,
          (request, peer) => app.fetch(request, { peer, listener } satisfies ListenerEnv),
          listener.tls,
        ).catch((error) => {
          const why = error instanceof Error ? error.message : String(error);
          throw new ConfigError(
            `Cannot use option "https" (${listener.spec}) as its certificate and key were refused: ${why}`,
          );
        });
        stoppers.push(() => server.shutdown());
        logger.info(`https listening on ${formatAddress(server.address)} (HTTP/1.1 and HTTP/2)`);
      } else if (config.engine === "native" || listener.redirectPort !== undefined) {
        const server = new H1Server(
          runtime.listen(listener.address, { reusePort }),
          listener,
          shared,
        );
        server.start();
        stoppers.push(() => server.shutdown());
        logger.info(`${listener.option} listening on ${formatAddress(listener.address)}`);
      } else {
        const server = await runtime.serve(
          listener.address,
          (request, peer) => app.fetch(request, { peer, listener } satisfies ListenerEnv),
        );
        stoppers.push(() => server.shutdown());
        logger.info(`${listener.option} listening on ${formatAddress(server.address)} (hono)`);
      }
    } catch (error) {
      await stop();
      if (error instanceof ConfigError) throw error;
      const why = error instanceof Error ? error.message : String(error);
      throw new Error(`cannot listen on ${listener.spec} (${listener.option}): ${why}`);
    }
  }
  return { stop };
}
