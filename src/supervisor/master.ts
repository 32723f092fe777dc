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
import type { ChildProcess, ConnectAddress, Runtime, Signal } from "../runtime/types.ts";
import { VERSION } from "../version.ts";
import { RestartPolicy } from "./restart_policy.ts";
import { createRuntimeDir } from "./runtime_dir.ts";
import { type Routers, startRouters } from "./routers.ts";
import { SNAPSHOT_MS, snapshotFile, startOpsPlane } from "./ops_plane.ts";
import { startSubscriptions, type Subscriptions } from "./subscriptions.ts";
import { WorkerPool } from "./worker_pool.ts";
import { workerIni } from "./worker_ini.ts";

/** Environment of router processes: their index, and the file naming the current pool. */
export const ROUTER_CHILD_ENV = "EDGE_ROUTER_INDEX";
export const POOL_FILE_ENV = "EDGE_POOL_FILE";
/** A router process's private unix datagram socket: the master forwards subscriptions there. */
export const SUB_SOCKET_ENV = "EDGE_SUBSCRIPTIONS_SOCKET";

const EXIT_OK = 0;
const EXIT_RUNTIME = 1;
const EXIT_CONFIG = 2;

/** Waits for the first of the given signals. */
function nextSignal(runtime: Runtime, signals: Array<Exclude<Signal, "SIGKILL">>) {
  return new Promise<Exclude<Signal, "SIGKILL">>((resolve) => {
    const removers = signals.map((signal) =>
      runtime.onSignal(signal, () => {
        for (const remove of removers) remove();
        resolve(signal);
      })
    );
  });
}

function unixNode(path: string): NodeConfig {
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
async function idle(routers: Routers, address: ConnectAddress, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (routers.engine.dispatcher.inflight(address) > 0) {
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

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
    dir = createRuntimeDir(runtime, logger, config.tempPath || undefined);
    try {
      workers = await startWorkers(runtime, logger, uwsgi, dir, 1, loaded, (m) => fatal!(m));
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

async function startWorkers(
  runtime: Runtime,
  logger: Logger,
  uwsgi: string,
  dir: string,
  generation: number,
  loaded: Loaded,
  onFatal: (message: string) => void,
): Promise<WorkerPool> {
  const socketPath = `${dir}/app-${generation}.sock`;
  const iniPath = `${dir}/workers-${generation}.ini`;
  runtime.writeTextFile(iniPath, workerIni(loaded.appEntries, socketPath));
  const pool = new WorkerPool({ runtime, logger, uwsgi, iniPath, socketPath, onFatal });
  try {
    await pool.start();
  } catch (error) {
    await pool.kill();
    throw error;
  }
  return pool;
}

/** Stops accepting, lets in-flight requests finish (bounded), then stops the workers. */
async function shutdown(running: Running, mercyMs: number, logger: Logger): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<"late">((
    resolve,
  ) => (timer = setTimeout(() => resolve("late"), mercyMs)));
  const drained = (async () => {
    await running.routers?.stop();
    await running.children?.stop(mercyMs);
  })();
  if (await Promise.race([drained, deadline]) === "late") {
    logger.warn(
      `in-flight requests still running after reload-mercy (${mercyMs / 1000} s): stopping anyway`,
    );
    running.routers?.engine.close();
  }
  clearTimeout(timer);
  await running.workers?.stop(5000);
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

/** `http-processes` N: router processes sharing the listening ports, each respawned. */
class RouterChildren {
  readonly #children: Array<{ child: ChildProcess; policy: RestartPolicy } | undefined> = [];
  #stopping = false;

  constructor(
    readonly runtime: Runtime,
    readonly logger: Logger,
    readonly count: number,
    readonly dir: string,
    readonly args: readonly string[],
    readonly onFatal: (message: string) => void,
  ) {}

  /** Pids of the running router processes. */
  get pids(): number[] {
    return this.#children.flatMap((c) => (c ? [c.child.pid] : []));
  }

  async start(): Promise<void> {
    const ready = [];
    for (let i = 0; i < this.count; i++) {
      ready.push(this.#spawn(i, new RestartPolicy(this.runtime.now)));
    }
    await Promise.all(ready);
  }

  /** Starts router `index`; resolves once it listens. */
  #spawn(index: number, policy: RestartPolicy): Promise<void> {
    const self = this.runtime.selfCommand();
    const child = this.runtime.spawn(self.command, [...self.args, ...this.args], {
      env: {
        ...this.runtime.env(),
        [ROUTER_CHILD_ENV]: String(index + 1),
        [POOL_FILE_ENV]: `${this.dir}/pool`,
        [SUB_SOCKET_ENV]: `${this.dir}/sub-${index + 1}.sock`,
      },
    });
    policy.started();
    this.#children[index] = { child, policy };
    const listeners = new Promise<void>((resolve, reject) => {
      let seen = "";
      let up = false;
      (async () => {
        for await (const text of child.output) {
          this.runtime.writeStderr(text);
          if (!up) {
            seen += text;
            if (/listening on/.test(seen)) {
              up = true;
              resolve();
            }
          }
        }
        if (!up) {
          reject(
            new Error(
              `router process ${index + 1} exited before listening: ${seen.trim().slice(-300)}`,
            ),
          );
        }
      })();
    });
    child.status.then((status) => {
      if (this.#stopping || this.#children[index]?.child !== child) return;
      const decision = policy.exited();
      const how = status.signal ? `killed by ${status.signal}` : `exited with code ${status.code}`;
      if (decision.action === "give-up") {
        this.onFatal(
          `router process ${index + 1} ${how}, ${decision.crashes} times in a row: giving up`,
        );
        return;
      }
      this.logger.warn(
        `router process ${
          index + 1
        } (pid ${child.pid}) ${how}; respawning in ${decision.delayMs} ms`,
      );
      setTimeout(() => {
        if (!this.#stopping) this.#spawn(index, policy).catch((e) => this.logger.error(e.message));
      }, decision.delayMs);
    });
    return listeners;
  }

  /** Tells every router to use `socketPath`, and waits until they drained the old pool. */
  async switchPool(socketPath: string, mercyMs: number): Promise<void> {
    const name = socketPath.slice(socketPath.lastIndexOf("/") + 1);
    const pids = this.pids;
    for (const c of this.#children) c?.child.kill("SIGHUP");
    const deadline = Date.now() + mercyMs;
    for (const pid of pids) {
      while (Date.now() < deadline) {
        try {
          this.runtime.readTextFile(`${this.dir}/drained-${pid}-${name}`);
          break;
        } catch {
          // not drained yet
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    }
  }

  async stop(mercyMs: number): Promise<void> {
    this.#stopping = true;
    await Promise.all(this.#children.map(async (c) => {
      if (!c) return;
      c.child.kill("SIGTERM");
      const timer = setTimeout(() => c.child.kill("SIGKILL"), mercyMs);
      await c.child.status;
      clearTimeout(timer);
    }));
  }

  async kill(): Promise<void> {
    this.#stopping = true;
    await Promise.all(this.#children.map(async (c) => {
      c?.child.kill("SIGKILL");
      await c?.child.status;
    }));
  }
}

/** A router process of `http-processes`: listeners with SO_REUSEPORT, the pool from a file. */
export async function runRouterChild(
  runtime: Runtime,
  logger: Logger,
  loaded: Loaded,
  index: string,
  poolFile: string,
): Promise<number> {
  const config = loaded.config;
  const readPool = (): string => {
    try {
      return runtime.readTextFile(poolFile).trim();
    } catch {
      // no pool file: the static http-to nodes are used
      return "";
    }
  };
  let socket = readPool();
  const nodes = socket ? [unixNode(socket)] : config.nodes;
  const pool = new StaticPool(
    nodes.map((n) => ({ node: n, name: n.spec })),
    config.gracetime * 1000,
    runtime.now,
  );
  let routers: Routers;
  let subscriptions: Subscriptions | undefined;
  try {
    const subSocket = runtime.env()[SUB_SOCKET_ENV];
    if (config.subscriptionServer && subSocket) {
      subscriptions = startSubscriptions(
        config,
        { transport: "unix", path: subSocket },
        runtime,
        logger,
      );
    }
    routers = await startRouters(
      {
        config,
        pool,
        logger,
        runtime,
        registry: subscriptions?.registry,
        tempDir: poolFile.slice(0, poolFile.lastIndexOf("/")) || runtime.makeTempDir("uwsgi-edge-"),
        nodeLimit: nodeLimit(loaded),
      },
      true,
    );
  } catch (error) {
    logger.error((error as Error).message);
    logger.flush();
    return EXIT_RUNTIME;
  }
  logger.info(`router process ${index} ready`);
  logger.flush();
  const dir = poolFile.slice(0, poolFile.lastIndexOf("/"));
  const writeSnapshot = () => {
    try {
      runtime.writeTextFile(
        snapshotFile(dir, index),
        JSON.stringify(routers.engine.snapshot(`router ${index}`)),
      );
    } catch {
      // the runtime directory is going away with the master
    }
  };
  const snapshots = config.stats ? setInterval(writeSnapshot, SNAPSHOT_MS) : undefined;
  while (true) {
    const signal = await nextSignal(runtime, ["SIGINT", "SIGTERM", "SIGQUIT", "SIGHUP"]);
    if (signal === "SIGHUP") {
      const next = readPool();
      if (next === "" || next === socket) continue;
      const old = socket;
      socket = next;
      pool.replace([{ node: unixNode(next), name: next }]);
      await idle(routers, { transport: "unix", path: old }, config.reloadMercy * 1000);
      runtime.writeTextFile(
        `${dir}/drained-${runtime.pid()}-${next.slice(next.lastIndexOf("/") + 1)}`,
        "",
      );
      continue;
    }
    clearInterval(snapshots);
    if (signal !== "SIGQUIT") await routers.stop();
    routers.engine.close();
    await subscriptions?.close();
    logger.flush();
    return EXIT_OK;
  }
}

/** The tag router processes put on their log lines. */
export function routerTag(index: string, pid: number): string {
  return `router ${index} pid ${pid}`;
}
