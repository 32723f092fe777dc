/**
 * What the master does on signals once it serves: graceful shutdown (TERM, INT, or a fatal
 * error), immediate stop (QUIT) and zero-downtime reload (HUP).
 */
import type { StaticPool } from "../balancer/static_pool.ts";
import { ConfigError } from "../config/errors.ts";
import type { Config, Loaded, NodeConfig } from "../config/load.ts";
import type { Logger } from "../log.ts";
import type { ConnectAddress, Runtime } from "../runtime/types.ts";
import { EXIT_OK, EXIT_RUNTIME, idle, nextSignal, unixNode } from "./_common.ts";
import { startWorkers } from "./embedded.ts";
import type { RouterChildren } from "./router_children.ts";
import type { Routers } from "./routers.ts";
import type { Subscriptions } from "./subscriptions.ts";
import type { WorkerPool } from "./worker_pool.ts";

/** Everything a running edge holds, for the signal handlers. */
export interface Running {
  config: Config;
  pool: StaticPool<NodeConfig>;
  workers: WorkerPool | undefined;
  routers: Routers | undefined;
  children: RouterChildren | undefined;
  /** The runtime directory (sockets, temp files), removed on exit. */
  dir: string;
  generation: number;
  subscriptions: Subscriptions | undefined;
  closers: Array<() => void | Promise<void>>;
}

/** What the master was started with, for a reload. */
export interface MasterContext {
  args: readonly string[];
  runtime: Runtime;
  logger: Logger;
  /** The uWSGI binary of embedded mode ("" without). */
  uwsgi: string;
  readConfig: (args: readonly string[]) => Loaded;
  onFatal: (message: string) => void;
}

/** Serves signals until one stops the edge (or `fatal` resolves); resolves to the exit code. */
export async function untilStopped(
  running: Running,
  fatal: Promise<string>,
  ctx: MasterContext,
): Promise<number> {
  const { runtime, logger } = ctx;
  while (true) {
    const signals = nextSignal(runtime, ["SIGINT", "SIGTERM", "SIGQUIT", "SIGHUP"]);
    const event = await Promise.race([signals, fatal.then((m) => `fatal:${m}`)]);
    if (event === "SIGHUP") {
      await reload(running, ctx);
      continue;
    }
    if (event === "SIGQUIT") {
      logger.info("SIGQUIT: stopping now");
      await stopNow(running, runtime);
      return EXIT_OK;
    }
    const failed = event.startsWith("fatal:");
    if (failed) logger.error(event.slice(6));
    else logger.info(`${event}: graceful shutdown, finishing in-flight requests`);
    await shutdown(running, running.config.reloadMercy * 1000, logger);
    for (const close of running.closers) await close();
    runtime.removePath(running.dir);
    logger.info("goodbye");
    return failed ? EXIT_RUNTIME : EXIT_OK;
  }
}

/**
 * Stops everything at once (SIGQUIT, or a start that failed half way): router processes and
 * workers killed, servers and listeners closed, the runtime directory removed.
 */
export async function stopNow(running: Running, runtime: Runtime): Promise<void> {
  await running.children?.kill();
  await running.workers?.kill();
  for (const close of running.closers) await close();
  running.routers?.engine.close();
  runtime.removePath(running.dir);
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
async function reload(running: Running, ctx: MasterContext): Promise<void> {
  const { args, runtime, logger, uwsgi, readConfig, onFatal } = ctx;
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
      running.dir,
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
