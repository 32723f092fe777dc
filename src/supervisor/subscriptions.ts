/** Starting the subscription server and the stats server for a router. */
import { iphash } from "../balancer/iphash.ts";
import { lrc } from "../balancer/lrc.ts";
import type { StaticPool } from "../balancer/static_pool.ts";
import { wlrc } from "../balancer/wlrc.ts";
import { wrr } from "../balancer/wrr.ts";
import { formatAddress } from "../config/address.ts";
import type { Config, NodeConfig } from "../config/load.ts";
import type { Logger } from "../log.ts";
import type { ListenAddress, Runtime } from "../runtime/types.ts";
import { sendAndClose } from "../http/send_and_close.ts";
import { Registry } from "../subscription/registry.ts";
import { SubscriptionServer } from "../subscription/server.ts";
import { statsDocument } from "../subscription/stats.ts";
import { VERSION } from "../version.ts";

const ALGORITHMS = { wrr, lrc, wlrc, iphash };
const SWEEP_MS = 1000;

/** A running subscription server (and its registry). */
export interface Subscriptions {
  registry: Registry;
  server: SubscriptionServer;
  close(): Promise<void>;
}

/** Binds `address` and applies every announcement to a new registry. */
export function startSubscriptions(
  config: Config,
  address: ListenAddress,
  runtime: Runtime,
  logger: Logger,
  forward?: (bytes: Uint8Array) => void,
): Subscriptions {
  const registry = new Registry({
    toleranceMs: config.subscriptionTolerance * 1000,
    algorithm: ALGORITHMS[config.subscriptionAlgo],
    fallbackKey: config.subscriptionFallbackKey,
    dotsplit: config.subscriptionDotsplit,
    now: runtime.now,
    log: (message) => logger.info(`[subscription] ${message}`),
  });
  let socket;
  try {
    socket = runtime.listenDatagram(address);
  } catch (error) {
    throw new Error(
      `cannot bind the subscription server on ${formatAddress(address)}: ${
        (error as Error).message
      }`,
    );
  }
  const server = new SubscriptionServer(socket, registry, logger, runtime.now, forward);
  server.start();
  // silent nodes leave the table (and the logs say so) even when no request comes
  const sweeper = setInterval(() => registry.sweep(), SWEEP_MS);
  return {
    registry,
    server,
    close: async () => {
      clearInterval(sweeper);
      await server.close();
    },
  };
}

/** Serves the stats document: every connection gets it once, then is closed. */
export async function startStats(
  address: ListenAddress,
  runtime: Runtime,
  logger: Logger,
  sources: { config: Config; pool: StaticPool<NodeConfig>; registry: Registry | undefined },
): Promise<{ close(): void }> {
  const sockets = [
    ...sources.config.listeners.map((l) => l.spec),
    ...(sources.config.subscriptionServerSpec ? [sources.config.subscriptionServerSpec] : []),
  ];
  const listener = await runtime.listen(address, {
    stream: (socket) => {
      const text = statsDocument({
        version: `${VERSION}-uwsgi-edge`,
        pid: runtime.pid(),
        cwd: runtime.cwd(),
        sockets,
        pool: sources.pool,
        registry: sources.registry,
        activeSessions: 0,
        now: runtime.now,
      });
      return sendAndClose(socket, new TextEncoder().encode(text));
    },
  });
  logger.info(`stats server on ${formatAddress(address)}`);
  return { close: () => listener.close() };
}
