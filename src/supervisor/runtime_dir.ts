/**
 * The edge's private runtime directory (worker socket and ini, temp files, router process
 * files): created 0700 with a note of its owner, removed on exit; directories left by
 * edges that died (kill -9) are removed at the next start.
 */
import type { Logger } from "../log.ts";
import type { Runtime } from "../runtime/types.ts";

const PREFIX = "uwsgi-edge-";
const OWNER_FILE = "edge.pid";

/** "pid starttime" of a process (the start time tells a reused pid apart), or undefined. */
function identity(runtime: Runtime, pid: number): string | undefined {
  try {
    const stat = runtime.readTextFile(`/proc/${pid}/stat`);
    return `${pid} ${stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]}`;
  } catch {
    // no such process
    return undefined;
  }
}

/**
 * Creates this edge's directory in `parent` (default: the system's temp dir), and removes
 * the ones of edges known to be dead. When /proc cannot be read (`deno run` without -A),
 * nobody's liveness is known: nothing is removed, and the empty owner note this edge leaves
 * makes others leave its directory alone too.
 */
export function createRuntimeDir(runtime: Runtime, logger: Logger, parent?: string): string {
  const dir = runtime.makeTempDir(PREFIX, parent);
  const self = identity(runtime, runtime.pid());
  runtime.writeTextFile(`${dir}/${OWNER_FILE}`, self ?? "");
  if (self === undefined) return dir;
  const root = dir.slice(0, dir.lastIndexOf("/"));
  for (const name of runtime.listDir(root)) {
    const other = `${root}/${name}`;
    if (!name.startsWith(PREFIX) || other === dir) continue;
    let owner: string;
    try {
      owner = runtime.readTextFile(`${other}/${OWNER_FILE}`).trim();
    } catch {
      continue; // not an edge's directory (or another user's)
    }
    const pid = Number(owner.split(" ")[0]);
    // an empty note: its edge could not read /proc; whether it lives is unknown
    if (!Number.isInteger(pid) || pid <= 0 || identity(runtime, pid) === owner) continue;
    runtime.removePath(other);
    logger.info(`removed ${other}, left by an edge that died (pid ${pid})`);
  }
  return dir;
}
