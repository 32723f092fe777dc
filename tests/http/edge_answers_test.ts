import assert from "node:assert/strict";
import {
  admitRequest,
  healthAnswer,
  isHealthCheck,
  redirectAnswer,
} from "../../src/http/edge_answers.ts";
import { emptyFacts, encodeVars } from "../../src/http/request_packet.ts";
import { findHeadEnd, parseRequestHead } from "../../src/http/request_parser.ts";

const bytes = (text: string) => Uint8Array.from([...text].map((c) => c.charCodeAt(0)));
const text = (b: Uint8Array) => String.fromCharCode(...b);

function head(lines: string) {
  const b = bytes(lines.replaceAll("\n", "\r\n") + "\r\n");
  return parseRequestHead(b, 0, findHeadEnd(b, 0, 0, b.length));
}

const template = {
  modifier1: 0,
  modifier2: 0,
  fixed: encodeVars([["SERVER_PORT", "80"]]),
  serverNameAsHost: false,
  extra: new Uint8Array(0),
};
const config = { manageExpect: 0, maxBody: 0, bufferSize: 4096 };
const facts = emptyFacts();

Deno.test("redirectAnswer() sends the same URI to https, on the configured port", () => {
  const answer = text(
    redirectAnswer(head("GET /a?b=1 HTTP/1.1\nHost: x.test:8080\n"), "vm", "8443", true),
  );
  assert.match(answer, /^HTTP\/1\.1 301 Moved Permanently\r\n/);
  assert.match(answer, /\r\nLocation: https:\/\/x\.test:8443\/a\?b=1\r\n/);
  assert.doesNotMatch(answer, /Connection: close/);
  const closing = text(redirectAnswer(head("GET * HTTP/1.0\n"), "vm", "", false));
  assert.match(closing, /\r\nLocation: https:\/\/vm\/\r\n/);
  assert.match(closing, /\r\nConnection: close\r\n\r\n$/);
});

Deno.test("isHealthCheck() takes GET and HEAD on the path, with any query", () => {
  assert.equal(isHealthCheck(head("GET /healthz HTTP/1.1\nHost: x\n"), "/healthz"), true);
  assert.equal(isHealthCheck(head("HEAD /healthz?lb=1 HTTP/1.1\nHost: x\n"), "/healthz"), true);
  assert.equal(isHealthCheck(head("POST /healthz HTTP/1.1\nHost: x\n"), "/healthz"), false);
  assert.equal(isHealthCheck(head("GET /healthzz HTTP/1.1\nHost: x\n"), "/healthz"), false);
});

Deno.test("healthAnswer() is 200 or 503, without a body for HEAD", () => {
  const ok = text(healthAnswer(true, head("GET /h HTTP/1.1\nHost: x\n"), true));
  assert.match(ok, /^HTTP\/1\.1 200 OK\r\n[^]*Content-Length: 3\r\n[^]*\r\n\r\nok\n$/);
  const down = text(healthAnswer(false, head("HEAD /h HTTP/1.1\nHost: x\n"), false));
  assert.match(down, /^HTTP\/1\.1 503 Service Unavailable\r\n[^]*Connection: close\r\n\r\n$/);
});

Deno.test("admitRequest() gives the packet, or the status and cause of a refusal", () => {
  const get = admitRequest(head("GET / HTTP/1.1\nHost: x\n"), config, template, facts);
  assert.ok(get instanceof Uint8Array);
  const refusal = (lines: string, options = config) => {
    const answer = admitRequest(head(lines), options, template, facts);
    assert.ok(!(answer instanceof Uint8Array), "a refusal");
    return answer;
  };
  const expect = { ...config, manageExpect: 1 };
  assert.equal(
    refusal("PUT / HTTP/1.1\nHost: x\nExpect: x-y\nContent-Length: 1\n", expect).status,
    417,
  );
  const capped = { ...config, manageExpect: 100 };
  const big = refusal(
    "PUT / HTTP/1.1\nHost: x\nExpect: 100-continue\nContent-Length: 101\n",
    capped,
  );
  assert.deepEqual(big, { status: 413, cause: "Content-Length 101 over http-manage-expect 100" });
  const small = admitRequest(
    head("PUT / HTTP/1.1\nHost: x\nExpect: 100-Continue\nContent-Length: 100\n"),
    capped,
    template,
    facts,
  );
  assert.ok(small instanceof Uint8Array);
  assert.equal(
    refusal("POST / HTTP/1.1\nHost: x\nContent-Length: 11\n", { ...config, maxBody: 10 }).status,
    413,
  );
  const vars = refusal(`GET / HTTP/1.1\nHost: x\nX-Big: ${"v".repeat(5000)}\n`);
  assert.equal(vars.status, 431);
  assert.match(vars.cause, /more than buffer-size 4096 of the backends/);
});
