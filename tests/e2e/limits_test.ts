/**
 * Resource abuse: stalled bodies time out, big bodies wait on disk (not in memory), a full
 * descriptor table gets 503s (no spinning core), idle connections cost little memory.
 */
import assert from "node:assert/strict";
import { FakeBackend } from "./fake_backend.ts";
import {
  anonMiB,
  BUN_BUILD,
  cpuMs,
  freePort,
  openFds,
  rssMiB,
  startEdge,
  tempDir,
  withEdge,
  writeAll,
} from "./helpers.ts";

const encoder = new TextEncoder();

/** Opens a connection and sends `text`; the caller reads and closes. */
async function send(port: number, text: string | Uint8Array): Promise<Deno.Conn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await writeAll(conn, typeof text === "string" ? encoder.encode(text) : text);
  return conn;
}

/** Reads until the server closes; the text and how long it took (ms). */
async function readAll(conn: Deno.Conn): Promise<{ text: string; ms: number }> {
  const started = Date.now();
  let text = "";
  const buf = new Uint8Array(65536);
  try {
    while (true) {
      const n = await conn.read(buf);
      if (n === null) break;
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
  } catch {
    // a reset also ends it
  }
  conn.close();
  return { text, ms: Date.now() - started };
}

Deno.test("e2e: stalled request bodies end after http-timeout with 408", async (t) => {
  await withEdge(["--http-timeout", "1", "--http-quiet"], async (port, edge) => {
    await t.step("a chunked body that stops inside a chunk", async () => {
      const conn = await send(
        port,
        "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
      );
      const { text, ms } = await readAll(conn);
      assert.match(text, /^HTTP\/1\.1 408 Request Timeout\r\n/);
      assert.ok(ms > 800 && ms < 2500, `${ms} ms`);
    });
    await t.step("a Content-Length body with 10 of 100 bytes", async () => {
      const conn = await send(
        port,
        "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789",
      );
      const { text, ms } = await readAll(conn);
      assert.match(text, /^HTTP\/1\.1 408 Request Timeout\r\n/);
      assert.ok(ms > 800 && ms < 2500, `${ms} ms`);
    });
    await t.step("500 stalled uploads give their descriptors back", async () => {
      const base = openFds(edge.pid);
      const conns = await Promise.all(
        Array.from(
          { length: 500 },
          () => send(port, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nab"),
        ),
      );
      await new Promise((r) => setTimeout(r, 300));
      assert.ok(openFds(edge.pid) >= base + 450, "they are held while they stall");
      const answers = await Promise.all(conns.map(readAll));
      assert.ok(answers.every((a) => a.text.startsWith("HTTP/1.1 408 ")));
      await new Promise((r) => setTimeout(r, 300));
      assert.ok(openFds(edge.pid) <= base + 5, `${openFds(edge.pid)} fds, ${base} before`);
    });
  });
});

Deno.test("e2e: a streamed body that stalls after reaching the backend cuts both sides", async () => {
  const dir = tempDir();
  const backend = FakeBackend.listen({ path: `${dir.path}/b.sock` });
  const port = freePort();
  const edge = await startEdge([
    "--http",
    `127.0.0.1:${port}`,
    "--http-to",
    `${dir.path}/b.sock`,
    "--http-timeout",
    "1",
    "--http-request-buffering=false",
  ]);
  try {
    const conn = await send(port, "POST /s HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nab");
    const { text, ms } = await readAll(conn);
    assert.equal(text, "", "no answer: the client is cut");
    assert.ok(ms > 800 && ms < 2500, `${ms} ms`);
    assert.equal(backend.connections, 1, "the body was streamed to a backend");
    assert.equal(backend.requests.length, 0, "which never got the whole of it");
    await edge.waitFor(/POST \/s via .*: the request body stalled for 1 s/);
  } finally {
    await edge.stop();
    await backend.close();
    dir.cleanup();
  }
});

Deno.test("e2e: ten unfinished 60 MiB chunked uploads wait on disk: memory stays bounded", async () => {
  await withEdge(
    ["--http-timeout", "2", "--http-quiet", "--disable-logging"],
    async (port, edge) => {
      const before = rssMiB(edge.pid);
      const mib = new Uint8Array(1 << 20).fill(122);
      const chunk = new Uint8Array([...encoder.encode("100000\r\n"), ...mib, 13, 10]);
      const conns = await Promise.all(
        Array.from(
          { length: 10 },
          () => send(port, "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"),
        ),
      );
      for (let i = 0; i < 60; i++) {
        for (const conn of conns) {
          await writeAll(conn, chunk);
        }
      }
      const during = rssMiB(edge.pid);
      assert.ok(during - before < 120, `RSS ${before.toFixed(0)} -> ${during.toFixed(0)} MiB`);
      const answers = await Promise.all(conns.map(readAll));
      assert.ok(
        answers.every((a) => a.text.startsWith("HTTP/1.1 408 ")),
        JSON.stringify(answers.map((a) => [a.text.slice(0, 40), a.ms])),
      );
    },
  );
});

Deno.test("e2e: out of file descriptors, new clients get 503 and no core spins", async () => {
  const dir = tempDir();
  const backend = FakeBackend.listen({ path: `${dir.path}/b.sock` });
  const port = freePort();
  const edge = await startEdge(
    ["--http", `127.0.0.1:${port}`, "--http-to", `${dir.path}/b.sock`, "--disable-logging"],
    { wrapper: ["prlimit", "--nofile=256"] },
  );
  let conns: Deno.Conn[] = [];
  try {
    for (let i = 0; i < 400; i++) conns.push(await Deno.connect({ hostname: "127.0.0.1", port }));
    await edge.waitFor(/new ones get 503/);
    const cpu = cpuMs(edge.pid);
    await new Promise((r) => setTimeout(r, 1000));
    assert.ok(cpuMs(edge.pid) - cpu < 300, "the edge does not spin");
    const refused = await Promise.all(conns.slice(300).map(readAll));
    assert.ok(refused.every((a) => a.text.startsWith("HTTP/1.1 503 ")), refused[0]?.text);
    for (const conn of conns.slice(0, 300)) conn.close();
    conns = [];
    await new Promise((r) => setTimeout(r, 300));
    const after = await readAll(
      await send(port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
    );
    assert.match(after.text, /^HTTP\/1\.1 200 OK\r\n/);
  } finally {
    for (const conn of conns) {
      try {
        conn.close();
      } catch {
        // closed by readAll
      }
    }
    await edge.stop();
    await backend.close();
    dir.cleanup();
  }
});

// the binary (Bun) keeps no buffer for an idle connection; Deno has no callback sockets, so
// each idle connection holds a pending 1 KiB read and Deno's own per-op state: 19-25 KiB
// measured (README); the 4 KiB target is the binary's
const IDLE_KIB = BUN_BUILD ? 4 : 32;

Deno.test(`e2e: an idle keep-alive connection costs at most ${IDLE_KIB} KiB`, async () => {
  await withEdge(["--disable-logging"], async (port, edge) => {
    const warm = await readAll(
      await send(port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
    );
    assert.match(warm.text, /^HTTP\/1\.1 200/);
    await new Promise((r) => setTimeout(r, 500));
    // private memory: the executable's mapped pages depend on the page cache, not on load
    const before = anonMiB(edge.pid);
    const rssBefore = rssMiB(edge.pid);
    const conns: Deno.Conn[] = [];
    const n = 10_000;
    try {
      for (let i = 0; i < n; i++) {
        const conn = await send(port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        conns.push(conn);
      }
      const buf = new Uint8Array(1024);
      for (const conn of conns) await conn.read(buf);
      // idle now: the binary collects the garbage of the burst 1-2 s after its last read
      await new Promise((r) => setTimeout(r, 3000));
      const after = anonMiB(edge.pid);
      const rss = rssMiB(edge.pid);
      const perConn = (after - before) * 1024 / n;
      console.log(
        `${n} idle connections: private memory ${before.toFixed(1)} -> ${after.toFixed(1)} MiB, ` +
          `RSS ${rssBefore.toFixed(1)} -> ${rss.toFixed(1)} MiB`,
      );
      assert.ok(perConn <= IDLE_KIB, `${perConn.toFixed(2)} KiB per idle connection`);
      // the target for the binary: the whole process in 80 MB
      if (BUN_BUILD) assert.ok(rss * 1.048576 <= 80, `RSS ${rss.toFixed(1)} MiB with ${n} idle`);
    } finally {
      for (const conn of conns) conn.close();
    }
  });
});
