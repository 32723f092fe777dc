import assert from "node:assert/strict";
import {
  MAX_RESPONSE_HEAD,
  parseResponseHead,
  RESPONSE_ROLES,
  responseHeaders,
} from "../../src/uwsgi/response_head.ts";
import { ROLE_ACCEL, ROLE_HOP } from "../../src/uwsgi/response_fields.ts";

const bytes = (text: string) => new Uint8Array([...text].map((c) => c.charCodeAt(0)));
const text = (b: Uint8Array, start: number, end: number) =>
  String.fromCharCode(...b.subarray(start, end));

function parse(source: string) {
  const b = bytes(source);
  return parseResponseHead(b, b.length);
}

Deno.test("parseResponseHead() reads a uWSGI response head and where the body starts", () => {
  const head = parse(
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello",
  )!;
  assert.equal(head.status, 200);
  assert.equal(text(head.bytes, head.reasonStart, head.reasonEnd), "OK");
  assert.deepEqual(responseHeaders(head), [["Content-Type", "text/plain"], [
    "Content-Length",
    "5",
  ]]);
  assert.equal(head.contentLength, 5);
  assert.equal(head.bodyStart, 64);
});

Deno.test("parseResponseHead() waits for the blank line", () => {
  assert.equal(parse("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"), null);
  assert.equal(parse("HTTP/1.1 2"), null);
});

Deno.test("parseResponseHead() accepts bare LF line ends and custom reasons", () => {
  const head = parse("HTTP/1.0 418 I am a teapot\nX: 1\n\n")!;
  assert.equal(head.status, 418);
  assert.equal(text(head.bytes, head.reasonStart, head.reasonEnd), "I am a teapot");
  assert.deepEqual(responseHeaders(head), [["X", "1"]]);
});

Deno.test("parseResponseHead() translates a CGI-style Status header", () => {
  const head = parse("Status: 404 Not Found\r\nContent-Type: text/html\r\n\r\n")!;
  assert.equal(head.status, 404);
  assert.equal(head.cgiReason, "Not Found");
  assert.deepEqual(responseHeaders(head), [["Content-Type", "text/html"]]);
});

Deno.test("parseResponseHead() learns framing, gzip and buffering facts", () => {
  const head = parse(
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 10\r\n" +
      "Content-Type: text/event-stream; charset=utf-8\r\nX-Accel-Buffering: no\r\n" +
      "Connection: close\r\nuWSGI-Encoding: gzip\r\n\r\n",
  )!;
  // RFC 9112 §6.3: Transfer-Encoding wins over Content-Length
  assert.equal(head.chunked, true);
  assert.equal(head.contentLength, -1);
  assert.equal(head.eventStream, true);
  assert.equal(head.noBuffering, true);
  assert.equal(head.connectionClose, true);
  assert.equal(head.uwsgiGzip, true);
  assert.equal(RESPONSE_ROLES[0]! & ROLE_HOP, ROLE_HOP);
  assert.equal(RESPONSE_ROLES[3]! & ROLE_ACCEL, ROLE_ACCEL);
});

Deno.test("parseResponseHead() takes equal Content-Lengths as one and refuses differing ones", () => {
  assert.equal(
    parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n")!
      .contentLength,
    5,
  );
  assert.equal(parse("HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\n")!.contentLength, 5);
  assert.throws(() => parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"), {
    name: "SyntaxError",
    message: 'Conflicting Content-Length values "6"',
  });
  assert.throws(() => parse("HTTP/1.1 200 OK\r\nContent-Length: 5x\r\n\r\n"), SyntaxError);
});

Deno.test("parseResponseHead() rejects garbage and what could be relayed ambiguously", () => {
  assert.throws(() => parse("\x00\x01garbage\r\n\r\n"), SyntaxError);
  assert.throws(() => parse("\x00\x01\x02\x03\x04\x05"), {
    name: "SyntaxError",
    message: "The response does not start with an HTTP status line",
  });
  assert.throws(() => parse("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n"), {
    name: "SyntaxError",
    message: 'A response header line is malformed: "no "',
  });
  assert.throws(() => parse("HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n"), {
    name: "SyntaxError",
    message: "A bare CR in the response head",
  });
  assert.throws(() => parse("HTTP/1.1 200 OK\r\nX: a\x00b\r\n\r\n"), {
    name: "SyntaxError",
    message: "A control byte (0) in a response header",
  });
  assert.throws(() => parse("HTTP/1.1 200 OK\r\nX : a\r\n\r\n"), SyntaxError);
  assert.throws(() => parse("HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n"), {
    name: "SyntaxError",
    message: "A folded line in the response head",
  });
});

Deno.test("parseResponseHead() refuses a head longer than 64 KiB", () => {
  const long = "HTTP/1.1 200 OK\r\nX: " + "a".repeat(MAX_RESPONSE_HEAD);
  assert.throws(() => parse(long), {
    name: "RangeError",
    message: "The response head is longer than 65536 bytes",
  });
});
