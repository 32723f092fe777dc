import assert from "node:assert/strict";
import { ChunkedDecoder, MAX_EXTENSION_BYTES, MAX_TRAILER_BYTES } from "../../src/uwsgi/chunked.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

function decodeAll(pieces: string[]): { body: string; done: boolean } {
  const decoder = new ChunkedDecoder();
  let body = "";
  for (const piece of pieces) {
    for (const out of decoder.decode(enc.encode(piece))) body += dec.decode(out);
  }
  return { body, done: decoder.done };
}

Deno.test("ChunkedDecoder decodes a chunked body with extensions and trailers", () => {
  const wire = "5;ext=1\r\nhello\r\nA\r\n, world!!!\r\n0\r\nX-T: 1\r\n\r\n";
  assert.deepEqual(decodeAll([wire]), { body: "hello, world!!!", done: true });
});

Deno.test("ChunkedDecoder gives the same body however the input is split", () => {
  const wire = "3\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n";
  for (let cut = 1; cut < wire.length; cut++) {
    assert.deepEqual(decodeAll([wire.slice(0, cut), wire.slice(cut)]), {
      body: "abc0123456789abcdef",
      done: true,
    });
  }
});

Deno.test("ChunkedDecoder is not done before the last chunk", () => {
  assert.deepEqual(decodeAll(["3\r\nabc\r\n"]), { body: "abc", done: false });
});

Deno.test("ChunkedDecoder rejects malformed sizes and overlong chunks", () => {
  assert.throws(() => decodeAll(["zz\r\n"]), {
    name: "SyntaxError",
    message: "A chunk size is malformed",
  });
  assert.throws(() => decodeAll(["2\r\nabc\r\n"]), {
    name: "SyntaxError",
    message: "A chunk is longer than its size",
  });
  assert.throws(() => decodeAll(["11111111111111111\r\n"]), RangeError);
});

Deno.test("ChunkedDecoder takes trailer fields and drops them", () => {
  const wire = "3\r\nabc\r\n0\r\nX-Sum: 1\r\nExpires:\r\n\r\n";
  assert.deepEqual(decodeAll([wire]), { body: "abc", done: true });
  assert.deepEqual(decodeAll(["0\n", "X-Sum: 1\n\n"]), { body: "", done: true });
});

Deno.test("ChunkedDecoder rejects trailer lines that are not fields", () => {
  // a request line after the last chunk is not a trailer: it must not be swallowed as one
  for (const line of ["GET /env HTTP/1.1", "X Sum: 1", ": 1", " folded", "X-Sum"]) {
    assert.throws(() => decodeAll([`0\r\n${line}\r\n\r\n`]), SyntaxError, line);
  }
});

Deno.test("ChunkedDecoder limits chunk extensions and trailers, however they are split", () => {
  const ext = (n: number) => `1;${"e".repeat(n)}\r\na\r\n`;
  assert.equal(decodeAll([ext(8000), ext(8000), "0\r\n\r\n"]).done, true);
  assert.throws(() => decodeAll([ext(8000), ext(8000), ext(1000)]), {
    name: "RangeError",
    message: `The chunk extensions pass ${MAX_EXTENSION_BYTES} bytes`,
  });
  const field = `X: ${"t".repeat(1000)}\r\n`;
  assert.equal(decodeAll(["0\r\n", field.repeat(60), "\r\n"]).done, true);
  assert.throws(() => decodeAll(["0\r\n", ...Array(70).fill(field)]), {
    name: "RangeError",
    message: `The trailers pass ${MAX_TRAILER_BYTES} bytes`,
  });
});
