/**
 * The binary (Bun build) starts JavaScriptCore with a 32 MB heap floor: it executes itself
 * once more with BUN_JSC_largeHeapSize set (docs/performance.md). What a user sees: one
 * process, the same pid and arguments, one start banner; a value they set is kept.
 */
import assert from "node:assert/strict";
import { BUN_BUILD, edgeCommand, freePort, startEdge } from "./helpers.ts";

const OPTION = "BUN_JSC_largeHeapSize";

function environ(pid: number): string[] {
  return Deno.readTextFileSync(`/proc/${pid}/environ`).split("\0");
}

function cmdline(pid: number): string[] {
  return Deno.readTextFileSync(`/proc/${pid}/cmdline`).split("\0").slice(0, -1);
}

Deno.test({
  name:
    "binary: starts once more with a 32 MB heap floor, same pid and arguments; a value given is kept",
  ignore: !BUN_BUILD,
  fn: async () => {
    for (const given of [undefined, "16777216"]) {
      const port = freePort();
      const args = ["--http", `127.0.0.1:${port}`, "--http-to", "/nonexistent/edge.sock"];
      const env: Record<string, string> = given === undefined ? {} : { [OPTION]: given };
      const edge = await startEdge(args, { env });
      try {
        const set = environ(edge.pid).filter((v) => v.startsWith(`${OPTION}=`));
        assert.deepEqual(set, [`${OPTION}=${given ?? String(32 * 1024 * 1024)}`]);
        assert.deepEqual(cmdline(edge.pid), [edgeCommand().cmd, ...args]);
        const banners = edge.output.match(/uwsgi-edge \S+ \(bun [^)]*\) pid \d+/g) ?? [];
        assert.deepEqual(banners.map((b) => b.replace(/.* pid /, "")), [String(edge.pid)]);
        const res = await fetch(`http://127.0.0.1:${port}/`);
        await res.body?.cancel();
        assert.equal(res.status, 502);
      } finally {
        await edge.stop("SIGINT");
      }
    }
  },
});
