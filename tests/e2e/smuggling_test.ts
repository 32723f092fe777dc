/**
 * The malformed and smuggling-prone request corpus: each case is sent raw, followed on the
 * same connection by an innocent request; the test checks the statuses the client gets,
 * whether the edge closes, and exactly which requests (target and body) reached a recording
 * uwsgi backend. A rejected request must take what follows it down with it.
 */
import assert from "node:assert/strict";
import { FakeBackend, type Recorded } from "./fake_backend.ts";
import { freePort, startEdge, tempDir } from "./helpers.ts";

const FOLLOW = "GET /follow HTTP/1.1\r\nHost: a\r\n\r\n";
const follow = { uri: "/follow", body: "" };

interface Case {
  name: string;
  request: string;
  /** Statuses of the responses, in order. */
  statuses: number[];
  /** The edge closes the connection after them. */
  closed: boolean;
  /** What reached the backend, in order. */
  backend: Array<{ uri: string; body: string }>;
}

const post = (headers: string, body = "") => `POST /p HTTP/1.1\r\nHost: a\r\n${headers}\r\n${body}`;
const get = (headers: string) => `GET /g HTTP/1.1\r\nHost: a\r\n${headers}\r\n`;

/** Accepted: the case and the follow-up both answered 200 and both reach the backend. */
const ok = (name: string, request: string, uri: string, body = ""): Case => ({
  name,
  request,
  statuses: [200, 200],
  closed: false,
  backend: [{ uri, body }, follow],
});

/** Refused with `status` and closed: nothing (not even the follow-up) reaches the backend. */
const refused = (name: string, request: string, status = 400): Case => ({
  name,
  request,
  statuses: [status],
  closed: true,
  backend: [],
});

const CASES: Case[] = [
  // Content-Length and Transfer-Encoding together or repeated (RFC 9112 §6.3)
  refused("CL then TE", post("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n")),
  refused("TE then CL", post("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n", "0\r\n\r\n")),
  refused("two differing CLs", post("Content-Length: 5\r\nContent-Length: 6\r\n", "hello!")),
  ok(
    "two equal CLs become one",
    post("Content-Length: 5\r\nContent-Length: 5\r\n", "hello"),
    "/p",
    "hello",
  ),
  ok("a CL list of equal values", post("Content-Length: 5, 5\r\n", "hello"), "/p", "hello"),
  refused("a CL list of differing values", post("Content-Length: 5, 6\r\n", "hello!")),
  refused("a CL with a plus sign", post("Content-Length: +5\r\n", "hello")),
  refused("a negative CL", post("Content-Length: -5\r\n", "hello")),
  ok("a CL with spaces around", post("Content-Length:  5 \r\n", "hello"), "/p", "hello"),
  refused("a CL with letters", post("Content-Length: 5a\r\n", "hello")),
  refused("a hex CL", post("Content-Length: 0x5\r\n", "hello")),
  refused("a CL of 20 digits", post("Content-Length: 99999999999999999999\r\n", "x")),
  refused("an empty CL", post("Content-Length: \r\n", "")),
  {
    name: "a CL shorter than the body: the rest is a bad next request",
    request: post("Content-Length: 3\r\n", "abc@@"),
    statuses: [200, 400],
    closed: true,
    backend: [{ uri: "/p", body: "abc" }],
  },
  // Transfer-Encoding spellings
  ok("chunked", post("Transfer-Encoding: chunked\r\n", "5\r\nhello\r\n0\r\n\r\n"), "/p", "hello"),
  ok(
    "chunked without a space",
    post("Transfer-Encoding:chunked\r\n", "1\r\nz\r\n0\r\n\r\n"),
    "/p",
    "z",
  ),
  ok(
    "Chunked in capitals",
    post("Transfer-Encoding: CHUNKED\r\n", "1\r\nz\r\n0\r\n\r\n"),
    "/p",
    "z",
  ),
  ok(
    "chunked with a trailing space",
    post("Transfer-Encoding: chunked \r\n", "1\r\nz\r\n0\r\n\r\n"),
    "/p",
    "z",
  ),
  ok(
    "chunked after a tab",
    post("Transfer-Encoding:\tchunked\r\n", "1\r\nz\r\n0\r\n\r\n"),
    "/p",
    "z",
  ),
  refused("a space before the colon", post("Transfer-Encoding : chunked\r\n", "0\r\n\r\n")),
  refused("a tab before the colon", post("Transfer-Encoding\t: chunked\r\n", "0\r\n\r\n")),
  refused("xchunked", post("Transfer-Encoding: xchunked\r\n", "0\r\n\r\n")),
  refused("chunked, identity", post("Transfer-Encoding: chunked, identity\r\n", "0\r\n\r\n")),
  refused("identity, chunked", post("Transfer-Encoding: identity, chunked\r\n", "0\r\n\r\n"), 501),
  refused("gzip, chunked", post("Transfer-Encoding: gzip, chunked\r\n", "0\r\n\r\n"), 501),
  refused(
    "two TE chunked headers",
    post("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n"),
    501,
  ),
  refused(
    "TE chunked then identity",
    post("Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n", "0\r\n\r\n"),
  ),
  refused("a folded TE", post("Transfer-Encoding:\r\n chunked\r\n", "0\r\n\r\n")),
  refused("a vertical tab after chunked", post("Transfer-Encoding: chunked\x0b\r\n", "0\r\n\r\n")),
  {
    name: "Transfer_Encoding is dropped: its body is a bad next request",
    request: post("Transfer_Encoding: chunked\r\n", "0\r\n\r\n"),
    statuses: [200, 400],
    closed: true,
    backend: [{ uri: "/p", body: "" }],
  },
  // HTTP/1.0 with Transfer-Encoding (RFC 9112 §6.1)
  refused(
    "HTTP/1.0 keep-alive with TE",
    "POST /a HTTP/1.0\r\nHost: a\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n",
  ),
  refused(
    "HTTP/1.0 with TE and CL",
    "POST /a HTTP/1.0\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n",
  ),
  // chunk sizes
  ok(
    "a chunk extension",
    post("Transfer-Encoding: chunked\r\n", "5;ext=1\r\nhello\r\n0\r\n\r\n"),
    "/p",
    "hello",
  ),
  ok(
    "a quoted chunk extension",
    post("Transfer-Encoding: chunked\r\n", '5;a="b c"\r\nhello\r\n0\r\n\r\n'),
    "/p",
    "hello",
  ),
  ok(
    "an upper-case hex size",
    post("Transfer-Encoding: chunked\r\n", "A\r\n0123456789\r\n0\r\n\r\n"),
    "/p",
    "0123456789",
  ),
  ok(
    "leading zeros in the size",
    post("Transfer-Encoding: chunked\r\n", "0005\r\nhello\r\n0\r\n\r\n"),
    "/p",
    "hello",
  ),
  ok(
    "several chunks",
    post("Transfer-Encoding: chunked\r\n", "2\r\nhe\r\n3\r\nllo\r\n0\r\n\r\n"),
    "/p",
    "hello",
  ),
  ok(
    "trailers after the last chunk",
    post("Transfer-Encoding: chunked\r\n", "1\r\nz\r\n0\r\nX-T: 1\r\n\r\n"),
    "/p",
    "z",
  ),
  refused(
    "a request line where trailers go",
    post("Transfer-Encoding: chunked\r\n", "0\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n"),
  ),
  refused(
    "a trailer line without a colon",
    post("Transfer-Encoding: chunked\r\n", "1\r\nz\r\n0\r\nX-T\r\n\r\n"),
  ),
  refused(
    "a folded trailer line",
    post("Transfer-Encoding: chunked\r\n", "1\r\nz\r\n0\r\nX-T: 1\r\n 2\r\n\r\n"),
  ),
  refused(
    "trailers over 64 KiB",
    post(
      "Transfer-Encoding: chunked\r\n",
      `1\r\nz\r\n0\r\n${"X-T: 1234567890\r\n".repeat(4000)}\r\n`,
    ),
  ),
  ok(
    "16 KiB of chunk extensions",
    post("Transfer-Encoding: chunked\r\n", `1;${"e".repeat(16000)}\r\nz\r\n0\r\n\r\n`),
    "/p",
    "z",
  ),
  refused(
    "chunk extensions over 16 KiB",
    post(
      "Transfer-Encoding: chunked\r\n",
      `1;${"e".repeat(9000)}\r\nz\r\n1;${"e".repeat(9000)}\r\nz\r\n0\r\n\r\n`,
    ),
  ),
  ok(
    "a space before the size's CRLF",
    post("Transfer-Encoding: chunked\r\n", "1 \r\nz\r\n0\r\n\r\n"),
    "/p",
    "z",
  ),
  refused("a 0x size", post("Transfer-Encoding: chunked\r\n", "0x5\r\nhello\r\n0\r\n\r\n")),
  refused(
    "a space before the size",
    post("Transfer-Encoding: chunked\r\n", " 5\r\nhello\r\n0\r\n\r\n"),
  ),
  refused("a negative size", post("Transfer-Encoding: chunked\r\n", "-5\r\nhello\r\n0\r\n\r\n")),
  refused(
    "a 17-digit size",
    post("Transfer-Encoding: chunked\r\n", "fffffffffffffffff\r\nx\r\n0\r\n\r\n"),
  ),
  refused(
    "data longer than its size",
    post("Transfer-Encoding: chunked\r\n", "3\r\nhello\r\n0\r\n\r\n"),
  ),
  refused(
    "a size line with a bare CR",
    post("Transfer-Encoding: chunked\r\n", "5\r\rhello\r\n0\r\n\r\n"),
  ),
  refused("a size that is not hex", post("Transfer-Encoding: chunked\r\n", "g\r\nx\r\n0\r\n\r\n")),
  refused(
    "a chunked body over http-max-body",
    post("Transfer-Encoding: chunked\r\n", `7d0\r\n${"z".repeat(2000)}\r\n0\r\n\r\n`),
    413,
  ),
  refused(
    "a Content-Length over http-max-body",
    post("Content-Length: 5000\r\n", "z".repeat(10)),
    413,
  ),
  // bare CR, LF, NUL and other controls
  refused("a bare CR in a header value", get("X: a\rb\r\n")),
  refused("a NUL in a header value", get("X: a\x00b\r\n")),
  refused("a DEL in a header value", get("X: a\x7fb\r\n")),
  refused("a NUL in the target", "GET /a\x00b HTTP/1.1\r\nHost: a\r\n\r\n"),
  refused("a bare CR ending the request line", "GET / HTTP/1.1\rHost: a\r\n\r\n"),
  refused("a bare CR ending a header line", "GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n"),
  ok("bare LF line ends", "GET /lf HTTP/1.1\nHost: a\n\n", "/lf"),
  ok("mixed CRLF and LF", "GET /mix HTTP/1.1\r\nHost: a\nX: 1\r\n\n", "/mix"),
  ok("obs-text in a value passes", get("X: caf\xc3\xa9\r\n"), "/g"),
  refused("tabs between request line parts", "GET\t/\tHTTP/1.1\r\nHost: a\r\n\r\n"),
  refused("two spaces after the method", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n"),
  refused("a lower-case protocol", "GET / http/1.1\r\nHost: a\r\n\r\n"),
  refused("HTTP/1.2", "GET / HTTP/1.2\r\nHost: a\r\n\r\n", 505),
  refused("HTTP/2.0 in text", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505),
  refused("HTTP/1 without a minor", "GET / HTTP/1\r\nHost: a\r\n\r\n"),
  refused("a method with a bad byte", "GE(T / HTTP/1.1\r\nHost: a\r\n\r\n"),
  // obsolete line folding
  refused("a folded header", get("X: one\r\n two\r\n")),
  refused("a folded header with a tab", get("X: one\r\n\ttwo\r\n")),
  refused("a first header line starting with a space", "GET / HTTP/1.1\r\n Host: a\r\n\r\n"),
  // names
  refused("a space inside a header name", get("Bad Header: x\r\n")),
  refused("a header line without a colon", get("NoColon\r\n")),
  refused("an empty header name", get(": x\r\n")),
  {
    name: "Content_Length is dropped: its body is a bad next request",
    request: post("Content_Length: 5\r\n", "@@@@@"),
    statuses: [200, 400],
    closed: true,
    backend: [{ uri: "/p", body: "" }],
  },
  // Host rules (RFC 9112 §3.2)
  refused("HTTP/1.1 without Host", "GET / HTTP/1.1\r\nX: 1\r\n\r\n"),
  refused("two Hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
  refused("an empty Host", "GET / HTTP/1.1\r\nHost:\r\n\r\n"),
  refused("a Host with a space", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n"),
  refused("a Host with @", "GET / HTTP/1.1\r\nHost: user@a\r\n\r\n"),
  refused("a Host of 256 bytes", `GET / HTTP/1.1\r\nHost: ${"h".repeat(256)}\r\n\r\n`),
  ok("HTTP/1.0 without Host", "GET /ten HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", "/ten"),
  ok("a Host with a port", "GET /port HTTP/1.1\r\nHost: a:8080\r\n\r\n", "/port"),
  // sizes
  refused("a head over 64 KiB", get(`X: ${"a".repeat(70000)}\r\n`), 431),
  refused("300 header fields", get("X: 1\r\n".repeat(300)), 431),
  // odd but valid
  ok("an absolute-form target", "GET http://a/abs HTTP/1.1\r\nHost: a\r\n\r\n", "http://a/abs"),
  ok("OPTIONS *", "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", "*"),
  ok("a lower-case method", "get /lower HTTP/1.1\r\nHost: a\r\n\r\n", "/lower"),
  ok(
    "a GET with a body",
    "GET /gb HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi",
    "/gb",
    "hi",
  ),
  ok("empty lines before the request", "\r\n\r\nGET /blank HTTP/1.1\r\nHost: a\r\n\r\n", "/blank"),
  ok(
    "Expect: 100-continue with its body already sent",
    post("Content-Length: 2\r\nExpect: 100-continue\r\n", "hi"),
    "/p",
    "hi",
  ),
  refused(
    "an Expect the edge does not know",
    post("Content-Length: 2\r\nExpect: teapot\r\n", "hi"),
    417,
  ),
  {
    name: "Connection: close ends the connection after its response",
    request: get("Connection: close\r\n"),
    statuses: [200],
    closed: true,
    backend: [{ uri: "/g", body: "" }],
  },
  {
    name: "Connection: keep-alive, close means close",
    request: get("Connection: keep-alive, close\r\n"),
    statuses: [200],
    closed: true,
    backend: [{ uri: "/g", body: "" }],
  },
];

/** Sequential HTTP/1.1 responses parsed out of raw bytes (Content-Length framed). */
function statuses(raw: string): number[] {
  const out: number[] = [];
  let at = 0;
  while (at < raw.length) {
    const end = raw.indexOf("\r\n\r\n", at);
    if (end < 0) break;
    const head = raw.slice(at, end);
    const m = /^HTTP\/1\.1 (\d{3})/.exec(head);
    if (!m) break;
    out.push(Number(m[1]));
    const length = Number(/\r\ncontent-length: (\d+)/i.exec(head)?.[1] ?? "0");
    at = end + 4 + length;
  }
  return out;
}

/** Sends `bytes`, reads until the edge closes or `count` responses came and it went quiet. */
async function exchange(port: number, bytes: string, count: number) {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  let raw = "";
  let closed = false;
  try {
    await conn.write(Uint8Array.from([...bytes].map((c) => c.charCodeAt(0))));
    const buf = new Uint8Array(65536);
    const deadline = Date.now() + 3000;
    while (Date.now() < deadline) {
      const quiet = statuses(raw).length >= count ? 150 : 2000;
      const timer = new Promise<"quiet">((r) => setTimeout(() => r("quiet"), quiet));
      const read = conn.read(buf).catch(() => null);
      const n = await Promise.race([read, timer]);
      if (n === "quiet") {
        conn.close();
        await read;
        return { raw, closed };
      }
      if (n === null) {
        closed = true;
        break;
      }
      raw += String.fromCharCode(...buf.subarray(0, n));
    }
  } finally {
    try {
      conn.close();
    } catch {
      // closed above
    }
  }
  return { raw, closed };
}

function seen(requests: Recorded[]) {
  return requests.map((r) => ({
    uri: r.vars.get("REQUEST_URI") ?? "",
    body: String.fromCharCode(...r.body),
  }));
}

Deno.test("e2e: the smuggling corpus: statuses, closes and exactly what reached the backend", async (t) => {
  assert.ok(CASES.length >= 80, `${CASES.length} cases`);
  const dir = tempDir();
  const backend = FakeBackend.listen({ path: `${dir.path}/rec.sock` });
  const port = freePort();
  const edge = await startEdge([
    "--http",
    `127.0.0.1:${port}`,
    "--http-to",
    `${dir.path}/rec.sock`,
    "--http-max-body",
    "1000",
    "--disable-logging",
    "--http-quiet",
  ]);
  try {
    for (const c of CASES) {
      await t.step(c.name, async () => {
        const before = backend.requests.length;
        const { raw, closed } = await exchange(port, c.request + FOLLOW, c.statuses.length);
        assert.deepEqual(statuses(raw), c.statuses, JSON.stringify(raw.slice(0, 300)));
        assert.equal(closed, c.closed, "closed by the edge");
        // the backend may still be reading the last request
        await new Promise((r) => setTimeout(r, 20));
        assert.deepEqual(seen(backend.requests.slice(before)), c.backend);
      });
    }
  } finally {
    await edge.stop();
    await backend.close();
    dir.cleanup();
  }
});

Deno.test("e2e: a pipelined pair split at every byte gives the same answers", async () => {
  const dir = tempDir();
  const backend = FakeBackend.listen({ path: `${dir.path}/rec.sock` });
  const port = freePort();
  const edge = await startEdge([
    "--http",
    `127.0.0.1:${port}`,
    "--http-to",
    `${dir.path}/rec.sock`,
    "--disable-logging",
  ]);
  const pair = post("Transfer-Encoding: chunked\r\n", "3\r\nabc\r\n0\r\n\r\n") +
    "GET /second HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
  const bytes = Uint8Array.from([...pair].map((c) => c.charCodeAt(0)));
  try {
    for (let split = 1; split < bytes.length; split++) {
      const before = backend.requests.length;
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      await conn.write(bytes.subarray(0, split));
      await new Promise((r) => setTimeout(r, 2));
      await conn.write(bytes.subarray(split));
      let raw = "";
      const buf = new Uint8Array(65536);
      while (true) {
        const n = await conn.read(buf);
        if (n === null) break;
        raw += String.fromCharCode(...buf.subarray(0, n));
      }
      conn.close();
      assert.deepEqual(statuses(raw), [200, 200], `split at ${split}`);
      assert.deepEqual(seen(backend.requests.slice(before)), [
        { uri: "/p", body: "abc" },
        { uri: "/second", body: "" },
      ], `split at ${split}`);
    }
  } finally {
    await edge.stop();
    await backend.close();
    dir.cleanup();
  }
});
