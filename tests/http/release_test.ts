import assert from "node:assert/strict";
import { release, releaseTail, usePool } from "../../src/http/release.ts";
import { ReadBuffers } from "../../src/runtime/_read_pool.ts";

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

Deno.test("release gives a pool's lent read back to it, whole reads only, once", () => {
  const pool = new ReadBuffers(1024, (size) => new Uint8Array(size));
  usePool(pool);
  try {
    const buffer = pool.take();
    const read = pool.lend(buffer, 600);
    release(read.subarray(0, 300));
    assert.equal(pool.take() === buffer, false, "part of the read: not given back");
    releaseTail(read.subarray(100, 500));
    assert.equal(pool.readLength(buffer.buffer), 600, "still lent");
    releaseTail(read.subarray(100));
    assert.equal(pool.readLength(buffer.buffer), -2, "back in the pool");
    assert.equal(buffer.buffer.byteLength, 1024, "reused, never detached");
    release(read);
    release(read);
    assert.equal(pool.take().buffer, buffer.buffer);
    assert.notEqual(pool.take().buffer, buffer.buffer, "given back once");
    // buffers that are not the pool's are detached as before
    const fresh = new Uint8Array(20000);
    release(fresh);
    assert.equal(fresh.buffer.byteLength, 0);
  } finally {
    usePool(null);
  }
});
