import assert from "node:assert/strict";
import { MAX_RESPONSE_HEAD, parseResponseHead } from "../../src/uwsgi/response_head.ts";

const bytes = (text: string) => new Uint8Array([...text].map((c) => c.charCodeAt(0)));

function parse(text: string) {
  const b = bytes(text);
  return parseResponseHead(b, b.length);
}

Deno.test("parseResponseHead() reads a uWSGI response head and where the body starts", () => {
  const head = parse(
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello",
  );
  assert.deepEqual(head, {
    status: 200,
    reason: "OK",
    headers: [["Content-Type", "text/plain"], ["Content-Length", "5"]],
    bodyStart: 64,
  });
});

Deno.test("parseResponseHead() waits for the blank line", () => {
  assert.equal(parse("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"), null);
  assert.equal(parse("HTTP/1.1 2"), null);
});

Deno.test("parseResponseHead() accepts bare LF line ends and custom reasons", () => {
  const head = parse("HTTP/1.0 418 I am a teapot\nX: 1\n\n");
  assert.equal(head?.status, 418);
  assert.equal(head?.reason, "I am a teapot");
  assert.deepEqual(head?.headers, [["X", "1"]]);
});

Deno.test("parseResponseHead() translates a CGI-style Status header", () => {
  const head = parse("Status: 404 Not Found\r\nContent-Type: text/html\r\n\r\n");
  assert.equal(head?.status, 404);
  assert.deepEqual(head?.headers, [["Content-Type", "text/html"]]);
});

Deno.test("parseResponseHead() rejects garbage", () => {
  assert.throws(() => parse("\x00\x01garbage\r\n\r\n"), SyntaxError);
  assert.throws(() => parse("\x00\x01\x02\x03\x04\x05"), {
    name: "SyntaxError",
    message: "The response does not start with an HTTP status line",
  });
  assert.throws(() => parse("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n"), {
    name: "SyntaxError",
    message: 'A response header line has no name: "no colon here"',
  });
});

Deno.test("parseResponseHead() refuses a head longer than 64 KiB", () => {
  const long = "HTTP/1.1 200 OK\r\nX: " + "a".repeat(MAX_RESPONSE_HEAD);
  assert.throws(() => parse(long), {
    name: "RangeError",
    message: "The response head is longer than 65536 bytes",
  });
});
