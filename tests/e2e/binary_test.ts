/**
 * What only the binary (Bun build) does. It starts JavaScriptCore with a 32 MB heap floor:
 * it executes itself once more with BUN_JSC_largeHeapSize set (docs/performance.md). What a
 * user sees: one process, the same pid and arguments, one start banner; a value they set is
 * kept. And it serves plain HTTP on sockets of its own (src/runtime/_bun_raw.ts), or on
 * Bun's where asked to.
 */
import assert from "node:assert/strict";
import { BUN_BUILD, edgeCommand, freePort, startEdge, startUwsgi } from "./helpers.ts";

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

/** The epoll sets the process has open: Bun's own, and the binary's for its sockets. */
function epollSets(pid: number): number {
  let count = 0;
  for (const entry of Deno.readDirSync(`/proc/${pid}/fd`)) {
    try {
      if (Deno.readLinkSync(`/proc/${pid}/fd/${entry.name}`) === "anon_inode:[eventpoll]") count++;
    } catch {
      // closed while listed
    }
  }
  return count;
}

Deno.test({
  name:
    "binary: serves on its own sockets, and on Bun's with EDGE_SOCKETS=bun, to named and numeric nodes alike",
  ignore: !BUN_BUILD,
  fn: async () => {
    const backendPort = freePort();
    const backend = await startUwsgi(`127.0.0.1:${backendPort}`);
    try {
      for (const [mode, sets] of [["", 2], ["bun", 1]] as const) {
        const port = freePort();
        const args = [
          "--http",
          `127.0.0.1:${port}`,
          // round robin: a name (Bun's resolver and socket) and a number (either layer)
          "--http-to",
          `localhost:${backendPort}`,
          "--http-to",
          `127.0.0.1:${backendPort}`,
        ];
        const edge = await startEdge(args, { env: mode ? { EDGE_SOCKETS: mode } : {} });
        try {
          const body = new Uint8Array(300_000).map((_, i) => i % 251);
          for (let i = 0; i < 4; i++) {
            const res = await fetch(`http://127.0.0.1:${port}/echo`, { method: "POST", body });
            assert.equal(res.status, 200);
            assert.deepEqual(new Uint8Array(await res.arrayBuffer()), body, `request ${i}`);
          }
          assert.equal(epollSets(edge.pid), sets, `EDGE_SOCKETS=${mode}`);
          assert.match(edge.output, new RegExp(`via localhost:${backendPort}`));
          assert.match(edge.output, new RegExp(`via 127\\.0\\.0\\.1:${backendPort}`));
        } finally {
          await edge.stop("SIGINT");
        }
      }
    } finally {
      await backend.stop("SIGINT");
    }
  },
});
