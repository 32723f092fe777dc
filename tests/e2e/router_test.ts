/** The standalone router against real uWSGI backends, through real HTTP. */
import assert from "node:assert/strict";
import {
  freePort,
  peakRssMiB,
  rawRequest,
  startEdge,
  startUwsgi,
  startUwsgiRouter,
  tempDir,
  withEdge,
} from "./helpers.ts";

{
  Deno.test("e2e: requests through the edge reach real uWSGI and come back intact", async (t) => {
    const dir = tempDir();
    const sock = `${dir.path}/app.sock`;
    const backend = await startUwsgi(sock, []);
    const port = freePort();
    const edge = await startEdge([
      "--http",
      `127.0.0.1:${port}`,
      "--http-to",
      sock,
    ]);
    const base = `http://127.0.0.1:${port}`;
    try {
      await t.step("GET with a query string", async () => {
        const res = await fetch(`${base}/env?a=1&b=%20x`);
        assert.equal(res.status, 200);
        const env = await res.json();
        assert.equal(env.QUERY_STRING, "a=1&b=%20x");
        assert.equal(env.PATH_INFO, "/env");
        assert.equal(env.REQUEST_URI, "/env?a=1&b=%20x");
        assert.equal(env.SERVER_PORT, String(port));
        assert.equal(env.UWSGI_ROUTER, "http");
      });
      await t.step({
        name: "PATH_INFO is percent-decoded like uWSGI does",
        fn: async () => {
          const res = await rawRequest(
            port,
            "GET /env/a%20b/%2e%2e/c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
          );
          assert.match(res, /"PATH_INFO": "\/env\/a b\/\.\.\/c"/);
        },
      });
      await t.step("HEAD has the length but no body", async () => {
        const res = await fetch(`${base}/bytes/1000`, { method: "HEAD" });
        assert.equal(res.headers.get("content-length"), "1000");
        assert.equal((await res.arrayBuffer()).byteLength, 0);
      });
      await t.step("POST bodies reach the app", async () => {
        const body = "z".repeat(100_000);
        const res = await fetch(`${base}/echo`, { method: "POST", body });
        assert.equal(await res.text(), body);
      });
      await t.step("duplicate headers are joined with ', '", async () => {
        const res = await rawRequest(
          port,
          "GET /env HTTP/1.1\r\nHost: x\r\nX-A: 1\r\nx-a: 2\r\nConnection: close\r\n\r\n",
        );
        assert.match(res, /"HTTP_X_A": "1, 2"/);
      });
      await t.step("a body without Content-Length streams to the end", async () => {
        const res = await fetch(`${base}/stream/300000`);
        assert.equal((await res.arrayBuffer()).byteLength, 300000);
      });
      await t.step("a backend's own chunked framing is not chunked twice", async () => {
        const res = await fetch(`${base}/chunked`);
        assert.equal(await res.text(), "hello world");
      });
      await t.step("status codes pass through", async () => {
        for (const code of [201, 204, 301, 404, 500]) {
          const res = await fetch(`${base}/status/${code}`, { redirect: "manual" });
          assert.equal(res.status, code);
          await res.body?.cancel();
        }
      });
      await t.step("a chunked upload reaches the app with CONTENT_LENGTH", async () => {
        const body = new ReadableStream({
          start(c) {
            c.enqueue(new TextEncoder().encode("abc"));
            c.enqueue(new TextEncoder().encode("defg"));
            c.close();
          },
        });
        const res = await fetch(`${base}/echo`, { method: "POST", body });
        assert.equal(await res.text(), "abcdefg");
      });
      await t.step("one access-log line per request names the node", async () => {
        await edge.waitFor(
          new RegExp(
            `127\\.0\\.0\\.1 GET /env\\?a=1&b=%20x => 200 \\d+ bytes in \\d+ ms via ${sock}`,
          ),
        );
      });
    } finally {
      await edge.stop();
      await backend.stop("SIGINT");
      dir.cleanup();
    }
  });
}

Deno.test("e2e: load balancing skips a dead node; all dead -> 502; slow -> 504", async (t) => {
  const dir = tempDir();
  const liveA = freePort();
  const liveB = `${dir.path}/b.sock`;
  const dead = freePort();
  const a = await startUwsgi(`127.0.0.1:${liveA}`, ["--env", "NODE=A"]);
  const b = await startUwsgi(liveB, ["--env", "NODE=B"]);
  const port = freePort();
  const edge = await startEdge([
    "--http",
    `127.0.0.1:${port}`,
    "--http-to",
    `localhost:${liveA}`,
    "--http-to",
    `127.0.0.1:${dead}`,
    "--http-to",
    liveB,
    "--http-timeout",
    "1",
  ]);
  const base = `http://127.0.0.1:${port}`;
  try {
    await t.step("round robin over live nodes; the dead one costs no error", async () => {
      const seen: string[] = [];
      for (let i = 0; i < 6; i++) {
        const res = await fetch(`${base}/node`);
        assert.equal(res.status, 200);
        seen.push(await res.text());
      }
      // A, (dead -> retried on B), A, B ... : the dead node is in its grace period after one try
      assert.deepEqual(seen, ["A", "B", "A", "B", "A", "B"]);
      await edge.waitFor(new RegExp(`cannot connect to node 127\\.0\\.0\\.1:${dead}`));
    });
    await t.step("backend silence beyond http-timeout gives 504", async () => {
      const started = Date.now();
      const res = await fetch(`${base}/sleep/3000`);
      assert.equal(res.status, 504);
      assert.equal(await res.text(), "504 Gateway Timeout\n");
      const took = Date.now() - started;
      assert.ok(took >= 900 && took < 2500, `took ${took} ms`);
    });
  } finally {
    await edge.stop();
    await a.stop("SIGINT");
    await b.stop("SIGINT");
  }
  await t.step("every node dead gives 502 with a short body, the log saying why", async () => {
    const port2 = freePort();
    const edge2 = await startEdge([
      "--http",
      `127.0.0.1:${port2}`,
      "--http-to",
      `127.0.0.1:${dead}`,
      "--http-to",
      `${dir.path}/missing.sock`,
    ]);
    try {
      const res = await fetch(`http://127.0.0.1:${port2}/`);
      assert.equal(res.status, 502);
      assert.equal(await res.text(), "502 Bad Gateway\n");
      // each node's own cause, in the same words on both runtimes
      await edge2.waitFor(/=> 502: no node could be connected/);
      const line = edge2.output.split("\n").find((l) => l.includes("no node could be"))!;
      assert.match(
        line,
        new RegExp(`127\\.0\\.0\\.1:${dead}: Connection refused \\(os error 111\\)`),
      );
      assert.match(line, /missing\.sock: No such file or directory \(os error 2\)/);
    } finally {
      await edge2.stop();
    }
  });
  dir.cleanup();
});

Deno.test("e2e: the app sees the same vars through the edge as through uWSGI's router", async () => {
  const dir = tempDir();
  const sock = `${dir.path}/app.sock`;
  const backend = await startUwsgi(sock, []);
  const edgePort = freePort();
  const routerPort = freePort();
  const edge = await startEdge([
    "--http",
    `127.0.0.1:${edgePort}`,
    "--http-to",
    sock,
    "--http-request-id=false",
    "--http-var",
    "EXTRA=1",
  ]);
  const router = await startUwsgiRouter(routerPort, ["--http-to", sock, "--http-var", "EXTRA=1"]);
  try {
    const targets = ["/env", "/env/a%20b?x=1&y", "/env/./p/../q?%zz", "/env/caf%C3%A9"];
    for (const target of targets) {
      const request = async (port: number) => {
        const out = await new Deno.Command("curl", {
          args: [
            "-sS",
            "--path-as-is",
            "-H",
            "Host: example.test",
            "-H",
            "X-Custom: v",
            "-H",
            "Content-Type: text/x",
            "-H",
            "Cookie: a=1",
            "--data-binary",
            "data",
            `http://127.0.0.1:${port}${target}`,
          ],
          stdout: "piped",
        }).output();
        return JSON.parse(new TextDecoder().decode(out.stdout));
      };
      const viaEdge = await request(edgePort);
      const viaRouter = await request(routerPort);
      // deliberate differences: REMOTE_PORT (uWSGI byte-swaps it), SERVER_NAME (hostname on
      // both, but stated), SERVER_PORT (the two listen on different ports)
      for (const env of [viaEdge, viaRouter]) {
        delete env.REMOTE_PORT;
        delete env.SERVER_PORT;
      }
      assert.deepEqual(viaEdge, viaRouter, target);
    }
  } finally {
    await edge.stop();
    await router.stop("SIGINT");
    await backend.stop("SIGINT");
    dir.cleanup();
  }
});

Deno.test("e2e: REMOTE_PORT is the client's real port", async () => {
  await withEdge([], async (port) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    try {
      const localPort = (conn.localAddr as Deno.NetAddr).port;
      await conn.write(
        new TextEncoder().encode("GET /env HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
      );
      let text = "";
      const buf = new Uint8Array(65536);
      while (true) {
        const n = await conn.read(buf);
        if (n === null) break;
        text += new TextDecoder().decode(buf.subarray(0, n));
      }
      assert.match(text, new RegExp(`"REMOTE_PORT": "${localPort}"`));
    } finally {
      conn.close();
    }
  });
});

Deno.test("e2e: 100 MB up and down stream through the edge in bounded memory", async () => {
  const dir = tempDir();
  const size = 100 * 1024 * 1024;
  try {
    await withEdge(["--disable-logging"], async (port, edge) => {
      const file = `${dir.path}/upload.bin`;
      using handle = Deno.openSync(file, { write: true, create: true });
      handle.truncate(size);
      const up = await new Deno.Command("curl", {
        args: [
          "-sS",
          "-X",
          "POST",
          "--data-binary",
          `@${file}`,
          `http://127.0.0.1:${port}/echo?count`,
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(
        new TextDecoder().decode(up.stdout),
        String(size),
        new TextDecoder().decode(up.stderr),
      );
      const down = await new Deno.Command("curl", {
        args: [
          "-sS",
          "-o",
          "/dev/null",
          "-w",
          "%{size_download}",
          `http://127.0.0.1:${port}/bytes/${size}`,
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(new TextDecoder().decode(down.stdout), String(size));
      const peak = peakRssMiB(edge.pid);
      assert.ok(peak < 150, `edge peak RSS ${peak.toFixed(1)} MiB`);
    });
  } finally {
    dir.cleanup();
  }
});

Deno.test("e2e: config errors exit 2 with one line naming option, place and value", async () => {
  const dir = tempDir();
  Deno.writeTextFileSync(`${dir.path}/bad.ini`, "[uwsgi]\nhttp = :8080\nhttp-timeout = ten\n");
  const { cmd, args } = (await import("./helpers.ts")).edgeCommand();
  const out = await new Deno.Command(cmd, {
    args: [...args, "--config", "bad.ini"],
    cwd: dir.path,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 2);
  assert.equal(
    new TextDecoder().decode(out.stderr),
    'uwsgi-edge: Cannot use option "http-timeout" (bad.ini:3) as it must be a non-negative integer: current value is "ten"\n',
  );
  dir.cleanup();
});
