import assert from "node:assert/strict";
import { h2ResponseHeaders, http1Head } from "../../src/http/h2_fields.ts";
import { RequestError } from "../../src/http/request_head.ts";
import { parseResponseHead } from "../../src/uwsgi/response_head.ts";

const text = (bytes: Uint8Array) => String.fromCharCode(...bytes);

function head(fields: string[]) {
  const target = { method: "", uri: "" };
  return { head: text(http1Head(fields, target)), target };
}

Deno.test("http1Head(): the request line and Host from the pseudo-headers", () => {
  const { head: out, target } = head([
    ":method",
    "GET",
    ":path",
    "/a?b=1",
    ":scheme",
    "https",
    ":authority",
    "example.com:8443",
    "accept",
    "*/*",
    "x-dup",
    "1",
    "x-dup",
    "2",
  ]);
  assert.equal(
    out,
    "GET /a?b=1 HTTP/1.1\r\nHost: example.com:8443\r\naccept: */*\r\nx-dup: 1\r\nx-dup: 2\r\n\r\n",
  );
  assert.deepEqual(target, { method: "GET", uri: "/a?b=1" });
});

Deno.test("http1Head(): cookie crumbs are one Cookie field again; host without :authority", () => {
  const { head: out } = head([
    ":method",
    "POST",
    ":path",
    "/",
    "cookie",
    "a=1",
    "host",
    "h.example",
    "cookie",
    "b=2",
  ]);
  assert.equal(out, "POST / HTTP/1.1\r\nHost: h.example\r\nCookie: a=1; b=2\r\n\r\n");
});

Deno.test("http1Head(): CONNECT targets its authority", () => {
  const { head: out, target } = head([":method", "CONNECT", ":authority", "db:5432"]);
  assert.equal(out, "CONNECT db:5432 HTTP/1.1\r\nHost: db:5432\r\n\r\n");
  assert.equal(target.uri, "db:5432");
});

Deno.test("http1Head(): line breaks and connection-specific fields are a 400", () => {
  for (
    const fields of [
      [":method", "GET", ":path", "/", "x-a", "1\r\nX-Forwarded-For: 1.2.3.4"],
      [":method", "GET", ":path", "/\nx", "x-a", "1"],
      [":method", "GET", ":path", "/", "transfer-encoding", "chunked"],
      [":method", "GET", ":path", "/", "connection", "close"],
    ]
  ) {
    assert.throws(
      () => http1Head(fields, { method: "", uri: "" }),
      (error: unknown) => error instanceof RequestError && error.status === 400,
      fields.join(" "),
    );
  }
});

Deno.test("h2ResponseHeaders(): lower-case names, repeats as arrays, hop-by-hop dropped", () => {
  const source = "HTTP/1.1 201 Created\r\nSet-Cookie: a=1\r\nConnection: close\r\n" +
    "Set-Cookie: b=2\r\nX-Accel-Buffering: no\r\nContent-Length: 0\r\n\r\n";
  const bytes = new Uint8Array([...source].map((c) => c.charCodeAt(0)));
  const parsed = parseResponseHead(bytes, bytes.length)!;
  const noGzip = { auto: false, gzip: false };
  assert.deepEqual(h2ResponseHeaders(parsed, [["X-Served-By", "edge"]], noGzip), {
    ":status": "201",
    "set-cookie": ["a=1", "b=2"],
    "content-length": "0",
    "x-served-by": "edge",
  });
});

/** The header object of `head` (an HTTP/1.1 head as text) with these gzip settings. */
function h2Headers(head: string, auto: boolean, gzip: boolean) {
  const bytes = new Uint8Array([...head].map((c) => c.charCodeAt(0)));
  return h2ResponseHeaders(parseResponseHead(bytes, bytes.length)!, [], { auto, gzip });
}

Deno.test("h2ResponseHeaders(): http-auto-gzip's fields as on HTTP/1.1", () => {
  const marked = "HTTP/1.1 200 OK\r\nuWSGI-Encoding: gzip\r\nVary: Cookie\r\n\r\n";
  // gzipped: the router's instruction dropped, Vary extended, the encoding said
  assert.deepEqual(h2Headers(marked, true, true), {
    ":status": "200",
    vary: "Cookie, Accept-Encoding",
    "content-encoding": "gzip",
  });
  // a client that does not take gzip: the same Vary, no encoding
  assert.deepEqual(h2Headers(marked, true, false), {
    ":status": "200",
    vary: "Cookie, Accept-Encoding",
  });
  // http-auto-gzip off: the backend's fields as they are
  assert.deepEqual(h2Headers(marked, false, false), {
    ":status": "200",
    "uwsgi-encoding": "gzip",
    vary: "Cookie",
  });
  // already encoded: Content-Encoding kept, Vary not extended
  const encoded = "HTTP/1.1 200 OK\r\nuWSGI-Encoding: gzip\r\nContent-Encoding: br\r\n\r\n";
  assert.deepEqual(h2Headers(encoded, true, false), { ":status": "200", "content-encoding": "br" });
});
