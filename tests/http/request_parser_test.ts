import assert from "node:assert/strict";
import { FIELD_DROPPED, FIELD_ROLES, FIELDS, RequestError } from "../../src/http/request_head.ts";
import { findHeadEnd, parseRequestHead } from "../../src/http/request_parser.ts";

const bytes = (text: string) => new Uint8Array([...text].map((c) => c.charCodeAt(0)));
const text = (b: Uint8Array, start: number, end: number) =>
  String.fromCharCode(...b.subarray(start, end));

/** The head as plain data: what a reader of the request sees. */
function parse(source: string, dropUnderscores = true) {
  const b = bytes(source);
  const end = findHeadEnd(b, 0, 0, b.length);
  if (end < 0) return null;
  const head = parseRequestHead(b, 0, end, dropUnderscores);
  const headers: Array<[string, string]> = [];
  for (let i = 0; i < head.count; i++) {
    if (FIELD_ROLES[i] === FIELD_DROPPED) continue;
    headers.push([
      text(b, FIELDS[i * 4]!, FIELDS[i * 4 + 1]!),
      text(b, FIELDS[i * 4 + 2]!, FIELDS[i * 4 + 3]!),
    ]);
  }
  return {
    method: head.method,
    target: head.target,
    http11: head.http11,
    headers,
    host: head.host,
    contentLength: head.contentLength,
    chunked: head.chunked,
    end: head.end,
  };
}

function rejects(source: string, status: number, message: string) {
  assert.throws(() => parse(source), (error: unknown) => {
    assert.ok(error instanceof RequestError);
    assert.equal(error.status, status);
    assert.equal(error.message, message);
    return true;
  });
}

Deno.test("parseRequestHead() reads the request line and headers in order", () => {
  assert.deepEqual(
    parse("POST /p%41th?q=1 HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nx-a:2\r\nX-C:  trail  \r\n\r\nbody"),
    {
      method: "POST",
      target: "/p%41th?q=1",
      http11: true,
      headers: [["Host", "h"], ["X-A", "1"], ["x-a", "2"], ["X-C", "trail"]],
      host: "h",
      contentLength: -1,
      chunked: false,
      end: 68,
    },
  );
});

Deno.test("parseRequestHead() accepts bare LF line ends (uWSGI hangs on them)", () => {
  const head = parse("GET / HTTP/1.0\nHost: h\n\n");
  assert.equal(head?.http11, false);
  assert.deepEqual(head?.headers, [["Host", "h"]]);
});

Deno.test("findHeadEnd() waits for the blank line and resumes where it stopped", () => {
  const b = bytes("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  assert.equal(findHeadEnd(b, 0, 0, 20), -1);
  assert.equal(findHeadEnd(b, 0, 20, b.length), b.length);
  // an earlier request's blank line before `start` is not taken for this one's
  const two = bytes("GET / HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n");
  assert.equal(findHeadEnd(two, 18, 18, two.length), -1);
});

Deno.test("parseRequestHead() rejects malformed request lines with 400", () => {
  rejects("GARBAGE\r\n\r\n", 400, 'Malformed request line: "GARBAGE"');
  rejects("GET /\r\n\r\n", 400, 'Malformed request line: "GET /"');
  rejects("GET / HTTP/1.1 extra\r\n\r\n", 400, 'Malformed request line: "GET / HTTP/1.1 extra"');
  rejects("GET / FOO/1.0\r\n\r\n", 400, 'Malformed request line: "GET / FOO/1.0"');
  rejects("G(T / HTTP/1.1\r\n\r\n", 400, 'Malformed request line: "G(T / HTTP/1.1"');
  rejects("GET /a\x00b HTTP/1.1\r\n\r\n", 400, 'Malformed request line: "GET /a\x00b HTTP/1.1"');
});

Deno.test("parseRequestHead() answers 505 to other HTTP versions", () => {
  rejects("GET / HTTP/2.0\r\n\r\n", 505, 'Unsupported protocol version "HTTP/2.0"');
});

Deno.test("parseRequestHead() rejects smuggling-prone header lines", () => {
  rejects("GET / HTTP/1.1\r\nHost : h\r\n\r\n", 400, 'Malformed header line: "Host : h"');
  rejects("GET / HTTP/1.1\r\nno colon\r\n\r\n", 400, 'Malformed header line: "no colon"');
  rejects(
    "GET / HTTP/1.1\r\nHost: h\r\nX-Fold: one\r\n  two\r\n\r\n",
    400,
    "Obsolete header line folding is not accepted",
  );
  rejects("GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n", 400, "A bare CR in the request head");
  rejects(
    "GET / HTTP/1.1\r\nHost: h\r\nX: a\x00b\r\n\r\n",
    400,
    "A control byte (0) in a header value",
  );
});

Deno.test("parseRequestHead() wants exactly one valid Host in HTTP/1.1", () => {
  rejects("GET / HTTP/1.1\r\n\r\n", 400, "An HTTP/1.1 request without a Host header");
  rejects("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "More than one Host header");
  rejects("GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400, 'An invalid Host "a b"');
  rejects("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400, 'An invalid Host "a/b"');
  rejects(
    `GET / HTTP/1.1\r\nHost: ${"a".repeat(256)}\r\n\r\n`,
    400,
    "A Host longer than 255 bytes",
  );
  assert.equal(parse("GET / HTTP/1.0\r\n\r\n")?.host, undefined);
  assert.equal(parse("GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n")?.host, "[::1]:8080");
});

Deno.test("parseRequestHead() drops header names with underscores unless told not to", () => {
  const source = "GET / HTTP/1.1\r\nHost: h\r\nContent_Length: 5\r\nX_Y: 2\r\nX-Ok: 1\r\n\r\n";
  assert.deepEqual(parse(source)?.headers, [["Host", "h"], ["X-Ok", "1"]]);
  assert.equal(parse(source)?.contentLength, -1);
  // allowed, except the spellings that would forge CONTENT_LENGTH / CONTENT_TYPE
  assert.deepEqual(parse(source, false)?.headers, [["Host", "h"], ["X_Y", "2"], ["X-Ok", "1"]]);
});

Deno.test("parseRequestHead() reads Content-Length and chunked framing", () => {
  assert.equal(parse("GET / HTTP/1.1\r\nHost: h\r\n\r\n")?.contentLength, -1);
  assert.equal(
    parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 12\r\n\r\n")?.contentLength,
    12,
  );
  assert.equal(
    parse("POST / HTTP/1.1\r\nHost: h\r\ncontent-length: 5\r\nContent-Length: 5\r\n\r\n")
      ?.contentLength,
    5,
  );
  assert.equal(
    parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 5\r\n\r\n")?.contentLength,
    5,
  );
  assert.equal(
    parse("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n")?.chunked,
    true,
  );
});

Deno.test("parseRequestHead() rejects conflicting or invalid framing", () => {
  const post = (headers: string) => `POST / HTTP/1.1\r\nHost: h\r\n${headers}\r\n`;
  rejects(
    post("Content-Length: 5\r\nContent-Length: 6\r\n"),
    400,
    "Conflicting Content-Length headers",
  );
  rejects(post("Content-Length: 5, 6\r\n"), 400, "Conflicting Content-Length headers");
  rejects(post("Content-Length: -1\r\n"), 400, 'Invalid Content-Length "-1"');
  rejects(post("Content-Length: abc\r\n"), 400, 'Invalid Content-Length "abc"');
  rejects(
    post("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n"),
    400,
    "Both Content-Length and Transfer-Encoding were sent",
  );
  rejects(
    post("Transfer-Encoding: gzip\r\n"),
    400,
    'Transfer-Encoding "gzip" does not end with chunked',
  );
  rejects(
    post("Transfer-Encoding: gzip, chunked\r\n"),
    501,
    'Transfer-Encoding "gzip, chunked" is not supported',
  );
  rejects(
    "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
    400,
    "Transfer-Encoding in an HTTP/1.0 request",
  );
});
