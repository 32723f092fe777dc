/**
 * Backends that misbehave: the client gets the right status or is cut off (never a
 * truncated body passed as complete), the log says what happened, the edge keeps serving.
 */
import assert from "node:assert/strict";
import { FakeBackend, type Step } from "./fake_backend.ts";
import { alive, freePort, Proc, rawRequest, startEdge, tempDir, TEST_DATA } from "./helpers.ts";

const head = (extra = "") => `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n${extra}\r\n`;

/** Runs `body` with an edge in front of a fake backend answering every request with `steps`. */
async function withFake(
  steps: Step[],
  body: (port: number, edge: Proc, backend: FakeBackend) => Promise<void>,
  args: string[] = [],
) {
  const dir = tempDir();
  const backend = FakeBackend.listen({ path: `${dir.path}/fake.sock` }, () => steps);
  const port = freePort();
  const edge = await startEdge([
    "--http",
    `127.0.0.1:${port}`,
    "--http-to",
    `${dir.path}/fake.sock`,
    "--http-timeout",
    "1",
    ...args,
  ]);
  try {
    await body(port, edge, backend);
    // whatever happened, the edge still serves
    const after = await rawRequest(port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert.match(after, /^HTTP\/1\.1 \d{3} /);
  } finally {
    await edge.stop();
    await backend.close();
    dir.cleanup();
  }
}

const GET = "GET /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

Deno.test("e2e: backend faults get the right answer and a log line", async (t) => {
  await t.step("a body shorter than its Content-Length cuts the client off", async () => {
    await withFake(
      [{ send: head("Content-Length: 100\r\n") + "0123456789" }],
      async (port, edge) => {
        const out = await rawRequest(port, GET);
        assert.match(out, /^HTTP\/1\.1 200 OK\r\n/);
        assert.ok(out.endsWith("0123456789"), "the bytes that came are relayed, then the close");
        await edge.waitFor(
          /GET \/x via .*: the backend closed the connection before the response ended/,
        );
      },
    );
  });
  await t.step("a garbage head gets 502", async () => {
    await withFake([{ send: "\x00\x01\x02garbage\r\n\r\n" }], async (port, edge) => {
      assert.match(await rawRequest(port, GET), /^HTTP\/1\.1 502 Bad Gateway\r\n/);
      await edge.waitFor(/=> 502: node .*: the backend sent an invalid response/);
    });
  });
  await t.step("a bare CR in a backend header gets 502, never relayed", async () => {
    await withFake([{ send: head("X-Evil: a\rSet-Cookie: b\r\n") }], async (port) => {
      const out = await rawRequest(port, GET);
      assert.match(out, /^HTTP\/1\.1 502 Bad Gateway\r\n/);
      assert.doesNotMatch(out, /Evil|Set-Cookie/);
    });
  });
  await t.step("Transfer-Encoding with Content-Length: the length is dropped", async () => {
    const chunked = head("Transfer-Encoding: chunked\r\nContent-Length: 3\r\n") +
      "5\r\nhello\r\n0\r\n\r\n";
    await withFake([{ send: chunked }], async (port) => {
      // keep-alive, then a closing request: the first response must be chunked, complete
      const out = await rawRequest(port, GET.replace("Connection: close\r\n", "") + GET);
      const first = out.slice(0, out.indexOf("HTTP/1.1", 5));
      assert.doesNotMatch(first, /Content-Length/i);
      assert.match(first, /Transfer-Encoding: chunked\r\n/);
      assert.ok(first.endsWith("5\r\nhello\r\n0\r\n\r\n"), JSON.stringify(first.slice(-40)));
    });
  });
  await t.step("a 100 Continue before the real head is skipped", async () => {
    const steps = [{ send: "HTTP/1.1 100 Continue\r\n\r\n" }, {
      send: head("Content-Length: 2\r\n") + "ok",
    }];
    await withFake(steps, async (port) => {
      assert.match(await rawRequest(port, GET), /^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\nok$/);
    });
  });
  await t.step("a trickling backend within http-timeout is fine", async () => {
    const text = head("Content-Length: 5\r\n") + "hello";
    const steps: Step[] = [...text].flatMap((c) => [{ send: c }, { wait: 20 }]);
    await withFake(steps, async (port) => {
      assert.match(await rawRequest(port, GET), /\r\n\r\nhello$/);
    });
  });
  await t.step("silence gets 504 after http-timeout", async () => {
    await withFake([{ hang: true }], async (port, edge) => {
      const started = Date.now();
      assert.match(await rawRequest(port, GET), /^HTTP\/1\.1 504 Gateway Timeout\r\n/);
      assert.ok(Date.now() - started < 2500);
      await edge.waitFor(/=> 504: node .*: no answer for 1 s/);
    });
  });
  await t.step("silence in the middle of a body cuts the client off", async () => {
    await withFake([{ send: head("Content-Length: 10\r\n") + "01234" }, { hang: true }], async (
      port,
      edge,
    ) => {
      const out = await rawRequest(port, GET);
      assert.ok(out.endsWith("01234"));
      await edge.waitFor(/no data from the backend for 1 s/);
    });
  });
  await t.step("a backend that closes without a word gets 502", async () => {
    await withFake([], async (port, edge) => {
      assert.match(await rawRequest(port, GET), /^HTTP\/1\.1 502 Bad Gateway\r\n/);
      await edge.waitFor(/closed the connection without a response/);
    });
  });
});

for (const transport of ["tcp", "unix"]) {
  Deno.test(`e2e: a backend reset mid-body (${transport}) cuts the client, no last chunk`, async () => {
    const dir = tempDir();
    const address = transport === "tcp" ? `127.0.0.1:${freePort()}` : `${dir.path}/reset.sock`;
    const backend = new Proc("python3", [`${TEST_DATA}reset_backend.py`, address, "1000"], {
      env: { PATH: Deno.env.get("PATH") ?? "/usr/bin" },
    });
    await backend.waitFor(/ready/);
    const port = freePort();
    const edge = await startEdge(["--http", `127.0.0.1:${port}`, "--http-to", address]);
    try {
      // keep-alive: the body is chunked, and a complete one would end with the last chunk
      const out = await rawRequest(port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
      assert.match(out, /^HTTP\/1\.1 200 OK\r\n[^]*Transfer-Encoding: chunked\r\n/);
      assert.ok(!out.endsWith("0\r\n\r\n"), "a cut response must not look complete");
      await edge.waitFor(
        /GET \/ via .*: the backend (connection failed|closed the connection before the response ended)/,
      );
    } finally {
      await edge.stop();
      await backend.stop("SIGKILL");
      dir.cleanup();
    }
  });
}

Deno.test("e2e: a streamed body refused at once (no node for its key) gets its answer", async () => {
  const port = freePort();
  const edge = await startEdge([
    "--http",
    `127.0.0.1:${port}`,
    "--http-subscription-server",
    `127.0.0.1:${freePort()}`,
    "--http-request-buffering=false",
  ]);
  try {
    const post = "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n" +
      "Connection: close\r\n\r\n0123456789";
    for (let i = 0; i < 2; i++) {
      const answer = await rawRequest(port, post, 3000);
      assert.match(answer, /^HTTP\/1\.1 503 /, `request ${i}: ${answer.slice(0, 80)}`);
    }
    await edge.waitFor(/no node for the key "x"/);
    assert.ok(alive(edge.pid), "the edge is still running");
  } finally {
    const status = await edge.stop();
    assert.doesNotMatch(edge.output, /internal error/);
    assert.equal(status.code, 0);
  }
});
