import assert from "node:assert/strict";
import { release, releaseTail } from "../../src/http/release.ts";

Deno.test("release gives back a whole big read, and nothing else", () => {
  const whole = new Uint8Array(20000);
  release(whole);
  assert.equal(whole.buffer.byteLength, 0);
  const small = new Uint8Array(1000);
  release(small);
  assert.equal(small.buffer.byteLength, 1000);
  // a view of part of a buffer: the rest may still be needed
  const big = new Uint8Array(40000);
  release(big.subarray(0, 30000));
  release(big.subarray(10000));
  assert.equal(big.buffer.byteLength, 40000);
});

Deno.test("releaseTail gives back a big buffer only through its last bytes", () => {
  const read = new Uint8Array(40000);
  // the body of a request whose head came first, but more bytes follow it
  releaseTail(read.subarray(200, 30000));
  assert.equal(read.buffer.byteLength, 40000);
  releaseTail(read.subarray(200));
  assert.equal(read.buffer.byteLength, 0);
  const small = new Uint8Array(10000);
  releaseTail(small.subarray(100));
  assert.equal(small.buffer.byteLength, 10000);
});
