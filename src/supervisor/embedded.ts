/** Embedded mode: starting the application's uWSGI workers from their private ini. */
import type { Entry } from "../config/errors.ts";
import type { Loaded } from "../config/load.ts";
import type { Logger } from "../log.ts";
import type { Runtime } from "../runtime/types.ts";
import { createRuntimeDir } from "./runtime_dir.ts";
import { WorkerPool } from "./worker_pool.ts";
import { workerIni } from "./worker_ini.ts";

/** Options that send uWSGI's log away from its output: readiness is seen on the socket. */
const LOG_ELSEWHERE = new Set(["logto", "logto2", "logfile", "logger", "daemonize", "req-logger"]);

/** A numeric id, or the id of a name in /etc/passwd or /etc/group; undefined if unknown. */
function idOf(runtime: Runtime, value: string, file: string): number | undefined {
  if (/^\d+$/.test(value)) return Number(value);
  try {
    for (const line of runtime.readTextFile(file).split("\n")) {
      const [name, , id] = line.split(":");
      if (name === value && id !== undefined) return Number(id);
    }
  } catch {
    // no such file: names cannot be resolved
  }
  return undefined;
}

/**
 * The user and group the workers drop to (uWSGI's `uid` / `gid`): their socket must be
 * theirs, in a directory only they (and root) can enter.
 */
function workerOwner(runtime: Runtime, entries: readonly Entry[]) {
  const last = (key: string) => entries.filter((e) => e.key === key).at(-1)?.value.trim();
  const uid = last("uid");
  const gid = last("gid");
  if (uid === undefined && gid === undefined) return undefined;
  const user = uid === undefined ? undefined : idOf(runtime, uid, "/etc/passwd");
  const group = gid === undefined ? undefined : idOf(runtime, gid, "/etc/group");
  return { uid: user ?? -1, gid: group ?? -1 };
}

/** The plugins the workers load (python3 when none is named, as the worker ini does). */
export function workerPlugins(entries: readonly Entry[]): string[] {
  const named = entries.filter((e) => e.key === "plugin" || e.key === "plugins")
    .flatMap((e) => e.value.split(",")).map((n) => n.trim())
    .filter((n) => n !== "" && n !== "http" && n !== "corerouter");
  return named.length > 0 ? named : ["python3"];
}

/** Starts generation `generation` of the workers in `dir`; resolves once they serve. */
export async function startWorkers(
  runtime: Runtime,
  logger: Logger,
  uwsgi: string,
  dir: string,
  generation: number,
  loaded: Loaded,
  onFatal: (message: string) => void,
  onHealth: (ok: boolean, why: string) => void = () => {},
): Promise<WorkerPool> {
  let socketDir = dir;
  const owner = workerOwner(runtime, loaded.appEntries);
  if (owner !== undefined) {
    // the runtime directory is root's alone: the socket goes to one of the workers' own
    socketDir = createRuntimeDir(runtime, logger, dir.slice(0, dir.lastIndexOf("/")));
    runtime.chown(socketDir, owner.uid, owner.gid);
  }
  const socketPath = `${socketDir}/app-${generation}.sock`;
  const iniPath = `${dir}/workers-${generation}.ini`;
  const ini = workerIni(loaded.appEntries, socketPath);
  if (generation === 1) { for (const warning of ini.warnings) logger.warn(warning); }
  runtime.writeTextFile(iniPath, ini.text);
  const pool = new WorkerPool({
    runtime,
    logger,
    uwsgi,
    iniPath,
    socketPath,
    onFatal,
    onHealth,
    logsElsewhere: loaded.appEntries.some((e) => LOG_ELSEWHERE.has(e.key)),
    lazyApps: loaded.appEntries.some((e) => e.key === "lazy-apps" || e.key === "lazy"),
    ownDir: socketDir === dir ? undefined : socketDir,
    dropsUser: owner !== undefined,
  });
  try {
    await pool.start();
  } catch (error) {
    await pool.kill();
    throw error;
  }
  return pool;
}
