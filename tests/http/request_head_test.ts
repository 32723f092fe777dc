import assert from "node:assert/strict";
import {
  findHeadEnd,
  parseRequestHead,
  RequestError,
  requestFraming,
} from "../../src/http/request_head.ts";

const bytes = (text: string) => new Uint8Array([...text].map((c) => c.charCodeAt(0)));

function parse(text: string) {
  const b = bytes(text);
  const end = findHeadEnd(b, 0, 0, b.length);
  if (end < 0) return null;
  return parseRequestHead(b, 0, end);
}

function rejects(text: string, status: number, message: string) {
  assert.throws(() => parse(text), (error: unknown) => {
    assert.ok(error instanceof RequestError);
    assert.equal(error.status, status);
    assert.equal(error.message, message);
    return true;
  });
}

Deno.test("parseRequestHead() reads the request line and headers in order", () => {
  const head = parse(
    "POST /p%41th?q=1 HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nx-a:2\r\nX-C:  trail  \r\n\r\nbody",
  );
  assert.deepEqual(head, {
    method: "POST",
    target: "/p%41th?q=1",
    protocol: "HTTP/1.1",
    headers: [["Host", "h"], ["X-A", "1"], ["x-a", "2"], ["X-C", "trail"]],
    headEnd: 68,
  });
});

Deno.test("parseRequestHead() accepts bare LF line ends (uWSGI hangs on them)", () => {
  const head = parse("GET / HTTP/1.0\nHost: h\n\n");
  assert.equal(head?.protocol, "HTTP/1.0");
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
});

Deno.test("parseRequestHead() answers 505 to other HTTP versions", () => {
  rejects("GET / HTTP/2.0\r\n\r\n", 505, 'Unsupported protocol version "HTTP/2.0"');
});

Deno.test("parseRequestHead() rejects smuggling-prone header lines", () => {
  rejects("GET / HTTP/1.1\r\nHost : h\r\n\r\n", 400, 'Malformed header line: "Host : h"');
  rejects("GET / HTTP/1.1\r\nno colon\r\n\r\n", 400, 'Malformed header line: "no colon"');
  rejects(
    "GET / HTTP/1.1\r\nX-Fold: one\r\n  two\r\n\r\n",
    400,
    "Obsolete header line folding is not accepted",
  );
});

Deno.test("requestFraming() reads Content-Length and chunked", () => {
  assert.deepEqual(requestFraming([]), { kind: "none" });
  assert.deepEqual(requestFraming([["Content-Length", "12"]]), { kind: "length", length: 12 });
  assert.deepEqual(requestFraming([["content-length", "5"], ["Content-Length", "5"]]), {
    kind: "length",
    length: 5,
  });
  assert.deepEqual(requestFraming([["Transfer-Encoding", "chunked"]]), { kind: "chunked" });
});

Deno.test("requestFraming() rejects conflicting or invalid framing", () => {
  const fails = (headers: Array<[string, string]>, status: number, message: string) =>
    assert.throws(() => requestFraming(headers), (error: unknown) => {
      assert.ok(error instanceof RequestError);
      assert.deepEqual([error.status, error.message], [status, message]);
      return true;
    });
  fails(
    [["Content-Length", "5"], ["Content-Length", "6"]],
    400,
    "Conflicting Content-Length headers",
  );
  fails([["Content-Length", "5, 6"]], 400, "Conflicting Content-Length headers");
  fails([["Content-Length", "-1"]], 400, 'Invalid Content-Length "-1"');
  fails([["Content-Length", "abc"]], 400, 'Invalid Content-Length "abc"');
  fails(
    [["Content-Length", "5"], ["Transfer-Encoding", "chunked"]],
    400,
    "Both Content-Length and Transfer-Encoding were sent",
  );
  fails([["Transfer-Encoding", "gzip"]], 400, 'Transfer-Encoding "gzip" does not end with chunked');
  fails(
    [["Transfer-Encoding", "gzip, chunked"]],
    501,
    'Transfer-Encoding "gzip, chunked" is not supported',
  );
});
