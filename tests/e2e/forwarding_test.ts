/** Behind CDNs and load balancers: trusted proxies, request ids, JSON access lines. */
import assert from "node:assert/strict";
import { rawRequest, readToEnd, withEdge } from "./helpers.ts";

/** The app's environ for a raw request (the /env route answers it as JSON). */
async function environ(
  port: number,
  headers = "",
): Promise<{ env: Record<string, string>; head: string }> {
  const out = await rawRequest(
    port,
    `GET /env HTTP/1.1\r\nHost: x\r\n${headers}Connection: close\r\n\r\n`,
  );
  const split = out.indexOf("\r\n\r\n");
  return { env: JSON.parse(out.slice(split + 4)), head: out.slice(0, split) };
}

const FORWARDED = "X-Forwarded-For: 203.0.113.9, 10.1.2.3\r\nX-Forwarded-Proto: https\r\n";

Deno.test("e2e: a trusted proxy's X-Forwarded-* are believed", async () => {
  await withEdge(["--http-trusted-proxies", "127.0.0.1, 10.0.0.0/8"], async (port) => {
    const { env } = await environ(port, FORWARDED);
    // 10.1.2.3 is a trusted proxy too: the client is the next address to the left
    assert.equal(env.REMOTE_ADDR, "203.0.113.9");
    assert.equal(env.HTTPS, "on");
    assert.equal(env["wsgi.url_scheme"], "https");
    assert.equal(env.HTTP_X_FORWARDED_FOR, "203.0.113.9, 10.1.2.3, 127.0.0.1");
    assert.equal(env.HTTP_X_FORWARDED_PROTO, "https");
  });
});

Deno.test("e2e: an untrusted client's X-Forwarded-* are replaced, never believed", async () => {
  await withEdge(["--http-trusted-proxies", "10.0.0.0/8"], async (port) => {
    const { env } = await environ(port, FORWARDED + "X-Request-Id: forged\r\n");
    assert.equal(env.REMOTE_ADDR, "127.0.0.1");
    assert.equal(env.HTTPS, undefined);
    assert.equal(env["wsgi.url_scheme"], "http");
    assert.equal(env.HTTP_X_FORWARDED_FOR, "127.0.0.1");
    assert.equal(env.HTTP_X_FORWARDED_PROTO, "http");
    assert.notEqual(env.HTTP_X_REQUEST_ID, "forged");
  });
});

Deno.test("e2e: every request gets an id, in the app's environ and the response", async () => {
  await withEdge(["--http-trusted-proxies", "127.0.0.1"], async (port) => {
    const one = await environ(port);
    const two = await environ(port);
    const id = one.env.HTTP_X_REQUEST_ID!;
    assert.match(id, /^[0-9a-f]{16}$/);
    assert.notEqual(two.env.HTTP_X_REQUEST_ID, id);
    assert.match(one.head, new RegExp(`\\r\\nX-Request-Id: ${id}\\r\\n`));
    // a trusted proxy's own id is kept
    const kept = await environ(port, "X-Request-Id: cdn-42\r\n");
    assert.equal(kept.env.HTTP_X_REQUEST_ID, "cdn-42");
    assert.match(kept.head, /\r\nX-Request-Id: cdn-42\r\n/);
    // the edge's own answers carry it too
    const notFound = await rawRequest(port, "GET / HTTP/1.1\r\nHost: x\r\nExpect: tea\r\n\r\n");
    assert.match(notFound, /^HTTP\/1\.1 417 [^]*\r\nX-Request-Id: [0-9a-f]{16}\r\n/);
  });
});

Deno.test("e2e: log-format json writes one JSON object per request", async () => {
  await withEdge(["--log-format", "json"], async (port, edge) => {
    const { env } = await environ(port);
    await edge.waitFor(/\{"time":.*"uri":"\/env"/);
    const line = edge.output.split("\n").find((l) => l.includes('"uri":"/env"'))!;
    const entry = JSON.parse(line);
    assert.deepEqual(Object.keys(entry), [
      "time",
      "id",
      "client",
      "method",
      "uri",
      "status",
      "bytes",
      "ms",
      "node",
      "upstream_ms",
    ]);
    assert.equal(entry.id, env.HTTP_X_REQUEST_ID);
    assert.equal(entry.client, "127.0.0.1");
    assert.equal(entry.status, 200);
    assert.ok(entry.upstream_ms >= 0 && entry.upstream_ms <= entry.ms);
    assert.match(entry.node, /app\.sock$/);
  });
});

/** A PROXY protocol v2 header (PROXY command, TCP over IPv4 or IPv6). */
function proxyV2(source: number[], port: number, v6 = false): Uint8Array {
  const signature = [13, 10, 13, 10, 0, 13, 10, 81, 85, 73, 84, 10];
  const addresses = v6
    ? [...source, ...new Array(16).fill(0), port >> 8, port & 255, 1, 187]
    : [...source, 10, 0, 0, 1, port >> 8, port & 255, 1, 187];
  return Uint8Array.from([
    ...signature,
    0x21,
    v6 ? 0x21 : 0x11,
    addresses.length >> 8,
    addresses.length & 255,
    ...addresses,
  ]);
}

Deno.test("e2e: PROXY protocol v2 (IPv4, IPv6, LOCAL) and v1; once enabled, required", async () => {
  await withEdge(["--http-enable-proxy-protocol"], async (port) => {
    const ask = async (prefix: Uint8Array) => {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      const request = new TextEncoder().encode(
        "GET /env HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
      );
      await conn.write(Uint8Array.from([...prefix, ...request]));
      return await readToEnd(conn);
    };
    const env = (text: string) => JSON.parse(text.slice(text.indexOf("\r\n\r\n") + 4));
    const v4 = env(await ask(proxyV2([203, 0, 113, 7], 5555)));
    assert.equal(v4.REMOTE_ADDR, "203.0.113.7");
    assert.equal(v4.REMOTE_PORT, "5555");
    const v6 = env(
      await ask(proxyV2([0x20, 0x01, 0x0d, 0xb8, ...new Array(11).fill(0), 1], 6666, true)),
    );
    assert.equal(v6.REMOTE_ADDR, "2001:db8::1");
    const local = Uint8Array.from([13, 10, 13, 10, 0, 13, 10, 81, 85, 73, 84, 10, 0x20, 0, 0, 0]);
    assert.equal(env(await ask(local)).REMOTE_ADDR, "127.0.0.1");
    const v1 = env(
      await ask(new TextEncoder().encode("PROXY TCP4 198.51.100.2 10.0.0.1 4444 80\r\n")),
    );
    assert.equal(v1.REMOTE_ADDR, "198.51.100.2");
    assert.match(await ask(new Uint8Array(0)), /^HTTP\/1\.1 400 Bad Request\r\n/);
  });
});
