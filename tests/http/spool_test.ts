import assert from "node:assert/strict";
import { Spool } from "../../src/http/spool.ts";
import { usePool } from "../../src/http/release.ts";
import { ReadBuffers } from "../../src/runtime/_read_pool.ts";

const noFile = () => {
  throw new Error("no temp file in this test");
};

Deno.test("Spool copies a small part of a big read buffer before it waits, not a big part", () => {
  const spool = new Spool(1 << 20, 0, noFile);
  const read = new Uint8Array(262144).fill(7);
  const small = read.subarray(0, 20000);
  const big = read.subarray(0, 65536);
  spool.push(small);
  spool.push(big);
  const first = spool.peek()!;
  assert.notEqual(first.buffer, read.buffer, "20 KB of 256 KiB: copied");
  assert.deepEqual(first, small);
  spool.consume(first.length);
  assert.equal(spool.peek()!.buffer, read.buffer, "64 KiB of 256 KiB: held as it is");
  assert.equal(spool.size, 65536);
});

Deno.test("Spool gives a read it copied back to its pool when it holds reads", () => {
  const pool = new ReadBuffers(262144, (size) => new Uint8Array(size));
  usePool(pool);
  try {
    const spool = new Spool(1 << 20, 0, noFile);
    spool.readsFree = true;
    const buffer = pool.take();
    const read = pool.lend(buffer, 20100);
    // the head was parsed and used up; the body is the read's tail
    spool.push(read.subarray(100));
    assert.equal(pool.readLength(buffer.buffer), -2, "back in the pool");
    assert.equal(spool.peek()!.length, 20000);
  } finally {
    usePool(null);
  }
});
