import assert from "node:assert/strict";
import { StaticPool } from "../../src/balancer/static_pool.ts";
import type { Config, NodeConfig } from "../../src/config/load.ts";
import { IdleSweeper } from "../../src/http/idle_sweeper.ts";
import { createProxyApp } from "../../src/http/proxy.ts";
import { Logger } from "../../src/log.ts";
import type { Conn, ConnectAddress } from "../../src/runtime/types.ts";
import { decodePacket } from "../../src/uwsgi/packet.ts";

const enc = new TextEncoder();

/** A scripted backend connection: records what it is sent, answers with `reply` pieces. */
class FakeConn implements Conn {
  written: number[] = [];
  closed = false;
  #pieces: Uint8Array[];
  #waiters: Array<() => void> = [];
  constructor(reply: Array<string | Uint8Array>, readonly hang = false) {
    this.#pieces = reply.map((p) => (typeof p === "string" ? enc.encode(p) : p));
  }
  read(buffer: Uint8Array): Promise<number | null> {
    if (this.closed) return Promise.reject(new Error("closed"));
    if (this.hang) {
      return new Promise((_, reject) => this.#waiters.push(() => reject(new Error("closed"))));
    }
    const piece = this.#pieces.shift();
    if (piece === undefined) return Promise.resolve(null);
    const n = Math.min(piece.length, buffer.length);
    buffer.set(piece.subarray(0, n));
    if (n < piece.length) this.#pieces.unshift(piece.subarray(n));
    return Promise.resolve(n);
  }
  write(bytes: Uint8Array): Promise<number> {
    this.written.push(...bytes);
    return Promise.resolve(bytes.length);
  }
  close(): void {
    this.closed = true;
    for (const wake of this.#waiters) wake();
  }
  /** The packet vars and the body bytes that followed. */
  sent(): { vars: Map<string, string>; body: string } {
    const bytes = new Uint8Array(this.written);
    const packet = decodePacket(bytes);
    const size = bytes[1]! | (bytes[2]! << 8);
    return { vars: new Map(packet.vars), body: new TextDecoder().decode(bytes.subarray(4 + size)) };
  }
}

const node = (spec: string): NodeConfig => ({ spec, address: { transport: "unix", path: spec } });

/** A proxy whose nodes are `/a.sock` etc.; a node missing from `backends` refuses. */
function setup(
  backends: Record<string, () => FakeConn>,
  over: Partial<Config> = {},
) {
  let now = 1_000_000;
  const config: Config = {
    listeners: [],
    nodes: Object.keys(backends).map(node),
    fallbacks: [],
    gracetime: 30,
    timeout: 60,
    connectTimeout: 60,
    headersTimeout: 60,
    keepalive: 1,
    modifier1: 0,
    modifier2: 0,
    vars: [],
    addHeaders: [],
    logging: true,
    quiet: false,
    serverNameAsHttpHost: false,
    maxChunkedBody: 1024,
    processes: 1,
    reloadMercy: 30,
    uwsgiBinary: "",
    engine: "hono",
    autoGzip: false,
    bufferSize: 65535,
    clientBufferSize: 8192,
    manageExpect: 1,
    proxyProtocol: false,
    xForwarded: false,
    subscriptionServer: undefined,
    subscriptionServerSpec: "",
    subscriptionFallbackKey: undefined,
    subscriptionAlgo: "wrr",
    subscriptionTolerance: 17,
    subscriptionDotsplit: false,
    stats: undefined,
    statsSpec: "",
    ...over,
  };
  const conns: FakeConn[] = [];
  const attempts: string[] = [];
  const logs: string[] = [];
  const sweeper = new IdleSweeper(() => now);
  const pool = new StaticPool(
    config.nodes.map((n) => ({ node: n, name: n.spec })),
    30_000,
    () => now,
  );
  const app = createProxyApp({
    config,
    pool,
    connect: (address: ConnectAddress) => {
      const name = address.transport === "unix" ? address.path : "";
      attempts.push(name);
      const make = backends[name];
      if (!make) return Promise.reject(new Error("Connection refused"));
      const conn = make();
      conns.push(conn);
      return Promise.resolve(conn);
    },
    hostname: "testhost",
    logger: new Logger((text) => logs.push(text), () => now),
    now: () => now,
    sweeper,
  });
  const env = {
    peer: { address: "127.0.0.1", port: 40000 },
    listener: {
      option: "http",
      spec: ":8080",
      serverPort: "8080",
      address: { transport: "tcp" as const, hostname: "0.0.0.0", port: 8080 },
    },
  };
  const request = (path: string, init?: RequestInit) => app.request(path, init, env);
  return {
    request,
    conns,
    attempts,
    logs,
    sweeper,
    pool,
    advance: (ms: number) => void (now += ms),
  };
}

const OK =
  "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello";

Deno.test("proxy sends the request vars and relays the backend's response", async () => {
  const t = setup({ "/a.sock": () => new FakeConn([OK]) }, {
    addHeaders: [["X-Edge", "1"]],
    vars: [["EXTRA", "v"]],
  });
  const res = await t.request("http://example.com/p%41th?q=1", { headers: { "X-A": "1" } });
  assert.equal(res.status, 200);
  assert.equal(await res.text(), "hello");
  assert.equal(res.headers.get("content-type"), "text/plain");
  assert.equal(res.headers.get("x-edge"), "1");
  assert.equal(res.headers.get("connection"), null);
  const { vars } = t.conns[0]!.sent();
  assert.equal(vars.get("PATH_INFO"), "/pAth");
  assert.equal(vars.get("REQUEST_URI"), "/p%41th?q=1");
  assert.equal(vars.get("QUERY_STRING"), "q=1");
  assert.equal(vars.get("HTTP_X_A"), "1");
  assert.equal(vars.get("SERVER_PORT"), "8080");
  assert.equal(vars.get("REMOTE_PORT"), "40000");
  assert.equal(vars.get("SERVER_NAME"), "testhost");
  assert.equal(vars.get("EXTRA"), "v");
  assert.ok(t.conns[0]!.closed);
  assert.match(
    t.logs.join(""),
    /127\.0\.0\.1 GET \/p%41th\?q=1 => 200 5 bytes in 0 ms via \/a\.sock/,
  );
});

Deno.test("proxy streams a response split across reads and without framing", async () => {
  const t = setup({
    "/a.sock": () => new FakeConn(["HTTP/1.1 200 OK\r\nX: 1", "\r\n\r\npart1", "part2"]),
  });
  const res = await t.request("/stream");
  assert.equal(await res.text(), "part1part2");
});

Deno.test("proxy decodes a chunked backend response instead of chunking it twice", async () => {
  const t = setup({
    "/a.sock": () =>
      new FakeConn([
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
        "6\r\n world\r\n0\r\n\r\n",
      ]),
  });
  const res = await t.request("/c");
  assert.equal(res.headers.get("transfer-encoding"), null);
  assert.equal(await res.text(), "hello world");
});

Deno.test("proxy retries the next node when one refuses, and skips it afterwards", async () => {
  const t = setup({ "/b.sock": () => new FakeConn([OK]) }, {
    nodes: [node("/dead.sock"), node("/b.sock")],
  });
  const first = await t.request("/");
  assert.equal(first.status, 200);
  assert.equal(await first.text(), "hello");
  const second = await t.request("/");
  assert.equal(await second.text(), "hello");
  assert.deepEqual(t.attempts, ["/dead.sock", "/b.sock", "/b.sock"]);
});

Deno.test("proxy answers 502 with a short body when no node can be connected", async () => {
  const t = setup({}, { nodes: [node("/x.sock"), node("/y.sock")] });
  const res = await t.request("/");
  assert.equal(res.status, 502);
  assert.equal(await res.text(), "502 Bad Gateway\n");
  assert.deepEqual(t.attempts, ["/x.sock", "/y.sock"]);
  assert.match(t.logs.join(""), /cannot connect to node \/x\.sock: Connection refused/);
  // both are within http-gracetime now: nothing is tried, still a 502
  const again = await t.request("/");
  assert.equal(again.status, 502);
  await again.body?.cancel();
  assert.equal(t.attempts.length, 2);
});

Deno.test("proxy stops after 3 retries", async () => {
  const names = ["/1", "/2", "/3", "/4", "/5"];
  const t = setup({ "/5": () => new FakeConn([OK]) }, { nodes: names.map(node) });
  const res = await t.request("/");
  assert.equal(res.status, 502);
  await res.body?.cancel();
  assert.deepEqual(t.attempts, ["/1", "/2", "/3", "/4"]);
});

Deno.test("proxy uses http-fallback nodes after the http-to nodes fail, and when all are in grace", async () => {
  const t = setup({ "/fb.sock": () => new FakeConn([OK]) }, {
    nodes: [node("/dead1.sock"), node("/dead2.sock")],
    fallbacks: [node("/fb.sock")],
  });
  assert.equal(await (await t.request("/")).text(), "hello");
  assert.equal(await (await t.request("/")).text(), "hello");
  assert.deepEqual(t.attempts, ["/dead1.sock", "/dead2.sock", "/fb.sock", "/fb.sock"]);
});

Deno.test("proxy answers 502 when the backend closes without a response or sends garbage", async () => {
  for (const reply of [[], ["\x00\x01\x02garbage\r\n\r\n"], ["HTTP/1.1 200 OK\r\nX: 1"]]) {
    const t = setup({ "/a.sock": () => new FakeConn(reply) });
    const res = await t.request("/");
    assert.equal(res.status, 502, JSON.stringify(reply));
    assert.equal(await res.text(), "502 Bad Gateway\n");
    assert.ok(t.conns[0]!.closed);
  }
});

Deno.test("proxy answers 504 after http-timeout of backend silence", async () => {
  const t = setup({ "/a.sock": () => new FakeConn([], true) }, { timeout: 2 });
  const pending = t.request("/slow");
  await new Promise((r) => setTimeout(r, 0));
  t.advance(2000);
  t.sweeper.sweep();
  const res = await pending;
  assert.equal(res.status, 504);
  assert.equal(await res.text(), "504 Gateway Timeout\n");
  assert.match(t.logs.join(""), /no answer for 2 s before the response head/);
  t.sweeper.close();
});

Deno.test("proxy refuses a var block over 65535 bytes with 431, sending nothing", async () => {
  const t = setup({ "/a.sock": () => new FakeConn([OK]) });
  const res = await t.request("/", { headers: { Cookie: "x".repeat(70000) } });
  assert.equal(res.status, 431);
  await res.body?.cancel();
  assert.deepEqual(t.attempts, []);
});

Deno.test("proxy buffers a chunked upload and sends it with CONTENT_LENGTH", async () => {
  const t = setup({ "/a.sock": () => new FakeConn([OK]) });
  const body = new ReadableStream({
    start(c) {
      c.enqueue(enc.encode("abc"));
      c.enqueue(enc.encode("def"));
      c.close();
    },
  });
  const res = await t.request("/up", {
    method: "POST",
    body,
    headers: { "Transfer-Encoding": "chunked" },
  });
  await res.body?.cancel();
  const sent = t.conns[0]!.sent();
  assert.equal(sent.vars.get("CONTENT_LENGTH"), "6");
  assert.equal(sent.vars.has("HTTP_TRANSFER_ENCODING"), false);
  assert.equal(sent.body, "abcdef");
});

Deno.test("proxy answers 413 to a chunked upload above http-max-chunked-body", async () => {
  const t = setup({ "/a.sock": () => new FakeConn([OK]) }, { maxChunkedBody: 4 });
  const body = new ReadableStream({
    start(c) {
      c.enqueue(enc.encode("abcdef"));
      c.close();
    },
  });
  const res = await t.request("/up", { method: "POST", body });
  assert.equal(res.status, 413);
  await res.body?.cancel();
  assert.deepEqual(t.attempts, []);
});

Deno.test("proxy streams a Content-Length upload after the packet", async () => {
  const t = setup({ "/a.sock": () => new FakeConn([OK]) });
  const res = await t.request("/up", {
    method: "POST",
    body: "0123456789",
    headers: { "Content-Length": "10" },
  });
  assert.equal(await res.text(), "hello");
  const sent = t.conns[0]!.sent();
  assert.equal(sent.vars.get("CONTENT_LENGTH"), "10");
  assert.equal(sent.body, "0123456789");
});
