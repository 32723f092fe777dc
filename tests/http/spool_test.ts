import assert from "node:assert/strict";
import { Spool } from "../../src/http/spool.ts";

const noFile = () => {
  throw new Error("no temp file in this test");
};

Deno.test("Spool copies a small part of a big read buffer before it waits, not a big part", () => {
  const spool = new Spool(1 << 20, 0, noFile);
  const read = new Uint8Array(262144).fill(7);
  const small = read.subarray(0, 20000);
  const big = read.subarray(0, 100000);
  spool.push(small);
  spool.push(big);
  const first = spool.peek()!;
  assert.notEqual(first.buffer, read.buffer, "20 KB of 256 KiB: copied");
  assert.deepEqual(first, small);
  spool.consume(first.length);
  assert.equal(spool.peek()!.buffer, read.buffer, "100 KB of 256 KiB: held as it is");
  assert.equal(spool.size, 100000);
});
