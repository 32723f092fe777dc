/** The native engine's HTTP/1.x behaviour, with raw sockets and curl, against real uWSGI. */
import assert from "node:assert/strict";
import { concatBytes } from "../../src/bytes.ts";
import {
  exchangeRaw,
  freePort,
  rawRequest,
  startEdge,
  startUwsgi,
  tempDir,
  withEdge,
} from "./helpers.ts";

async function curl(args: string[]): Promise<string> {
  const out = await new Deno.Command("curl", {
    args: ["-sS", ...args],
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  return new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
}

Deno.test("e2e: listeners on IPv4, IPv6 and a unix socket at once", async () => {
  const dir = tempDir();
  const sock = `${dir.path}/app.sock`;
  const backend = await startUwsgi(sock, []);
  const v4 = freePort();
  const v6 = freePort();
  const unix = `${dir.path}/edge.sock`;
  const edge = await startEdge([
    "--http",
    `:${v4}`,
    "--http",
    `[::1]:${v6}`,
    "--http-socket",
    unix,
    "--http-to",
    sock,
  ], { listeners: 3 });
  try {
    assert.equal(await curl([`http://127.0.0.1:${v4}/`]), "Hello World\n");
    assert.equal(await curl([`http://[::1]:${v6}/`]), "Hello World\n");
    assert.equal(await curl(["--unix-socket", unix, "http://localhost/"]), "Hello World\n");
    const env = JSON.parse(await curl([`http://[::1]:${v6}/env`]));
    assert.equal(env.REMOTE_ADDR, "::1");
    assert.equal(env.SERVER_PORT, String(v6));
    const viaUnix = JSON.parse(await curl(["--unix-socket", unix, "http://localhost/env"]));
    assert.equal(viaUnix.SERVER_PORT, "");
    assert.equal(viaUnix.REMOTE_ADDR, "0.0.0.0");
  } finally {
    await edge.stop();
    await backend.stop("SIGINT");
  }
  // a backend on IPv6 (uWSGI's own router cannot connect to one)
  const v6Backend = freePort();
  const backend6 = await startUwsgi(`[::1]:${v6Backend}`, ["--env", "NODE=six"]);
  const port = freePort();
  const edge6 = await startEdge(["--http", `127.0.0.1:${port}`, "--http-to", `[::1]:${v6Backend}`]);
  try {
    assert.equal(await curl([`http://127.0.0.1:${port}/node`]), "six");
  } finally {
    await edge6.stop();
    await backend6.stop("SIGINT");
    dir.cleanup();
  }
});

Deno.test("e2e: keep-alive, pipelining, HTTP/1.0 and malformed requests", async (t) => {
  await withEdge([], async (port, edge) => {
    await t.step("pipelined requests are answered in order on one connection", async () => {
      const out = await rawRequest(
        port,
        "GET /node HTTP/1.1\r\nHost: x\r\n\r\nGET /bytes/3 HTTP/1.1\r\nHost: x\r\n\r\n" +
          "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
      );
      const statuses = out.match(/HTTP\/1\.1 200 OK/g) ?? [];
      assert.equal(statuses.length, 3, out);
      assert.ok(
        out.indexOf("?") < out.indexOf("xxx") && out.indexOf("xxx") < out.indexOf("Hello World"),
      );
    });
    await t.step(
      "a sizeless body is chunked for HTTP/1.1 and close-delimited for HTTP/1.0",
      async () => {
        const one = await rawRequest(
          port,
          "GET /stream/5 HTTP/1.1\r\nHost: x\r\n\r\n" +
            "GET /node HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        );
        assert.match(one, /Transfer-Encoding: chunked\r\n/);
        assert.match(one, /\r\n\r\n5\r\nyyyyy\r\n0\r\n\r\nHTTP\/1\.1 200 OK\r\n/);
        // a Connection: close request gets a close-delimited body, also over HTTP/1.1
        const closing = await rawRequest(
          port,
          "GET /stream/5 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        );
        assert.match(closing, /Connection: close\r\n\r\nyyyyy$/);
        const zero = await rawRequest(port, "GET /stream/5 HTTP/1.0\r\n\r\n");
        assert.doesNotMatch(zero, /chunked/i);
        assert.match(zero, /\r\n\r\nyyyyy$/);
      },
    );
    await t.step("bodies around the sizes sent with their head arrive whole", async () => {
      // the first body bytes are copied to leave with the head up to a limit; past it the
      // head goes alone; the backend's pieces are 16 KiB (stream) or one write (bytes)
      const encoder = new TextEncoder();
      for (const size of [16383, 16385, 65536, 131072, 131073, 300000]) {
        const sized = await exchangeRaw(
          port,
          encoder.encode(`GET /bytes/${size} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`),
        );
        assert.equal(sized.body.length, size, `bytes/${size}`);
        assert.ok(sized.body.every((b) => b === 120), `bytes/${size}`);
        // keep-alive, so the body is chunked; the second request closes the connection
        const chunked = await exchangeRaw(
          port,
          encoder.encode(
            `GET /stream/${size} HTTP/1.1\r\nHost: x\r\n\r\n` +
              "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
          ),
        );
        assert.ok(chunked.headers.some(([n, v]) => n === "Transfer-Encoding" && v === "chunked"));
        assert.equal(chunked.body.length, size, `stream/${size}`);
        assert.ok(chunked.body.every((b) => b === 121), `stream/${size}`);
      }
    });
    await t.step("pieces read one by one arrive whole, sized and chunked", async () => {
      // each piece is a read of its own: copied behind its chunk's size line (16 KiB) or sent
      // as it came, and its memory given back once copied
      const encoder = new TextEncoder();
      for (const size of [16384, 40000]) {
        const expected = new Uint8Array(4 * size);
        for (let i = 0; i < 4; i++) expected.fill(97 + i, i * size, (i + 1) * size);
        const sized = await exchangeRaw(
          port,
          encoder.encode(`GET /pacedcl/${size} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`),
        );
        assertSameBytes(sized.body, expected, `pacedcl/${size}`);
        // keep-alive, so the body is chunked; the second request closes the connection
        const chunked = await exchangeRaw(
          port,
          encoder.encode(
            `GET /paced/${size} HTTP/1.1\r\nHost: x\r\n\r\n` +
              "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
          ),
        );
        assertSameBytes(chunked.body, expected, `paced/${size}`);
      }
    });
    await t.step("bodies read with their heads are echoed whole and logged", async () => {
      // one write: two requests with their bodies; the first body's read is given back once
      // copied, and neither the second request behind it nor the log lines may suffer
      const encoder = new TextEncoder();
      const first = pattern(40000, 7);
      const second = pattern(20000, 13);
      const request = concatBytes([
        encoder.encode(`POST /echo/first HTTP/1.1\r\nHost: x\r\nContent-Length: 40000\r\n\r\n`),
        first,
        encoder.encode(
          "POST /echo/second HTTP/1.1\r\nHost: x\r\nContent-Length: 20000\r\n" +
            "Connection: close\r\n\r\n",
        ),
        second,
      ]);
      const out = await exchangeRaw(port, request);
      assert.equal(out.status, 200);
      assertSameBytes(out.body.subarray(0, first.length), first, "echo/first");
      const rest = out.body.subarray(first.length);
      const headEnd = new TextDecoder("latin1").decode(rest).indexOf("\r\n\r\n") + 4;
      assert.match(new TextDecoder().decode(rest.subarray(0, headEnd)), /^HTTP\/1\.1 200 OK\r\n/);
      assertSameBytes(rest.subarray(headEnd), second, "echo/second");
      await edge.waitFor(/POST \/echo\/second => 200 20000 bytes/);
      assert.match(edge.output, /POST \/echo\/first => 200 40000 bytes/);
    });
    await t.step("HEAD and 204 carry no body, and the connection stays usable", async () => {
      const out = await rawRequest(
        port,
        "HEAD /bytes/10 HTTP/1.1\r\nHost: x\r\n\r\nGET /status/204 HTTP/1.1\r\nHost: x\r\n\r\n" +
          "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
      );
      assert.match(
        out,
        /^HTTP\/1\.1 200 OK\r\n[^]*Content-Length: 10\r\n([^\r\n]+\r\n)*\r\nHTTP\/1\.1 204 STATUS\r\n/,
      );
      assert.match(out, /Hello World\n$/);
    });
    await t.step("malformed requests get 400 and nothing reaches the backend", async () => {
      const proxied = () => (edge.output.match(/ via \//g) ?? []).length;
      await new Promise((r) => setTimeout(r, 100));
      const before = proxied();
      for (
        const bad of [
          "GARBAGE\r\n\r\n",
          "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\nabc",
          "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabc",
          "GET / HTTP/1.1\r\nBad Header: x\r\n\r\n",
        ]
      ) {
        const out = await rawRequest(port, bad);
        assert.match(out, /^HTTP\/1\.1 400 Bad Request\r\n/, bad);
        assert.match(out, /400 Bad Request\n$/);
        // the edge's own answers carry a Date, as every response does
        assert.match(out, /\r\nDate: \w{3}, \d{2} \w{3} \d{4} \d\d:\d\d:\d\d GMT\r\n/);
      }
      await edge.waitFor(/Malformed header line: "Bad Header: x"/);
      assert.equal(proxied(), before);
    });
    await t.step(
      "a client that half-closes after its request still gets the response",
      async () => {
        const conn = await Deno.connect({ hostname: "127.0.0.1", port });
        try {
          await conn.write(new TextEncoder().encode("GET /sleep/200 HTTP/1.1\r\nHost: x\r\n\r\n"));
          await conn.closeWrite();
          let out = "";
          const buf = new Uint8Array(4096);
          while (true) {
            const n = await conn.read(buf);
            if (n === null) break;
            out += new TextDecoder().decode(buf.subarray(0, n));
          }
          assert.match(out, /^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\nslept$/);
        } finally {
          conn.close();
        }
      },
    );
    await t.step("Expect: 100-continue gets its interim answer before the body", async () => {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      try {
        await conn.write(new TextEncoder().encode(
          "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n",
        ));
        const buf = new Uint8Array(1024);
        const n = await conn.read(buf);
        assert.equal(
          new TextDecoder().decode(buf.subarray(0, n!)),
          "HTTP/1.1 100 Continue\r\n\r\n",
        );
        await conn.write(new TextEncoder().encode("hello"));
        let rest = "";
        while (!rest.endsWith("hello")) {
          const m = await conn.read(buf);
          if (m === null) break;
          rest += new TextDecoder().decode(buf.subarray(0, m));
        }
        assert.match(rest, /^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\nhello$/);
      } finally {
        conn.close();
      }
    });
  });
});

Deno.test("e2e: idle keep-alive connections close after http-keepalive seconds; slow heads get 408", async (t) => {
  await withEdge(["--http-keepalive", "2", "--http-headers-timeout", "1"], async (port) => {
    const readAll = async (conn: Deno.Conn) => {
      let out = "";
      const buf = new Uint8Array(4096);
      while (true) {
        const n = await conn.read(buf).catch(() => null);
        if (n === null) return out;
        out += new TextDecoder().decode(buf.subarray(0, n));
      }
    };
    await t.step("an idle connection is closed after the keep-alive timeout", async () => {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      try {
        await conn.write(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
        const started = Date.now();
        const out = await readAll(conn);
        const took = Date.now() - started;
        assert.match(out, /^HTTP\/1\.1 200 OK\r\n[^]*Hello World\n$/);
        assert.ok(took >= 1800 && took < 3500, `closed after ${took} ms`);
      } finally {
        conn.close();
      }
    });
    await t.step("a head that never ends gets 408 after http-headers-timeout", async () => {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      try {
        await conn.write(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n"));
        const started = Date.now();
        const out = await readAll(conn);
        const took = Date.now() - started;
        assert.match(out, /^HTTP\/1\.1 408 Request Timeout\r\n[^]*Connection: close\r\n/);
        assert.ok(took >= 800 && took < 2500, `answered after ${took} ms`);
      } finally {
        conn.close();
      }
    });
    await t.step(
      "a client trickling its head byte by byte still gets 408 at the deadline",
      async () => {
        const conn = await Deno.connect({ hostname: "127.0.0.1", port });
        try {
          const started = Date.now();
          const head = "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + "a".repeat(100);
          let answer = "";
          const reader = (async () => {
            const buf = new Uint8Array(4096);
            while (true) {
              const n = await conn.read(buf).catch(() => null);
              if (n === null) return;
              answer += new TextDecoder().decode(buf.subarray(0, n));
            }
          })();
          for (const ch of head) {
            if (answer !== "") break;
            await conn.write(new TextEncoder().encode(ch)).catch(() => 0);
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
          await reader;
          const took = Date.now() - started;
          assert.match(answer, /^HTTP\/1\.1 408 Request Timeout\r\n/);
          assert.ok(took < 2000, `answered after ${took} ms`);
        } finally {
          conn.close();
        }
      },
    );
  });
});

/** Bodies are equal; else says where they differ (assert's diff of big arrays runs away). */
function assertSameBytes(actual: Uint8Array, expected: Uint8Array, what: string): void {
  let at = 0;
  while (at < actual.length && at < expected.length && actual[at] === expected[at]) at++;
  if (at === actual.length && at === expected.length) return;
  assert.fail(
    `${what}: ${actual.length} bytes, ${expected.length} expected; they differ from byte ${at}`,
  );
}

/** `length` bytes of a pattern that repeats only every 251 bytes. */
function pattern(length: number, step: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * step) % 251;
  return bytes;
}
