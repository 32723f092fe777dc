/** Starting the subscription server of a router. */
import { iphash } from "../balancer/iphash.ts";
import { lrc } from "../balancer/lrc.ts";
import { wlrc } from "../balancer/wlrc.ts";
import { wrr } from "../balancer/wrr.ts";
import { formatAddress } from "../config/address.ts";
import type { Config } from "../config/load.ts";
import type { Logger } from "../log.ts";
import type { ListenAddress, Runtime } from "../runtime/types.ts";
import { Registry } from "../subscription/registry.ts";
import { SubscriptionServer } from "../subscription/server.ts";

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
