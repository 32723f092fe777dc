/**
 * The master: starts the application's workers (embedded mode), the listeners (here, or
 * in `http-processes` router processes sharing the ports), and turns signals into
 * graceful shutdown (TERM, INT), immediate stop (QUIT) and zero-downtime reload (HUP).
 */
import { StaticPool } from "../balancer/static_pool.ts";
import { formatAddress } from "../config/address.ts";
import { ConfigError } from "../config/errors.ts";
import type { Config, Loaded, NodeConfig } from "../config/load.ts";
import type { Logger } from "../log.ts";
import type { ConnectAddress, Runtime } from "../runtime/types.ts";
import { VERSION } from "../version.ts";
import {
  EXIT_CONFIG,
  EXIT_OK,
  EXIT_RUNTIME,
  idle,
  nextSignal,
  nodeLimit,
  unixNode,
} from "./_common.ts";
import { startWorkers, workerPlugins } from "./embedded.ts";
import { checkUnknown, uwsgiOptions } from "./uwsgi_options.ts";
import { startOpsPlane } from "./ops_plane.ts";
import { RouterChildren } from "./router_children.ts";
import { createRuntimeDir } from "./runtime_dir.ts";
import { type Routers, startRouters } from "./routers.ts";
import { startSubscriptions, type Subscriptions } from "./subscriptions.ts";
import type { WorkerPool } from "./worker_pool.ts";

/** Everything a running edge holds, for the signal handlers. */
interface Running {
  config: Config;
  pool: StaticPool<NodeConfig>;
  workers: WorkerPool | undefined;
  routers: Routers | undefined;
  children: RouterChildren | undefined;
  dir: string | undefined;
  generation: number;
  subscriptions: Subscriptions | undefined;
  closers: Array<() => void | Promise<void>>;
}

/** Runs the master until a signal stops it; resolves to the exit code. */
export async function runMaster(
  args: readonly string[],
  runtime: Runtime,
  logger: Logger,
  loaded: Loaded,
  readConfig: (args: readonly string[]) => Loaded,
): Promise<number> {
  const config = loaded.config;
  let fatal: ((message: string) => void) | undefined;
  /** The workers' app stopped (or started again) loading: their node is down (or up). */
  const health: { on?: (ok: boolean, why: string) => void } = {};
  const fatalSignal = new Promise<string>((resolve) => (fatal = resolve));
  logger.info(`uwsgi-edge ${VERSION} (${runtime.name}) pid ${runtime.pid()}`);

  let uwsgi = "";
  let dir: string | undefined;
  let workers: WorkerPool | undefined;
  let nodes = config.nodes;
  if (loaded.embedded) {
    uwsgi = config.uwsgiBinary || runtime.findExecutable("uwsgi") || "";
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
    dir = createRuntimeDir(runtime, logger, config.tempPath || undefined);
    try {
      workers = await startWorkers(
        runtime,
        logger,
        uwsgi,
        dir,
        1,
        loaded,
        (m) => fatal!(m),
        (ok, why) => health.on?.(ok, why),
      );
    } catch (error) {
      logger.error(`the application's workers did not start: ${(error as Error).message}`);
      logger.flush();
      runtime.removePath(dir);
      return EXIT_RUNTIME;
    }
    nodes = [unixNode(workers.socketPath)];
  }
  for (const node of nodes) logger.info(`node ${formatAddress(node.address)}`);
  for (const node of config.fallbacks) {
    logger.info(`node ${formatAddress(node.address)} (http-fallback)`);
  }

  const pool = new StaticPool(
    nodes.map((n) => ({ node: n, name: n.spec })),
    config.gracetime * 1000,
    runtime.now,
  );
  dir ??= createRuntimeDir(runtime, logger, config.tempPath || undefined);
  health.on = (ok, why) => {
    const node = pool.nodes[0];
    if (node === undefined || node.down === !ok) return;
    node.down = !ok;
    if (ok) logger.info(`workers: ${why}; requests go to them again`);
    else logger.error(`workers: ${why}: requests get 502 until it loads`);
  };
  const running: Running = {
    config,
    pool,
    workers,
    routers: undefined,
    children: undefined,
    dir,
    generation: 1,
    subscriptions: undefined,
    closers: [],
  };
  try {
    if (config.subscriptionServer) {
      let forward: ((bytes: Uint8Array) => void) | undefined;
      if (config.processes > 1) {
        // one receiver; every router process gets a copy of each announcement
        const fanout = runtime.listenDatagram({ transport: "unix", path: `${dir}/fanout.sock` });
        running.closers.push(() => fanout.close());
        const paths = Array.from(
          { length: config.processes },
          (_, i) => `${dir}/sub-${i + 1}.sock`,
        );
        forward = (bytes) => {
          for (const path of paths) fanout.sendTo(bytes, path).catch(() => {});
        };
      }
      running.subscriptions = startSubscriptions(
        config,
        config.subscriptionServer,
        runtime,
        logger,
        forward,
      );
      running.closers.push(() => running.subscriptions!.close());
      logger.info(`subscription server on ${config.subscriptionServerSpec}`);
    }
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
      runtime.writeTextFile(`${dir}/pool`, workers?.socketPath ?? "");
      running.children = new RouterChildren(
        runtime,
        logger,
        config.processes,
        dir!,
        args,
        (m) => fatal!(m),
      );
      await running.children.start();
    } else {
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
  } catch (error) {
    for (const close of running.closers) await close();
    if (error instanceof ConfigError) {
      await running.children?.kill();
      await workers?.kill();
      if (dir) runtime.removePath(dir);
      logger.flush();
      runtime.writeStderr(`uwsgi-edge: ${error.message}\n`);
      return EXIT_CONFIG;
    }
    logger.error((error as Error).message);
    await running.children?.kill();
    await workers?.kill();
    if (dir) runtime.removePath(dir);
    logger.flush();
    return EXIT_RUNTIME;
  }
  logger.flush();

  while (true) {
    const signals = nextSignal(runtime, ["SIGINT", "SIGTERM", "SIGQUIT", "SIGHUP"]);
    const event = await Promise.race([signals, fatalSignal.then((m) => `fatal:${m}`)]);
    if (event === "SIGHUP") {
      await reload(running, args, runtime, logger, uwsgi, readConfig, (m) => fatal!(m));
      continue;
    }
    if (event === "SIGQUIT") {
      logger.info("SIGQUIT: stopping now");
      await running.children?.kill();
      await running.workers?.kill();
      for (const close of running.closers) await close();
      running.routers?.engine.close();
      if (running.dir) runtime.removePath(running.dir);
      logger.flush();
      return EXIT_OK;
    }
    const failed = event.startsWith("fatal:");
    if (failed) logger.error(event.slice(6));
    else logger.info(`${event}: graceful shutdown, finishing in-flight requests`);
    await shutdown(running, config.reloadMercy * 1000, logger);
    for (const close of running.closers) await close();
    if (running.dir) runtime.removePath(running.dir);
    logger.info("goodbye");
    logger.flush();
    return failed ? EXIT_RUNTIME : EXIT_OK;
  }
}

/** The workers always get this long to stop, even when the requests took all the mercy. */
const WORKERS_STOP_MS = 1000;

/**
 * Stops accepting, lets in-flight requests finish, then stops the workers: all within
 * reload-mercy (25 s by default, under Heroku's 30 s before SIGKILL). What is left then is
 * cut off.
 */
async function shutdown(running: Running, mercyMs: number, logger: Logger): Promise<void> {
  const started = Date.now();
  const requestsMs = Math.max(0, mercyMs - WORKERS_STOP_MS);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<"late">((resolve) => {
    timer = setTimeout(() => resolve("late"), requestsMs);
  });
  const drained = (async () => {
    await running.routers?.stop();
    await running.children?.stop(requestsMs);
  })();
  if (await Promise.race([drained, deadline]) === "late") {
    logger.warn(
      `in-flight requests still running after ${requestsMs / 1000} s (reload-mercy ${
        mercyMs / 1000
      } s, less ${WORKERS_STOP_MS / 1000} s for the workers to stop): cutting them off`,
    );
    running.routers?.engine.close();
  }
  clearTimeout(timer);
  await running.workers?.stop(Math.max(WORKERS_STOP_MS, mercyMs - (Date.now() - started)));
}

/** SIGHUP: new workers from the re-read config, new requests to them, the old ones drained. */
async function reload(
  running: Running,
  args: readonly string[],
  runtime: Runtime,
  logger: Logger,
  uwsgi: string,
  readConfig: (args: readonly string[]) => Loaded,
  onFatal: (message: string) => void,
): Promise<void> {
  let loaded: Loaded;
  try {
    loaded = readConfig(args);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    logger.error(`SIGHUP: the config has an error, nothing reloaded: ${error.message}`);
    return;
  }
  for (const warning of loaded.warnings) logger.warn(warning);
  const mercyMs = running.config.reloadMercy * 1000;
  if (!running.workers || !loaded.embedded) {
    // standalone: the node list is what can change without dropping a connection
    if (loaded.config.nodes.length > 0 && !running.children) {
      running.pool.replace(loaded.config.nodes.map((n) => ({ node: n, name: n.spec })));
      logger.info(`SIGHUP: nodes now ${loaded.config.nodes.map((n) => n.spec).join(", ")}`);
    } else {
      logger.warn("SIGHUP: nothing to reload (no embedded workers); other changes need a restart");
    }
    return;
  }
  logger.info("SIGHUP: starting new workers");
  running.generation++;
  let next: WorkerPool;
  try {
    next = await startWorkers(
      runtime,
      logger,
      uwsgi,
      running.dir!,
      running.generation,
      loaded,
      onFatal,
      (ok, why) => {
        const node = running.pool.nodes[0];
        if (node !== undefined && node.node.spec === next?.socketPath) node.down = !ok;
        if (!ok) logger.error(`workers: ${why}`);
      },
    );
  } catch (error) {
    logger.error(
      `SIGHUP: the new workers did not start, keeping the old ones: ${(error as Error).message}`,
    );
    return;
  }
  const old = running.workers;
  running.workers = next;
  const oldAddress: ConnectAddress = { transport: "unix", path: old.socketPath };
  if (running.children) {
    runtime.writeTextFile(`${running.dir}/pool`, next.socketPath);
    await running.children.switchPool(next.socketPath, mercyMs);
  } else {
    running.pool.replace([{ node: unixNode(next.socketPath), name: next.socketPath }]);
    if (running.routers && !(await idle(running.routers, oldAddress, mercyMs))) {
      logger.warn("SIGHUP: old workers still busy after reload-mercy: stopping them anyway");
    }
  }
  await old.stop(5000);
  runtime.removePath(old.socketPath);
  logger.info(`SIGHUP: reloaded; new requests go to ${next.socketPath}`);
  if (JSON.stringify(loaded.config.listeners) !== JSON.stringify(running.config.listeners)) {
    logger.warn("SIGHUP: listener changes need a restart");
  }
}
