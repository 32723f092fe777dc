import assert from "node:assert/strict";
import { IdleSweeper } from "../../src/http/idle_sweeper.ts";

Deno.test("IdleSweeper expires a watch idle past its limit, once", () => {
  let now = 0;
  const sweeper = new IdleSweeper(() => now);
  let fired = 0;
  const watch = sweeper.watch(1000, () => fired++);
  now = 900;
  watch.touch();
  now = 1800;
  sweeper.sweep();
  assert.equal(fired, 0);
  now = 1900;
  sweeper.sweep();
  sweeper.sweep();
  assert.equal(fired, 1);
  assert.equal(watch.expired, true);
  assert.equal(sweeper.size, 0);
  sweeper.close();
});

Deno.test("IdleSweeper forgets stopped watches", () => {
  let now = 0;
  const sweeper = new IdleSweeper(() => now);
  let fired = false;
  sweeper.watch(10, () => (fired = true)).stop();
  now = 100;
  sweeper.sweep();
  assert.equal(fired, false);
  sweeper.close();
});
