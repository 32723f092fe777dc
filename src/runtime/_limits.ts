/** Process limits, directory listings and ownership from Linux's /proc and node:fs (both runtimes). */
import fs from "node:fs";

/** The soft RLIMIT_NOFILE, or Infinity when it cannot be read. */
export function fdLimit(): number {
  try {
    const limits = fs.readFileSync("/proc/self/limits", "utf8");
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(limits);
    return m && m[1] !== "unlimited" ? Number(m[1]) : Infinity;
  } catch {
    // not Linux: no limit known
    return Infinity;
  }
}

/** File descriptors open now (0 when unknown). */
export function openFds(): number {
  try {
    return fs.readdirSync("/proc/self/fd").length;
  } catch {
    // not Linux
    return 0;
  }
}

/** Names in a directory (empty when it cannot be read). */
export function listDir(path: string): string[] {
  try {
    return fs.readdirSync(path);
  } catch {
    // missing or unreadable: nothing to list
    return [];
  }
}

/** Creates a directory with `mode`. */
export function makeDir(path: string, mode: number): void {
  fs.mkdirSync(path, { mode });
  fs.chmodSync(path, mode);
}

/** Gives a path to a user and group. */
export function chown(path: string, uid: number, gid: number): void {
  fs.chownSync(path, uid, gid);
}
