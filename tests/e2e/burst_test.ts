/**
 * Bursts against a small worker pool (2 processes, listen queue 100, uWSGI's embedded
 * default): every request is answered 200, never a 502 storm. Standalone and embedded.
 */
import assert from "node:assert/strict";
import { freePort, startEdge, startUwsgi, tempDir, TEST_APP } from "./helpers.ts";

/** `n` requests at once, each on its own connection; the statuses counted. */
async function burst(port: number, n: number): Promise<Record<string, number>> {
  const request = new TextEncoder().encode(
    "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
  );
  const counts: Record<string, number> = {};
  await Promise.all(Array.from({ length: n }, async () => {
    let status = "no answer";
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      try {
        await conn.write(request);
        const buf = new Uint8Array(4096);
        let head = "";
        while (true) {
          const got = await conn.read(buf);
          if (got === null) break;
          if (head.length < 12) head += String.fromCharCode(...buf.subarray(0, got));
        }
        status = head.slice(9, 12) || "empty reply";
      } finally {
        conn.close();
      }
    } catch (error) {
      status = (error as Error).name;
    }
    counts[status] = (counts[status] ?? 0) + 1;
  }));
  return counts;
}

const SIZES = [200, 1000, 5000];

Deno.test("e2e: bursts of 200, 1000 and 5000 requests on 2 workers (listen 100), standalone: all 200", async () => {
  const dir = tempDir();
  const sock = `${dir.path}/app.sock`;
  const backend = await startUwsgi(sock, ["--listen", "100"]);
  const port = freePort();
  const edge = await startEdge([
    "--http",
    `127.0.0.1:${port}`,
    "--http-to",
    sock,
    "--disable-logging",
  ]);
  try {
    for (const n of SIZES) assert.deepEqual(await burst(port, n), { "200": n }, `burst of ${n}`);
  } finally {
    await edge.stop();
    await backend.stop("SIGINT");
    dir.cleanup();
  }
});

Deno.test("e2e: bursts of 200, 1000 and 5000 requests, embedded mode (2 processes, listen 100): all 200", async () => {
  const port = freePort();
  const edge = await startEdge([
    "--http",
    `127.0.0.1:${port}`,
    "--wsgi-file",
    TEST_APP,
    "--processes",
    "2",
    "--listen",
    "100",
    "--disable-logging",
  ]);
  try {
    for (const n of SIZES) assert.deepEqual(await burst(port, n), { "200": n }, `burst of ${n}`);
  } finally {
    await edge.stop();
  }
});
