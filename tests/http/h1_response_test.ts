import assert from "node:assert/strict";
import { clientResponse, type ClientSide } from "../../src/http/h1_response.ts";
import type { ResponseHead } from "../../src/uwsgi/response_head.ts";

const text = (bytes: Uint8Array) => String.fromCharCode(...bytes);

const backend = (headers: Array<[string, string]>, status = 200): ResponseHead => ({
  status,
  reason: "OK",
  headers,
  bodyStart: 0,
});

const http11: ClientSide = { method: "GET", http11: true, keepAlive: true, addHeaders: [] };
const http10: ClientSide = { method: "GET", http11: false, keepAlive: false, addHeaders: [] };

Deno.test("clientResponse() keeps a Content-Length response alive and adds add-header", () => {
  const out = clientResponse(backend([["Content-Type", "text/plain"], ["Content-Length", "5"]]), {
    ...http11,
    addHeaders: [["X-Edge", "1"]],
  });
  assert.equal(out.framing, "length");
  assert.equal(out.contentLength, 5);
  assert.equal(out.keepAlive, true);
  assert.equal(
    text(out.head),
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nX-Edge: 1\r\n\r\n",
  );
});

Deno.test("clientResponse() chunks a sizeless body for HTTP/1.1, never for HTTP/1.0", () => {
  const sizeless = backend([["Content-Type", "text/plain"]]);
  const one = clientResponse(sizeless, http11);
  assert.equal(one.framing, "chunk");
  assert.match(text(one.head), /Transfer-Encoding: chunked\r\n\r\n$/);
  const zero = clientResponse(sizeless, http10);
  assert.equal(zero.framing, "close");
  assert.equal(zero.keepAlive, false);
  assert.doesNotMatch(text(zero.head), /Transfer-Encoding/);
  assert.match(text(zero.head), /Connection: close\r\n\r\n$/);
});

Deno.test("clientResponse() relays a backend's chunked body as it is, or decodes it for HTTP/1.0", () => {
  const chunked = backend([["Transfer-Encoding", "chunked"]]);
  const one = clientResponse(chunked, http11);
  assert.equal(one.framing, "relay-chunked");
  assert.equal(text(one.head).match(/Transfer-Encoding/g)?.length, 1);
  assert.equal(clientResponse(chunked, http10).framing, "dechunk-close");
});

Deno.test("clientResponse() frames no body for HEAD, 204 and 304", () => {
  assert.equal(
    clientResponse(backend([["Content-Length", "10"]]), { ...http11, method: "HEAD" }).framing,
    "none",
  );
  for (const status of [204, 304]) {
    const out = clientResponse(backend([], status), http11);
    assert.equal(out.framing, "none");
    assert.equal(out.keepAlive, true);
    assert.doesNotMatch(text(out.head), /Transfer-Encoding/);
  }
});

Deno.test("clientResponse() drops hop-by-hop headers and honours the backend's Connection: close", () => {
  const out = clientResponse(
    backend([["Connection", "close"], ["Keep-Alive", "timeout=5"], ["Content-Length", "0"]]),
    http11,
  );
  assert.equal(out.keepAlive, false);
  assert.equal(text(out.head), "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
});

Deno.test("clientResponse() keeps HTTP/1.0 keep-alive when the body has a length", () => {
  const out = clientResponse(backend([["Content-Length", "1"]]), { ...http10, keepAlive: true });
  assert.equal(out.keepAlive, true);
  assert.match(text(out.head), /Connection: keep-alive\r\n\r\n$/);
});

Deno.test("clientResponse() does not trust conflicting Content-Lengths", () => {
  const out = clientResponse(backend([["Content-Length", "1"], ["Content-Length", "2"]]), http11);
  assert.equal(out.framing, "chunk");
  assert.doesNotMatch(text(out.head), /Content-Length/i);
});
