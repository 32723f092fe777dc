/** A router process of `http-processes`, started by the master with the same arguments. */
import { StaticPool } from "../balancer/static_pool.ts";
import type { Loaded } from "../config/load.ts";
import type { Logger } from "../log.ts";
import type { Runtime } from "../runtime/types.ts";
import {
  EXIT_OK,
  EXIT_RUNTIME,
  idle,
  nextSignal,
  nodeLimit,
  SUB_SOCKET_ENV,
  unixNode,
} from "./_common.ts";
import { SNAPSHOT_MS, snapshotFile } from "./ops_plane.ts";
import { type Routers, startRouters } from "./routers.ts";
import { startSubscriptions, type Subscriptions } from "./subscriptions.ts";

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
    return EXIT_RUNTIME;
  }
  logger.info(`router process ${index} ready`);
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
    return EXIT_OK;
  }
}

/** The tag router processes put on their log lines. */
export function routerTag(index: string, pid: number): string {
  return `router ${index} pid ${pid}`;
}
