/**
 * Request and response buffering shield a single worker from slow clients (as nginx does):
 * slow uploads and slow readers cost the edge a buffer and a temp file, never the worker.
 */
import assert from "node:assert/strict";
import {
  freePort,
  peakRssMiB,
  type Proc,
  readToEnd,
  run,
  startEdge,
  startUwsgi,
  tempDir,
  withEdge,
  writeAll,
} from "./helpers.ts";

const encoder = new TextEncoder();

/** GET / every 200 ms until `stop()`; resolves to the slowest answer's time (ms). */
function quickRequests(port: number): { stop: () => Promise<number[]> } {
  let running = true;
  const times: number[] = [];
  const loop = (async () => {
    while (running) {
      const started = Date.now();
      const res = await fetch(`http://127.0.0.1:${port}/`);
      assert.equal(await res.text(), "Hello World\n");
      times.push(Date.now() - started);
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return times;
    },
  };
}

/** One uWSGI worker, an edge in front (`args` added), `body` with the edge's port. */
async function withOneWorker(
  args: string[],
  body: (port: number, edge: Proc, backend: Proc) => Promise<void>,
) {
  const dir = tempDir();
  const sock = `${dir.path}/app.sock`;
  const backend = await startUwsgi(sock, ["--processes", "1"]);
  const port = freePort();
  const edge = await startEdge(["--http", `127.0.0.1:${port}`, "--http-to", sock, ...args]);
  try {
    await body(port, edge, backend);
  } finally {
    await edge.stop();
    await backend.stop("SIGINT");
    dir.cleanup();
  }
}

/** Temp files the edge holds open (they are unlinked at once: "(deleted)" in /proc). */
function tempFilesOpen(pid: number): number {
  let n = 0;
  for (const entry of Deno.readDirSync(`/proc/${pid}/fd`)) {
    try {
      if (Deno.readLinkSync(`/proc/${pid}/fd/${entry.name}`).includes("spool-")) n++;
    } catch {
      // closed meanwhile
    }
  }
  return n;
}

Deno.test("e2e: (a) a 100 KB/s upload does not hold the only worker; quick requests go on", async () => {
  await withOneWorker(["--disable-logging"], async (port, edge) => {
    const size = 500_000;
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await writeAll(
      conn,
      encoder.encode(
        `POST /echo?count HTTP/1.1\r\nHost: x\r\nContent-Length: ${size}\r\nConnection: close\r\n\r\n`,
      ),
    );
    const quick = quickRequests(port);
    const piece = new Uint8Array(10_000).fill(97);
    for (let sent = 0; sent < size; sent += piece.length) {
      await writeAll(conn, piece);
      await new Promise((r) => setTimeout(r, 100));
    }
    const answer = await readToEnd(conn);
    const times = await quick.stop();
    assert.match(answer, /^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\n500000$/);
    assert.ok(times.length >= 15, `${times.length} quick requests`);
    assert.ok(Math.max(...times) < 500, `slowest quick request ${Math.max(...times)} ms`);
    assert.equal(tempFilesOpen(edge.pid), 0);
    console.log(
      `(a) ${times.length} quick requests during the upload, slowest ${Math.max(...times)} ms`,
    );
  });
});

Deno.test("e2e: (b) a slow reader of 30 MB frees the worker at once and still gets every byte", async () => {
  await withOneWorker(["--disable-logging"], async (port, edge, backend) => {
    const size = 30 * 1024 * 1024;
    const started = Date.now() / 1000;
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await writeAll(
      conn,
      encoder.encode(`GET /timed/${size} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`),
    );
    const quick = quickRequests(port);
    const buf = new Uint8Array(65536);
    let got = 0;
    let spooled = 0;
    while (true) {
      const n = await conn.read(buf);
      if (n === null) break;
      got += n;
      spooled = Math.max(spooled, tempFilesOpen(edge.pid));
      // about 3 MB/s
      await new Promise((r) => setTimeout(r, 20));
    }
    conn.close();
    const times = await quick.stop();
    const done = Number(/timed \d+ done at ([\d.]+)/.exec(backend.output)?.[1]);
    assert.ok(done - started < 2, `the worker was done after ${(done - started).toFixed(2)} s`);
    assert.ok(Date.now() / 1000 - started > 4, "the client read slowly");
    assert.ok(got > size, `the client got ${got} bytes`);
    assert.equal(spooled, 1, "the response waited in a temp file");
    assert.ok(Math.max(...times) < 500, `slowest quick request ${Math.max(...times)} ms`);
    assert.equal(tempFilesOpen(edge.pid), 0, "the temp file is gone");
    console.log(
      `(b) worker done after ${(done - started).toFixed(2)} s, client after ${
        (Date.now() / 1000 - started).toFixed(1)
      } s, slowest quick request ${Math.max(...times)} ms`,
    );
  });
});

Deno.test("e2e: (c) X-Accel-Buffering: no and an event stream are flushed event by event", async () => {
  await withOneWorker(["--disable-logging"], async (port) => {
    for (const path of ["/events", "/unbuffered"]) {
      const res = await fetch(`http://127.0.0.1:${port}${path}`);
      assert.equal(res.headers.get("x-accel-buffering"), null, "the instruction is not relayed");
      const reader = res.body!.getReader();
      const arrivals: number[] = [];
      const started = Date.now();
      let text = "";
      while (true) {
        const { done, value } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
        arrivals.push(Date.now() - started);
      }
      assert.equal(text, "data: event 0\n\ndata: event 1\n\ndata: event 2\n\n");
      assert.ok(arrivals[0]! < 300, `${path}: first event after ${arrivals[0]} ms`);
      assert.ok(arrivals.length >= 3, `${path}: ${arrivals.length} pieces`);
      console.log(`(c) ${path}: pieces at ${arrivals.join(", ")} ms`);
    }
  });
});

Deno.test("e2e: (d) limits: 413 above http-max-body; 50 slow 20 MB uploads keep memory bounded", async () => {
  await withOneWorker(["--disable-logging", "--http-max-body", "25000000"], async (port, edge) => {
    const over = await Deno.connect({ hostname: "127.0.0.1", port });
    await writeAll(
      over,
      encoder.encode("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 30000000\r\n\r\n"),
    );
    assert.match(await readToEnd(over), /^HTTP\/1\.1 413 /);
    const size = 20_000_000;
    const mib = new Uint8Array(1_000_000).fill(122);
    const conns = await Promise.all(Array.from({ length: 50 }, async () => {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      await writeAll(
        conn,
        encoder.encode(
          `POST /echo?count HTTP/1.1\r\nHost: x\r\nContent-Length: ${size}\r\nConnection: close\r\n\r\n`,
        ),
      );
      return conn;
    }));
    let spooled = 0;
    for (let sent = 0; sent < size; sent += mib.length) {
      await Promise.all(conns.map((conn) => writeAll(conn, mib)));
      spooled = Math.max(spooled, tempFilesOpen(edge.pid));
    }
    const answers = await Promise.all(conns.map(readToEnd));
    assert.ok(answers.every((a) => a.endsWith("\r\n\r\n20000000")), answers[0]);
    assert.ok(spooled >= 40, `${spooled} uploads waited in temp files`);
    const peak = peakRssMiB(edge.pid);
    assert.ok(peak < 250, `edge peak RSS ${peak.toFixed(0)} MiB`);
    assert.equal(tempFilesOpen(edge.pid), 0, "every temp file is gone");
    console.log(
      `(d) ${spooled} uploads in temp files at once, edge peak RSS ${peak.toFixed(0)} MiB`,
    );
  });
});

Deno.test("e2e: with request buffering off, bodies stream to the worker whole", async () => {
  await withEdge(["--http-request-buffering=false"], async (port) => {
    for (const size of [10, 1000, 65536, 3_000_000]) {
      const body = new Uint8Array(size).map((_, i) => i % 251);
      // the head, then the body in another write: it arrives while the backend connects
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      await writeAll(
        conn,
        encoder.encode(
          `POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: ${size}\r\nConnection: close\r\n\r\n`,
        ),
      );
      await writeAll(conn, body);
      const answer = new Uint8Array(await new Response(conn.readable).arrayBuffer());
      const text = new TextDecoder().decode(answer.subarray(0, 200));
      assert.match(text, /^HTTP\/1\.1 200 /, `${size} bytes`);
      const start = answer.findIndex((_, i) =>
        answer[i] === 13 && answer[i + 1] === 10 && answer[i + 2] === 13 && answer[i + 3] === 10
      ) + 4;
      assert.deepEqual(answer.subarray(start), body, `${size} bytes`);
    }
  });
});

Deno.test("e2e: with request buffering off, the rest of a body answered early is never a request", async () => {
  await withEdge(["--http-request-buffering=false"], async (port) => {
    // "/" answers without reading the body; its end, sent after the answer, looks like a request
    const inner = "GET /env HTTP/1.1\r\nHost: smuggled\r\n\r\n";
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    try {
      await writeAll(
        conn,
        encoder.encode(
          `POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ${1000 + inner.length}\r\n\r\n` +
            "x".repeat(1000),
        ),
      );
      const buf = new Uint8Array(65536);
      let first = "";
      while (!first.endsWith("Hello World\n")) {
        const n = await conn.read(buf);
        if (n === null) break;
        first += new TextDecoder().decode(buf.subarray(0, n));
      }
      assert.match(first, /^HTTP\/1\.1 200 OK\r\n/);
      await writeAll(conn, encoder.encode(inner)).catch(() => {});
      // whatever comes within 2 s (a kept-alive connection would not end)
      let rest = "";
      const timer = setTimeout(() => conn.close(), 2000);
      try {
        for (let n = await conn.read(buf); n !== null; n = await conn.read(buf)) {
          rest += new TextDecoder().decode(buf.subarray(0, n));
        }
      } catch {
        // closed by the timer, or reset
      }
      clearTimeout(timer);
      assert.doesNotMatch(rest, /smuggled/, "the body's end was answered as a request");
      assert.doesNotMatch(rest, /HTTP\/1\.1/);
      // the connection cannot go on: the body's end would be read as the next request
      assert.match(first, /\r\nConnection: close\r\n/);
    } finally {
      try {
        conn.close();
      } catch {
        // closed by the timer
      }
    }
  });
});

Deno.test("e2e: with request buffering off, an app that answers before a big body ends is heard", async () => {
  await withEdge(["--http-request-buffering=false", "--disable-logging"], async (port) => {
    // uWSGI answers "/" and closes while the edge still writes the body: the write fails
    // (EPIPE), but the answer is there to read
    const dir = Deno.makeTempDirSync();
    try {
      Deno.writeFileSync(`${dir}/big.bin`, new Uint8Array(20_000_000));
      for (let i = 0; i < 5; i++) {
        const { code, out, err } = await run("curl", [
          "-s",
          "-o",
          "/dev/null",
          "-w",
          "%{http_code}",
          "--data-binary",
          `@${dir}/big.bin`,
          `http://127.0.0.1:${port}/`,
        ]);
        assert.equal(code, 0, err);
        assert.equal(out, "200", `upload ${i}`);
      }
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  });
});

Deno.test("e2e: a client still sending after an early answer finishes its body, then gets a FIN, not a reset", async () => {
  await withEdge(["--http-request-buffering=false", "--disable-logging"], async (port) => {
    // the app answers "/" without reading the body; the edge answers, then must keep reading
    // (and dropping) the rest: closing with unread bytes makes the kernel reset the
    // connection, and a client like curl then fails its upload ("Connection reset by peer")
    const length = 8 * 1024 * 1024;
    const piece = new Uint8Array(65536);
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    try {
      await writeAll(
        conn,
        encoder.encode(`POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ${length}\r\n\r\n`),
      );
      await writeAll(conn, piece);
      let answer = "";
      const buf = new Uint8Array(4096);
      while (!answer.endsWith("Hello World\n")) {
        const n = await conn.read(buf);
        assert.notEqual(n, null, `the connection ended before the answer: ${answer}`);
        answer += new TextDecoder().decode(buf.subarray(0, n!));
      }
      assert.match(answer, /^HTTP\/1\.1 200 OK\r\n/);
      assert.match(answer, /\r\nConnection: close\r\n/i);
      for (let sent = piece.length; sent < length; sent += piece.length) {
        await writeAll(conn, piece);
      }
      assert.equal(await conn.read(buf), null, "a FIN after the answer");
    } finally {
      conn.close();
    }
  });
});
