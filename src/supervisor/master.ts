/**
 * The master: starts the application's workers (embedded mode), the listeners (here, or
 * in `http-processes` router processes sharing the ports), then hands over to the signal
 * handlers (master_signals.ts).
 */
import { StaticPool } from "../balancer/static_pool.ts";
import { formatAddress } from "../config/address.ts";
import { ConfigError } from "../config/errors.ts";
import type { Loaded, NodeConfig } from "../config/load.ts";
import type { Logger } from "../log.ts";
import type { Runtime } from "../runtime/types.ts";
import { VERSION } from "../version.ts";
import { EXIT_CONFIG, EXIT_RUNTIME, nodeLimit, unixNode } from "./_common.ts";
import { startWorkers, workerPlugins } from "./embedded.ts";
import { type MasterContext, type Running, stopNow, untilStopped } from "./master_signals.ts";
import { checkUnknown, uwsgiOptions } from "./uwsgi_options.ts";
import { startOpsPlane } from "./ops_plane.ts";
import { RouterChildren } from "./router_children.ts";
import { createRuntimeDir } from "./runtime_dir.ts";
import { startRouters } from "./routers.ts";
import { startSubscriptions } from "./subscriptions.ts";
import type { WorkerPool } from "./worker_pool.ts";

/** Runs the master until a signal stops it; resolves to the exit code. */
export async function runMaster(
  args: readonly string[],
  runtime: Runtime,
  logger: Logger,
  loaded: Loaded,
  readConfig: (args: readonly string[]) => Loaded,
): Promise<number> {
  const config = loaded.config;
  let fatal: (message: string) => void = () => {};
  const fatalSignal = new Promise<string>((resolve) => (fatal = resolve));
  const onFatal = (message: string) => fatal(message);
  /** The workers' app stopped (or started again) loading: their node is down (or up). */
  const health: { on?: (ok: boolean, why: string) => void } = {};
  logger.info(`uwsgi-edge ${VERSION} (${runtime.name}) pid ${runtime.pid()}`);

  let embedded: Embedded | undefined;
  if (loaded.embedded) {
    const started = await startEmbedded(runtime, logger, loaded, onFatal, health);
    if (typeof started === "number") return started;
    embedded = started;
  }
  const nodes = embedded ? [unixNode(embedded.workers.socketPath)] : config.nodes;
  for (const node of nodes) logger.info(`node ${formatAddress(node.address)}`);
  for (const node of config.fallbacks) {
    logger.info(`node ${formatAddress(node.address)} (http-fallback)`);
  }
  const pool = new StaticPool(
    nodes.map((n) => ({ node: n, name: n.spec })),
    config.gracetime * 1000,
    runtime.now,
  );
  health.on = (ok, why) => nodeHealth(pool, logger, ok, why);
  const running: Running = {
    config,
    pool,
    workers: embedded?.workers,
    routers: undefined,
    children: undefined,
    dir: embedded?.dir ?? createRuntimeDir(runtime, logger, config.tempPath || undefined),
    generation: 1,
    subscriptions: undefined,
    closers: [],
  };
  const ctx: MasterContext = {
    args,
    runtime,
    logger,
    uwsgi: embedded?.uwsgi ?? "",
    readConfig,
    onFatal,
  };
  const failed = await startServing(running, loaded, ctx);
  if (failed !== undefined) return failed;
  return await untilStopped(running, fatalSignal, ctx);
}

/** The embedded application's workers, started. */
interface Embedded {
  uwsgi: string;
  dir: string;
  workers: WorkerPool;
}

/**
 * Starts the application's workers with uWSGI (after checking that it is there and knows
 * the options the edge does not); resolves to the exit code when that fails.
 */
async function startEmbedded(
  runtime: Runtime,
  logger: Logger,
  loaded: Loaded,
  onFatal: (message: string) => void,
  health: { on?: (ok: boolean, why: string) => void },
): Promise<Embedded | number> {
  const config = loaded.config;
  const uwsgi = config.uwsgiBinary || runtime.findExecutable("uwsgi") || "";
  if (uwsgi === "" || runtime.findExecutable(uwsgi) === undefined) {
    logger.flush();
    runtime.writeStderr(
      `uwsgi-edge: Cannot start the application's workers as uWSGI is not installed${
        config.uwsgiBinary ? ` at "${config.uwsgiBinary}"` : ""
      }: install it (apt-get install uwsgi-core uwsgi-plugin-python3) or set uwsgi-binary = /path/to/uwsgi\n`,
    );
    return EXIT_CONFIG;
  }
  if (loaded.unknown.length > 0) {
    // keys the edge does not know go to the workers: uWSGI had better know them
    const known = await uwsgiOptions(runtime, uwsgi, workerPlugins(loaded.appEntries));
    try {
      for (const warning of checkUnknown(loaded.unknown, known, loaded.strict)) {
        logger.warn(warning);
      }
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      logger.flush();
      runtime.writeStderr(`uwsgi-edge: ${error.message}\n`);
      return EXIT_CONFIG;
    }
  }
  const dir = createRuntimeDir(runtime, logger, config.tempPath || undefined);
  try {
    const workers = await startWorkers(
      runtime,
      logger,
      uwsgi,
      dir,
      1,
      loaded,
      onFatal,
      (ok, why) => health.on?.(ok, why),
    );
    return { uwsgi, dir, workers };
  } catch (error) {
    logger.error(`the application's workers did not start: ${(error as Error).message}`);
    runtime.removePath(dir);
    return EXIT_RUNTIME;
  }
}

/** The embedded workers' node goes down while their app does not load, and up again. */
function nodeHealth(pool: StaticPool<NodeConfig>, logger: Logger, ok: boolean, why: string) {
  const node = pool.nodes[0];
  if (node === undefined || node.down === !ok) return;
  node.down = !ok;
  if (ok) logger.info(`workers: ${why}; requests go to them again`);
  else logger.error(`workers: ${why}: requests get 502 until it loads`);
}

/**
 * Starts the subscription server, the stats server and the listeners (here or in router
 * processes); on failure stops what started and resolves to the exit code.
 */
async function startServing(
  running: Running,
  loaded: Loaded,
  ctx: MasterContext,
): Promise<number | undefined> {
  const { runtime, logger } = ctx;
  try {
    startSubscriptionServer(running, runtime, logger);
    await startListeners(running, loaded, ctx);
    return undefined;
  } catch (error) {
    const bad = error instanceof ConfigError;
    if (!bad) logger.error((error as Error).message);
    await stopNow(running, runtime);
    logger.flush();
    if (!bad) return EXIT_RUNTIME;
    runtime.writeStderr(`uwsgi-edge: ${(error as Error).message}\n`);
    return EXIT_CONFIG;
  }
}

/** The subscription server, when configured; with router processes, one copy each. */
function startSubscriptionServer(running: Running, runtime: Runtime, logger: Logger): void {
  const config = running.config;
  if (!config.subscriptionServer) return;
  let forward: ((bytes: Uint8Array) => void) | undefined;
  if (config.processes > 1) {
    // one receiver; every router process gets a copy of each announcement
    const dir = running.dir;
    const fanout = runtime.listenDatagram({ transport: "unix", path: `${dir}/fanout.sock` });
    running.closers.push(() => fanout.close());
    const paths = Array.from({ length: config.processes }, (_, i) => `${dir}/sub-${i + 1}.sock`);
    forward = (bytes) => {
      for (const path of paths) fanout.sendTo(bytes, path).catch(() => {});
    };
  }
  const subscriptions = startSubscriptions(
    config,
    config.subscriptionServer,
    runtime,
    logger,
    forward,
  );
  running.subscriptions = subscriptions;
  running.closers.push(() => subscriptions.close());
  logger.info(`subscription server on ${config.subscriptionServerSpec}`);
}

/** The stats server, then the listeners: here, or in `http-processes` router processes. */
async function startListeners(running: Running, loaded: Loaded, ctx: MasterContext) {
  const { config, pool, dir } = running;
  const { runtime, logger } = ctx;
  if (config.stats) {
    const ops = await startOpsPlane({
      config,
      runtime,
      logger,
      pool,
      registry: running.subscriptions?.registry,
      engine: () => running.routers?.engine,
      dir,
    });
    running.closers.push(() => ops.close());
  }
  if (config.processes > 1) {
    runtime.writeTextFile(`${dir}/pool`, running.workers?.socketPath ?? "");
    running.children = new RouterChildren(
      runtime,
      logger,
      config.processes,
      dir,
      ctx.args,
      ctx.onFatal,
    );
    await running.children.start();
    return;
  }
  running.routers = await startRouters(
    {
      config,
      pool,
      logger,
      runtime,
      registry: running.subscriptions?.registry,
      tempDir: dir,
      nodeLimit: nodeLimit(loaded),
    },
    false,
  );
}
