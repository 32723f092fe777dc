/**
 * The HTTP engine of one router process: its listeners, their connections, the
 * dispatcher and the shared timers. Listeners turn accepted sockets into
 * ClientConnections (HTTP/1.x) or HTTP/2 streams (HTTPS, by ALPN).
 */
import type { StaticPool } from "../balancer/static_pool.ts";
import { formatAddress } from "../config/address.ts";
import type { Config, ListenerConfig, NodeConfig } from "../config/load.ts";
import type { Logger } from "../log.ts";
import type { AcceptHandlers, ListenAddress, Runtime, StreamListener } from "../runtime/types.ts";
import type { Registry } from "../subscription/registry.ts";
import { ClientConnection, idleMs } from "./client_conn.ts";
import { Deadlines } from "./deadlines.ts";
import { Dispatcher } from "./dispatcher.ts";
import type { ExchangeContext } from "./exchange_context.ts";
import { errorResponse } from "./client_head.ts";
import { http2Handler } from "./h2_bridge.ts";
import { sendAndClose } from "./send_and_close.ts";
import { Counters, type CounterSnapshot } from "./counters.ts";
import { HealthChecker } from "./health_check.ts";
import { type ForwardingPolicy, RequestIds } from "./forwarding.ts";
import { encodeHeaders, packetTemplate, type ServerContext } from "./server_context.ts";
import { TrustedProxies } from "./trust.ts";
import { usePool } from "./release.ts";

/** What the engine is built from. */
export interface EngineDeps {
  config: Config;
  runtime: Runtime;
  logger: Logger;
  pool: StaticPool<NodeConfig>;
  registry?: Registry | undefined;
  /** Private directory of the temp files (request bodies, buffered responses). */
  tempDir: string;
  /** Requests at once per node (0 = no limit). */
  nodeLimit: number;
}

/** Accept failures are logged at most this often per listener. */
const FAILURE_LOG_MS = 10_000;
/** File descriptors kept free beyond two per client (temp files, logs, stats, reloads). */
const FD_RESERVE = 32;
const full = () => errorResponse(503, false, "Retry-After: 1\r\n");

/** The engine. */
export class Engine {
  readonly deadlines: Deadlines;
  readonly dispatcher: Dispatcher;
  readonly counters = new Counters();
  readonly #deps: EngineDeps;
  readonly #connections = new Set<{ drainConnection(): void }>();
  readonly #listeners: StreamListener[] = [];
  readonly #contexts: ServerContext[] = [];
  readonly #exchanges: ExchangeContext;
  readonly #forwarding: ForwardingPolicy;
  /**
   * Clients served at once: each may need a backend connection, so two descriptors each
   * within the process's limit. Beyond it a client gets 503 at once: accepting into a
   * full descriptor table would fail in a loop instead (a spinning core, no answer).
   */
  readonly maxClients: number;
  /** Clients refused for lack of descriptors. */
  refused = 0;
  readonly #health: HealthChecker | undefined;

  constructor(deps: EngineDeps) {
    this.#deps = deps;
    const { config, runtime, logger } = deps;
    const fault = (error: Error) => logger.error(`internal error: ${error.stack ?? error}`);
    runtime.onFault(fault);
    usePool(runtime.readPool());
    this.deadlines = new Deadlines(runtime.now, fault);
    this.maxClients = Math.max(
      1,
      Math.floor((runtime.fdLimit() - runtime.openFds() - FD_RESERVE) / 2),
    );
    this.dispatcher = new Dispatcher({
      pool: deps.pool,
      fallbacks: config.fallbacks,
      registry: deps.registry,
      limit: deps.nodeLimit,
      queueSize: config.queueSize,
      warn: config.quiet
        ? undefined
        : (node, why) => logger.warn(`cannot connect to node ${node}: ${why}`),
    });
    const trusted = TrustedProxies.parse(config.trustedProxies);
    this.#forwarding = {
      trusted: typeof trusted === "string" || config.trustedProxies.length === 0 ? null : trusted,
      xForwarded: config.xForwarded,
      tls: false,
      ids: config.requestIds ? new RequestIds(crypto.getRandomValues(new Uint8Array(4))) : null,
    };
    if (config.healthCheck) {
      this.#health = new HealthChecker({
        pool: deps.pool,
        connect: runtime.connect,
        logger,
        hostname: runtime.hostname(),
        path: config.healthCheck.path,
        intervalMs: config.healthCheck.interval * 1000,
      });
      this.#health.start();
    }
    this.#exchanges = {
      dispatcher: this.dispatcher,
      connect: runtime.connect,
      writesCopy: runtime.writesCopy,
      deadlines: this.deadlines,
      timeoutMs: config.timeout * 1000,
      connectTimeoutMs: config.connectTimeout * 1000,
      queueTimeoutMs: config.queueTimeout * 1000,
      tunnelTimeoutMs: config.websocketsTimeout * 1000,
      modifier1: config.modifier1,
      modifier2: config.modifier2,
    };
  }

  /** Open client connections. */
  get connections(): number {
    return this.#connections.size;
  }

  /** Starts serving `listener`; rejects when it cannot be bound. */
  async listen(listener: ListenerConfig, reusePort: boolean): Promise<ListenAddress> {
    const { config, runtime, logger } = this.#deps;
    const hostname = runtime.hostname();
    const ctx: ServerContext = {
      config,
      listener,
      template: packetTemplate(config, listener, hostname),
      exchanges: this.#exchanges,
      deadlines: this.deadlines,
      logger,
      openTempFile: () => runtime.openTempFile(this.#deps.tempDir),
      responseLimits: {
        memory: config.responseBufferSize,
        file: config.maxTempFileSize,
        open: () => runtime.openTempFile(this.#deps.tempDir),
      },
      hostname,
      addHeaders: encodeHeaders(config.addHeaders),
      clock: runtime.now,
      connections: this.#connections,
      draining: false,
      counters: this.counters,
      forwarding: { ...this.#forwarding, tls: listener.tls !== undefined },
      ready: () => this.ready(),
    };
    let lastFailure = 0;
    const failed = (message: string) => {
      const now = runtime.now();
      if (now - lastFailure < FAILURE_LOG_MS) return;
      lastFailure = now;
      logger.error(`listener ${listener.spec}: ${message}`);
    };
    const handlers: AcceptHandlers = {
      stream: (socket, info) => {
        if (this.#connections.size < this.maxClients) {
          return new ClientConnection(socket, ctx, info);
        }
        this.refused++;
        failed(
          `${this.#connections.size} clients use the file descriptors this process may open (ulimit -n ${runtime.fdLimit()}): new ones get 503 (${this.refused} so far); raise the limit`,
        );
        return sendAndClose(socket, full(), true);
      },
      failed: (error) => failed(error.message),
    };
    if (listener.tls) {
      handlers.http2 = http2Handler(ctx);
      handlers.http2IdleMs = idleMs(config.keepalive);
    }
    const bound = await runtime.listen(listener.address, handlers, {
      reusePort,
      ...(listener.tls ? { tls: listener.tls } : {}),
    });
    this.#contexts.push(ctx);
    this.#listeners.push(bound);
    logger.info(
      `${listener.option} listening on ${formatAddress(bound.address)}${
        listener.tls ? " (HTTP/1.1 and HTTP/2)" : ""
      }`,
    );
    return bound.address;
  }

  /** Some node may take requests (for /readyz and http-health-path). */
  ready(): boolean {
    const { pool, registry, config } = this.#deps;
    if (pool.usable || config.fallbacks.length > 0) return true;
    if (!registry) return false;
    for (const key of registry.pools.values()) {
      if (key.nodes.some((node) => !node.deathMark)) return true;
    }
    return false;
  }

  /** The counters and gauges of this process (`name` tells it apart in metrics). */
  snapshot(name: string): CounterSnapshot {
    return this.counters.snapshot({
      connectFailures: this.dispatcher.connectFailures,
      refusedClients: this.refused,
      waiting: this.dispatcher.waiting,
      process: name,
      rss: this.#deps.runtime.rss(),
    });
  }

  /** Stops accepting, closes idle connections, lets in-flight requests finish. */
  async shutdown(): Promise<void> {
    for (const listener of this.#listeners) listener.close();
    for (const ctx of this.#contexts) ctx.draining = true;
    for (const connection of [...this.#connections]) connection.drainConnection();
    while (this.#connections.size > 0) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    this.close();
  }

  /** Stops the timers (after shutdown, or when giving up on in-flight requests). */
  close(): void {
    this.#health?.stop();
    for (const listener of this.#listeners) listener.close();
    this.deadlines.close();
    this.dispatcher.close();
  }
}
