/**
 * Anonymous temporary files on node:fs (both runtimes): created private (0600) in a given
 * directory and unlinked at once, so nothing is left behind whatever happens to the request
 * or the process. Reads and writes are synchronous: they hit the page cache.
 */
import fs from "node:fs";
import process from "node:process";
import type { TempFile } from "./types.ts";

let counter = 0;

/** Opens a new anonymous file in `dir`. */
export function openTempFile(dir: string): TempFile {
  const path = `${dir}/spool-${process.pid}-${++counter}`;
  const fd = fs.openSync(path, "wx+", 0o600);
  fs.unlinkSync(path);
  let open = true;
  return {
    write(bytes, position) {
      let offset = 0;
      while (offset < bytes.length) {
        offset += fs.writeSync(fd, bytes, offset, bytes.length - offset, position + offset);
      }
    },
    read(into, position) {
      return fs.readSync(fd, into, 0, into.length, position);
    },
    close() {
      if (!open) return;
      open = false;
      fs.closeSync(fd);
    },
  };
}
