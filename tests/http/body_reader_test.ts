import assert from "node:assert/strict";
import { BodyReader } from "../../src/http/body_reader.ts";
import { ClientInput } from "../../src/http/client_input.ts";
import { RequestError } from "../../src/http/request_head.ts";

const text = (s: string) => new TextEncoder().encode(s);
const str = (b: Uint8Array) => new TextDecoder().decode(b);

/** Feeds `parts` one by one; returns the body pieces, the reader and what is left over. */
function read(length: number, parts: string[], limit = 0) {
  const reader = new BodyReader(length, limit);
  const input = new ClientInput();
  const pieces: string[] = [];
  const sink = { bodyPiece: (piece: Uint8Array) => pieces.push(str(piece)) };
  for (const part of parts) {
    input.append(text(part));
    reader.take(input, sink);
  }
  const rest = input.takeRest();
  return { reader, pieces, rest: rest === null ? "" : str(rest) };
}

Deno.test("BodyReader takes Content-Length bytes and leaves the next request's", () => {
  const { reader, pieces, rest } = read(5, ["he", "llo", "GET / HTTP/1.1\r\n"]);
  assert.deepEqual(pieces, ["he", "llo"]);
  assert.equal(reader.done, true);
  assert.equal(reader.received, 5);
  assert.equal(rest, "GET / HTTP/1.1\r\n");
});

Deno.test("BodyReader waits for the rest of a Content-Length body", () => {
  const { reader, pieces } = read(10, ["abc"]);
  assert.deepEqual(pieces, ["abc"]);
  assert.equal(reader.done, false);
});

Deno.test("BodyReader decodes a chunked body split anywhere and stops at its end", () => {
  const wire = "3\r\nabc\r\n4;ext=1\r\ndefg\r\n0\r\nX-Trailer: 1\r\n\r\nNEXT";
  for (let cut = 1; cut < wire.length; cut++) {
    const { reader, pieces, rest } = read(-1, [wire.slice(0, cut), wire.slice(cut)]);
    assert.equal(pieces.join(""), "abcdefg", `cut at ${cut}`);
    assert.equal(reader.done, true);
    assert.equal(reader.received, 7);
    assert.equal(rest, "NEXT");
  }
});

Deno.test("BodyReader refuses a malformed chunked body with 400", () => {
  assert.throws(
    () => read(-1, ["zz\r\nabc\r\n"]),
    (error: unknown) => error instanceof RequestError && error.status === 400,
  );
});

Deno.test("BodyReader refuses a chunked body past http-max-body with 413", () => {
  assert.throws(
    () => read(-1, ["4\r\nabcd\r\n4\r\nefgh\r\n0\r\n\r\n"], 6),
    (error: unknown) => error instanceof RequestError && error.status === 413,
  );
});
