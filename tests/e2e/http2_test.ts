/**
 * HTTP/2 (ALPN h2 on an https listener) as clients see it: the app's environ, bodies both
 * ways, HEAD and bodiless statuses, many streams on one connection, streams the client
 * resets, and a backend that is down. curl, nghttp and h2load are the clients.
 */
import assert from "node:assert/strict";
import { FakeBackend } from "./fake_backend.ts";
import {
  certificate,
  freePort,
  type Proc,
  run,
  startEdge,
  startUwsgi,
  tempDir,
} from "./helpers.ts";

/** curl over HTTP/2 (the self-signed certificate accepted). */
function curl(...args: string[]) {
  return run("curl", ["-sk", "--http2", ...args]);
}

/**
 * A uWSGI backend (`backendArgs`) and an edge on an https listener (`edgeArgs` added); runs
 * `body` with the listener's base URL; stops both.
 */
async function withHttpsEdge(
  backendArgs: string[],
  edgeArgs: string[],
  body: (base: string, dir: string, backend: Proc) => Promise<void>,
): Promise<void> {
  const dir = tempDir();
  await certificate(dir.path, "site");
  const sock = `${dir.path}/app.sock`;
  const backend = await startUwsgi(sock, backendArgs);
  const tls = freePort();
  const edge = await startEdge([
    "--https",
    `127.0.0.1:${tls},${dir.path}/site.crt,${dir.path}/site.key`,
    "--http-to",
    sock,
    ...edgeArgs,
  ]);
  try {
    await body(`https://127.0.0.1:${tls}`, dir.path, backend);
  } finally {
    await edge.stop();
    await backend.stop("SIGINT");
    dir.cleanup();
  }
}

Deno.test("e2e: HTTP/2 requests reach the app as HTTP/1.1 ones do", async (t) => {
  const dir = tempDir();
  await certificate(dir.path, "site");
  const sock = `${dir.path}/app.sock`;
  const backend = await startUwsgi(sock, []);
  const [tls, down] = [freePort(), freePort()];
  const keys = `${dir.path}/site.crt,${dir.path}/site.key`;
  const edge = await startEdge([
    "--https",
    `127.0.0.1:${tls},${keys}`,
    "--http-to",
    sock,
  ]);
  const base = `https://127.0.0.1:${tls}`;
  try {
    await t.step("the environ: the client's address, the protocol, headers as sent", async () => {
      const headers = ["-H", "Cookie: a=1", "-H", "Cookie: b=2", "-H", "X-Trace: t1"];
      const h2 = JSON.parse((await curl(...headers, `${base}/env/x?q=1&r=2`)).out);
      const h1 = JSON.parse((await curl("--http1.1", ...headers, `${base}/env/x?q=1&r=2`)).out);
      assert.equal(h2.SERVER_PROTOCOL, "HTTP/2.0");
      assert.equal(h1.SERVER_PROTOCOL, "HTTP/1.1");
      assert.equal(h2.REMOTE_ADDR, "127.0.0.1");
      assert.match(h2.REMOTE_PORT, /^[1-9]\d*$/);
      for (const key of ["PATH_INFO", "QUERY_STRING", "REQUEST_URI", "REQUEST_METHOD"]) {
        assert.equal(h2[key], h1[key], key);
      }
      assert.equal(h2.HTTP_HOST, `127.0.0.1:${tls}`);
      assert.equal(h2.HTTPS, "on");
      assert.equal(h2.HTTP_COOKIE, "a=1; b=2");
      assert.equal(h2.HTTP_X_TRACE, "t1");
    });
    await t.step("request bodies, with and without a length, reach the app whole", async () => {
      const file = `${dir.path}/body.bin`;
      const body = new Uint8Array(300_000).map((_, i) => (i * 7) % 251);
      Deno.writeFileSync(file, body);
      const sized = await run("curl", [
        "-sk",
        "--http2",
        "--data-binary",
        `@${file}`,
        "-o",
        `${dir.path}/sized.out`,
        `${base}/echo`,
      ]);
      assert.equal(sized.code, 0, sized.err);
      assert.deepEqual(Deno.readFileSync(`${dir.path}/sized.out`), body);
      // nghttp sends a body with no content-length: the edge counts it for the app
      const unsized = await run("nghttp", ["-d", file, `${base}/echo?count`]);
      assert.equal(unsized.code, 0, unsized.err);
      assert.equal(unsized.out, "300000");
    });
    await t.step("big and unsized responses arrive whole", async () => {
      const big = await curl(
        "-o",
        `${dir.path}/big.out`,
        "-w",
        "%{http_code}",
        `${base}/bytes/5000000`,
      );
      assert.equal(big.out, "200");
      assert.equal(Deno.statSync(`${dir.path}/big.out`).size, 5_000_000);
      const stream = await curl(`${base}/stream/70000`);
      assert.equal(stream.out.length, 70000);
    });
    await t.step("HEAD and bodiless statuses carry no body", async () => {
      const head = await curl("-I", `${base}/bytes/1000`);
      assert.match(head.out, /^HTTP\/2 200 \r\n/);
      assert.match(head.out, /\r\ncontent-length: 1000\r\n/i);
      for (const code of ["204", "304", "404"]) {
        const out = await curl(
          "-o",
          "/dev/null",
          "-w",
          "%{http_code} %{size_download}",
          `${base}/status/${code}`,
        );
        assert.equal(out.out, `${code} 0`);
      }
    });
    await t.step("many streams on one connection are all answered", async () => {
      const out = await run("h2load", ["-n", "400", "-c", "2", "-m", "50", `${base}/bytes/20000`]);
      assert.equal(out.code, 0, out.err);
      assert.match(out.out, /requests: 400 total, 400 started, 400 done, 400 succeeded/);
      assert.match(out.out, /status codes: 400 2xx/);
    });
    await t.step("bodies of streams in flight together come back whole and apart", async () => {
      // one connection, 12 uploads at once (some read slowly): the frames of all the streams
      // share the connection's writes, and none may leak into another or be cut
      const args: string[] = [];
      for (let i = 0; i < 12; i++) {
        const body = new Uint8Array(50_000 + i * 23_456);
        for (let at = 0; at < body.length; at += 65536) {
          crypto.getRandomValues(body.subarray(at, at + 65536));
        }
        Deno.writeFileSync(`${dir.path}/in${i}`, body);
        if (i > 0) args.push("--next");
        args.push("-sk", "--http2", "--data-binary", `@${dir.path}/in${i}`);
        if (i % 3 === 0) args.push("--limit-rate", "2M");
        args.push("-o", `${dir.path}/out${i}`, `${base}/echo`);
      }
      const out = await run("curl", ["--parallel", "--parallel-max", "12", ...args]);
      assert.equal(out.code, 0, out.err);
      for (let i = 0; i < 12; i++) {
        const sent = Deno.readFileSync(`${dir.path}/in${i}`);
        assert.deepEqual(Deno.readFileSync(`${dir.path}/out${i}`), sent, `upload ${i}`);
      }
    });
    await t.step("a client that gives up on its streams leaves the edge serving", async () => {
      const gaveUp = await curl("-m", "0.3", `${base}/sleep/1000`);
      assert.equal(gaveUp.code, 28); // curl's timeout
      // h2load cuts its connections off when the time is up, streams in flight
      await run("h2load", ["-c", "4", "-m", "20", "-D", "1", `${base}/stream/200000`]);
      const after = await curl(`${base}/`);
      assert.equal(after.out, "Hello World\n");
      assert.doesNotMatch(edge.output, /internal error|TypeError|Unhandled/i);
    });
    const slow = await startEdge([
      "--https",
      `127.0.0.1:${down},${keys}`,
      "--http-to",
      sock,
      "--http-timeout",
      "1",
    ]);
    try {
      await t.step("a body that stalls past http-timeout: 408", async () => {
        // curl sends the stream's head, then waits for body bytes from its stdin
        const child = new Deno.Command("curl", {
          args: [
            "-sk",
            "--http2",
            "-T",
            "-",
            "-m",
            "20",
            "-w",
            " %{http_code}",
            `https://127.0.0.1:${down}/echo`,
          ],
          stdin: "piped",
          stdout: "piped",
          stderr: "null",
        }).spawn();
        const started = Date.now();
        await slow.waitFor(/PUT \/echo => 408 0 bytes in \d+ ms/, 10_000);
        assert.ok(Date.now() - started < 5_000);
        // (curl shows the answer once its upload is over)
        await child.stdin.close();
        const out = new TextDecoder().decode((await child.output()).stdout);
        assert.equal(out, "408 Request Timeout\n 408");
      });
      await t.step("a client that reads nothing for http-timeout is cut off", async () => {
        // curl reads 1 byte a second: far behind what the edge sends
        await curl(
          "--limit-rate",
          "1",
          "-m",
          "5",
          "-o",
          "/dev/null",
          `https://127.0.0.1:${down}/bytes/50000000`,
        );
        assert.match(slow.output, /GET \/bytes\/50000000 via \S+: the client read nothing for 1 s/);
        assert.equal((await curl(`https://127.0.0.1:${down}/`)).out, "Hello World\n");
      });
    } finally {
      await slow.stop();
    }
  } finally {
    await edge.stop();
    await backend.stop("SIGINT");
  }
  const broken = await startEdge([
    "--https",
    `127.0.0.1:${down},${keys}`,
    "--http-to",
    `${dir.path}/nobody.sock`,
  ]);
  try {
    await t.step("a backend that is down: 502 with a body", async () => {
      const out = await curl("-w", " %{http_code}", `https://127.0.0.1:${down}/`);
      assert.equal(out.out, "502 Bad Gateway\n 502");
    });
  } finally {
    await broken.stop();
    dir.cleanup();
  }
});

Deno.test("e2e: a slow HTTP/2 reader of 100 MB frees the worker at once and gets every byte", async () => {
  await withHttpsEdge(["--processes", "1"], ["--disable-logging"], async (base, dir, backend) => {
    // more than the client's flow-control windows and the socket buffers hold
    const size = 100_000_000;
    const started = Date.now() / 1000;
    const out = await curl(
      "--limit-rate",
      "10M",
      "-o",
      `${dir}/timed.out`,
      "-w",
      "%{http_code}",
      `${base}/timed/${size}`,
    );
    const finished = Date.now() / 1000;
    assert.equal(out.out, "200");
    assert.equal(Deno.statSync(`${dir}/timed.out`).size, size);
    const done = Number(/timed \d+ done at ([\d.]+)/.exec(backend.output)?.[1]);
    assert.ok(finished - started > 6, "the client read slowly");
    // unbuffered, the worker would have been held until the client had everything
    assert.ok(done - started < 3, `the worker was done after ${(done - started).toFixed(2)} s`);
  });
});

Deno.test("e2e: an idle HTTP/2 connection is closed after http-keepalive; a slow answer is not cut", async () => {
  await withHttpsEdge([], ["--http-keepalive", "2"], async (base) => {
    // the client preface and an empty SETTINGS frame, then silence until the edge closes
    const idle = await run("python3", [
      "-c",
      `import socket, ssl, time
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
ctx.set_alpn_protocols(["h2"])
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", ${new URL(base).port})))
s.sendall(b"PRI * HTTP/2.0\\r\\n\\r\\nSM\\r\\n\\r\\n" + bytes([0, 0, 0, 4, 0, 0, 0, 0, 0]))
s.settimeout(15); t = time.time()
while s.recv(4096): pass
print(round((time.time() - t) * 1000))`,
    ]);
    assert.equal(idle.code, 0, idle.err);
    const lasted = Number(idle.out);
    assert.ok(lasted >= 1500 && lasted < 10_000, `the idle connection lasted ${lasted} ms`);
    // a stream in flight keeps its connection past the idle time
    const slow = await curl("-w", " %{http_code}", `${base}/sleep/3500`);
    assert.equal(slow.out, "slept 200");
  });
});

Deno.test("e2e: HTTP/2 gets http-auto-gzip as HTTP/1.1 does, and 413 above http-max-body", async (t) => {
  const edgeArgs = ["--http-auto-gzip", "--http-max-body", "100000"];
  await withHttpsEdge([], edgeArgs, async (base, dir) => {
    const text = "the quick brown fox jumps over the lazy dog\n".repeat(120);
    await t.step("gzipped for a client that takes gzip, without the router's field", async () => {
      const { out } = await curl("-i", "--compressed", `${base}/gzip/5000`);
      const [head, body] = out.split("\r\n\r\n");
      assert.match(head!, /\r\ncontent-encoding: gzip\r\n/);
      assert.match(head!, /\r\nvary: Accept-Encoding\r\n/);
      assert.doesNotMatch(head!, /uwsgi-encoding/i);
      assert.equal(body, text.slice(0, 5000));
    });
    await t.step("HEAD gets the fields its GET would get, and no body", async () => {
      const { out } = await curl("-sI", "-H", "accept-encoding: gzip", `${base}/gzip/5000`);
      assert.match(out, /^HTTP\/2 200/);
      assert.match(out, /\r\ncontent-encoding: gzip\r\n/);
      assert.match(out, /\r\nvary: Accept-Encoding\r\n/);
      assert.ok(out.endsWith("\r\n\r\n"), out);
    });
    await t.step("as it is for a client that does not (Vary still set)", async () => {
      const { out } = await curl("-i", `${base}/gzip/100`);
      const [head, body] = out.split("\r\n\r\n");
      assert.doesNotMatch(head!, /content-encoding|uwsgi-encoding/i);
      assert.match(head!, /\r\nvary: Accept-Encoding\r\n/);
      assert.equal(body, text.slice(0, 100));
    });
    await t.step("a server-sent-events stream is flushed event by event", async () => {
      const { out } = await run("nghttp", ["-v", "-H", "accept-encoding: gzip", `${base}/sse`]);
      assert.match(out, /content-encoding: gzip/);
      const frames = [...out.matchAll(/\[\s*([\d.]+)\] recv DATA frame/g)].map((m) => +m[1]!);
      // the app sleeps 400 ms after each of its 3 events: they must not arrive together
      assert.ok(frames.length >= 3 && frames.at(-1)! - frames[0]! >= 0.7, `DATA at ${frames}`);
    });
    await t.step("a body over http-max-body: 413, with or without a length", async () => {
      const file = `${dir}/big.bin`;
      Deno.writeFileSync(file, new Uint8Array(150_000));
      const sized = await curl(
        "-w",
        "%{http_code}",
        "-o",
        "/dev/null",
        "--data-binary",
        `@${file}`,
        `${base}/echo`,
      );
      assert.equal(sized.out, "413");
      const unsized = await run("nghttp", ["-v", "-d", file, `${base}/echo`]);
      assert.match(unsized.out, /:status: 413/);
      const small = await curl("--data-binary", "abc", `${base}/echo`);
      assert.match(small.out, /abc/);
    });
  });
});

/**
 * A raw HTTP/2 client (python, no HPACK library): sends the preface, an empty SETTINGS frame
 * and the frames `out` builds (python: `frame(kind, flags, stream, payload)`, `block(method,
 * path)` a header block of literals without Huffman, RFC 7541), without waiting for the
 * server's SETTINGS; reads for up to `seconds` and resolves to the frames back, by type.
 */
async function rawH2(port: number, out: string, seconds: number) {
  const result = await run("python3", [
    "-c",
    `import json, socket, ssl, struct
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
ctx.set_alpn_protocols(["h2"])
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", ${port})))
def frame(kind, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload
def block(method, path):
    # :method (2: GET, 3: POST), :scheme https, :authority and :path
    return bytes([method, 0x87, 0x41, 9]) + b"127.0.0.1" + bytes([0x04, len(path)]) + path
out = b"PRI * HTTP/2.0\\r\\n\\r\\nSM\\r\\n\\r\\n" + frame(4, 0, 0)
${out}
s.sendall(out)
s.settimeout(${seconds})
got = b""
try:
    while True:
        d = s.recv(65536)
        if not d: break
        got += d
except Exception: pass
names = {0: "DATA", 1: "HEADERS", 3: "RST_STREAM", 4: "SETTINGS", 6: "PING", 7: "GOAWAY", 8: "WINDOW_UPDATE"}
at, kinds = 0, {}
while at + 9 <= len(got):
    name = names.get(got[at + 3], str(got[at + 3]))
    kinds[name] = kinds.get(name, 0) + 1
    at += 9 + int.from_bytes(got[at:at + 3], "big")
print(json.dumps(kinds))`,
  ]);
  assert.equal(result.code, 0, result.err);
  return JSON.parse(result.out) as Record<string, number>;
}

/** `count` streams of GET `path` in one go, each reset at once (RST_STREAM CANCEL) if `reset`. */
function rawStreams(port: number, path: string, count: number, reset: boolean) {
  return rawH2(
    port,
    `for i in range(${count}):
    out += frame(1, 0x5, 2 * i + 1, block(0x82, b"${path}"))
    if ${reset ? "True" : "False"}: out += frame(3, 0, 2 * i + 1, struct.pack(">I", 8))`,
    3,
  );
}

Deno.test("e2e: HTTP/2 floods: streams reset at once cost no backend connection; over 128 are refused", async () => {
  const dir = tempDir();
  await certificate(dir.path, "site");
  const backend = FakeBackend.listen({ path: `${dir.path}/b.sock` });
  const port = freePort();
  const edge = await startEdge([
    "--https",
    `127.0.0.1:${port},${dir.path}/site.crt,${dir.path}/site.key`,
    "--http-to",
    `${dir.path}/b.sock`,
    "--disable-logging",
  ]);
  try {
    await rawStreams(port, "/reset", 500, true);
    const flooded = backend.connections;
    // frames split across two reads may let a few through; before, all 500 connected
    assert.ok(flooded < 25, `${flooded} of 500 reset streams made a backend connection`);
    // a stream that stays open is served (on a connection of its own)
    const ok = await curl("-w", " %{http_code}", `https://127.0.0.1:${port}/kept`);
    assert.equal(ok.out, "ok 0 200");
    assert.equal(backend.connections, flooded + 1);
    // 128 streams in flight per connection, as nginx: the 129th is refused, not queued
    const frames = await rawStreams(port, "/many", 129, false);
    assert.equal(frames.HEADERS, 128, JSON.stringify(frames));
    assert.equal(frames.RST_STREAM, 1, JSON.stringify(frames));
  } finally {
    await edge.stop();
    await backend.close();
    dir.cleanup();
  }
});

/** POST `path` with `content-length: 100` and only "ab" of it, then silence, for 2.5 s. */
function stalledUpload(port: number, path: string) {
  return rawH2(
    port,
    `head = block(0x83, b"${path}") + bytes([0x0f, 0x0d, 3]) + b"100"
out += frame(1, 0x4, 1, head) + frame(0, 0, 1, b"ab")`,
    2.5,
  );
}

Deno.test("e2e: HTTP/2 with request buffering off: bodies of known length stream to the backend", async (t) => {
  await withHttpsEdge(
    [],
    ["--http-request-buffering=false", "--http-max-body", "5000000"],
    async (base, dir) => {
      await t.step("whole, small to big", async () => {
        for (const size of [10, 65536, 3_000_000]) {
          const body = new Uint8Array(size).map((_, i) => i % 251);
          Deno.writeFileSync(`${dir}/up.bin`, body);
          const out = await run("curl", [
            "-sk",
            "--http2",
            "--data-binary",
            `@${dir}/up.bin`,
            "-o",
            `${dir}/down.bin`,
            `${base}/echo`,
          ]);
          assert.equal(out.code, 0, out.err);
          assert.deepEqual(Deno.readFileSync(`${dir}/down.bin`), body, `${size} bytes`);
        }
      });
      await t.step(
        "an app that answers before the body ends: the answer, the upload taken",
        async () => {
          // "/" reads no body; the edge takes the rest (and drops it) so the upload can end
          Deno.writeFileSync(`${dir}/up.bin`, new Uint8Array(4_000_000));
          const upload = ["20", "nghttp", "-v", "-d", `${dir}/up.bin`, `${base}/`];
          const out = await run("timeout", upload);
          assert.equal(out.code, 0, `nghttp exit ${out.code} (124: the upload never ended)`);
          assert.match(out.out, /:status: 200/);
          assert.match(out.out, /Hello World/);
        },
      );
      await t.step("over http-max-body: 413 at once, the rest of the upload stopped", async () => {
        Deno.writeFileSync(`${dir}/big.bin`, new Uint8Array(6_000_000));
        // nghttp: curl 7.88 reports no status when the stream is closed under its upload
        const out = await run("nghttp", ["-v", "-d", `${dir}/big.bin`, `${base}/echo`]);
        assert.match(out.out, /:status: 413/);
        assert.match(out.out, /recv RST_STREAM frame[^\n]*\n\s*\(error_code=NO_ERROR/);
      });
    },
  );
  const dir = tempDir();
  await certificate(dir.path, "site");
  const backend = FakeBackend.listen({ path: `${dir.path}/b.sock` });
  const [streamed, buffered] = [freePort(), freePort()];
  const edges = await Promise.all(
    [[streamed, "--http-request-buffering=false"], [buffered, "--http-request-buffering=true"]].map(
      ([port, option]) =>
        startEdge([
          "--https",
          `127.0.0.1:${port},${dir.path}/site.crt,${dir.path}/site.key`,
          "--http-to",
          `${dir.path}/b.sock`,
          "--http-timeout",
          "1",
          String(option),
        ]),
    ),
  );
  try {
    await t.step("a body that stalls reached the backend only when streamed", async () => {
      const kept = await stalledUpload(buffered, "/kept");
      assert.equal(backend.connections, 0, "buffered: the backend waits for the whole body");
      // buffered, the edge answers 408 itself (HEADERS) after http-timeout
      assert.equal(kept.HEADERS, 1, JSON.stringify(kept));
      const sent = await stalledUpload(streamed, "/sent");
      assert.equal(backend.connections, 1, "streamed: the backend got the start of the body");
      assert.equal(backend.requests.length, 0, "which never got the whole of it");
      // streamed, the stall cuts the stream after http-timeout: a reset, no answer
      assert.equal(sent.RST_STREAM, 1, JSON.stringify(sent));
    });
  } finally {
    await Promise.all(edges.map((edge) => edge.stop()));
    await backend.close();
    dir.cleanup();
  }
});
