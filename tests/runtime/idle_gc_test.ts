import assert from "node:assert/strict";
import { idleCheck, noteRead } from "../../src/runtime/_bun_idle_gc.ts";

Deno.test("idleCheck() collects once when reads stop, never while they go on", () => {
  let collections = 0;
  const check = idleCheck(() => collections++);
  check();
  assert.equal(collections, 0, "no traffic yet: nothing to collect");
  for (let i = 0; i < 5; i++) {
    noteRead();
    check();
  }
  assert.equal(collections, 0, "steady traffic: no collection");
  check();
  assert.equal(collections, 1, "the first quiet check collects");
  check();
  check();
  assert.equal(collections, 1, "once per burst");
  noteRead();
  check();
  check();
  assert.equal(collections, 2, "the next burst's garbage too");
});
