/**
 * The byte-level packet writer against the readable reference (requestVars + encodePacket):
 * the same vars for generated requests, and the spec's vectors.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { findHeadEnd, parseRequestHead } from "../../src/http/request_parser.ts";
import { emptyFacts, encodeVars, requestPacket } from "../../src/http/request_packet.ts";
import { decodePacket } from "../../src/uwsgi/packet.ts";
import { requestVars } from "../../src/uwsgi/request_vars.ts";

const bytes = (text: string) => Uint8Array.from([...text].map((c) => c.charCodeAt(0)));

const template = {
  modifier1: 0,
  modifier2: 0,
  fixed: encodeVars([["SCRIPT_NAME", ""], ["SERVER_NAME", "vm"], ["SERVER_PORT", "8080"], [
    "UWSGI_ROUTER",
    "http",
  ]]),
  serverNameAsHost: false,
  extra: encodeVars([["X", "1"]]),
};
const facts = { ...emptyFacts(), remoteAddr: "127.0.0.1", remotePort: "40000" };

function fast(text: string) {
  const b = bytes(text);
  const head = parseRequestHead(b, 0, findHeadEnd(b, 0, 0, b.length));
  return decodePacket(requestPacket(head, template, facts)).vars;
}

function reference(method: string, target: string, headers: Array<[string, string]>) {
  return requestVars(
    {
      method,
      target,
      protocol: "HTTP/1.1",
      headers,
      remoteAddr: "127.0.0.1",
      remotePort: 40000,
      serverPort: "8080",
      https: false,
    },
    { hostname: "vm", serverNameAsHttpHost: false, extra: [["X", "1"]] },
  );
}

Deno.test("requestPacket() writes the vars of spec §1.6 in uWSGI's order", () => {
  const vars = fast(
    "POST /p%41th/x?q=1&r HTTP/1.1\r\nHost: h.example\r\nContent-Type: text/plain\r\n" +
      "Content-Length: 4\r\nX-A: 1\r\nx-a: 2\r\nUser-Agent: t\r\n\r\n",
  );
  assert.deepEqual(vars, [
    ["REQUEST_METHOD", "POST"],
    ["PATH_INFO", "/pAth/x"],
    ["REQUEST_URI", "/p%41th/x?q=1&r"],
    ["QUERY_STRING", "q=1&r"],
    ["SERVER_PROTOCOL", "HTTP/1.1"],
    ["SCRIPT_NAME", ""],
    ["SERVER_NAME", "vm"],
    ["SERVER_PORT", "8080"],
    ["UWSGI_ROUTER", "http"],
    ["REMOTE_ADDR", "127.0.0.1"],
    ["REMOTE_PORT", "40000"],
    ["HTTP_HOST", "h.example"],
    ["CONTENT_TYPE", "text/plain"],
    ["CONTENT_LENGTH", "4"],
    ["HTTP_X_A", "1, 2"],
    ["HTTP_USER_AGENT", "t"],
    ["X", "1"],
  ]);
});

Deno.test("requestPacket() sends one CONTENT_LENGTH for repeated equal lengths", () => {
  const vars = fast(
    "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\ncontent-length: 5, 5\r\n\r\n",
  );
  assert.deepEqual(vars.filter(([k]) => k === "CONTENT_LENGTH"), [["CONTENT_LENGTH", "5"]]);
});

Deno.test("requestPacket() agrees with the reference for generated requests", () => {
  const token = fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^`|~-]{1,12}$/);
  const value = fc.stringMatching(/^[\x21-\x7e]([\x20-\x7e]{0,30}[\x21-\x7e])?$/);
  const segment = fc.constantFrom("a", "b", ".", "..", "%41", "%2F", "%zz", "", "x y");
  const path = fc.array(segment, { maxLength: 6 }).map((s) => "/" + s.join("/"));
  const query = fc.option(fc.stringMatching(/^[a-z0-9=&%]{0,12}$/), { nil: undefined });
  fc.assert(
    fc.property(
      token,
      path,
      query,
      fc.array(fc.tuple(token, value), { maxLength: 8 }),
      (method, p, q, extra) => {
        const target = (p.replaceAll(" ", "%20")) + (q === undefined ? "" : `?${q}`);
        const headers: Array<[string, string]> = [
          ["Host", "h"],
          ...extra.filter(([n]) => !/^(host|content-length|transfer-encoding)$/i.test(n)),
        ];
        const text = `${method} ${target} HTTP/1.1\r\n` +
          headers.map(([n, v]) => `${n}: ${v}\r\n`).join("") + "\r\n";
        assert.deepEqual(fast(text), reference(method, target, headers));
      },
    ),
    { numRuns: 2000 },
  );
});
