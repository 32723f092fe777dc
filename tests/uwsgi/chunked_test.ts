import assert from "node:assert/strict";
import { ChunkedDecoder } from "../../src/uwsgi/chunked.ts";

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
