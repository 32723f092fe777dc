import assert from "node:assert/strict";
import { StaticPool } from "../../src/balancer/static_pool.ts";

function pool(names: string[], graceMs = 30_000) {
  let now = 1_000_000;
  const p = new StaticPool(names.map((name) => ({ node: name, name })), graceMs, () => now);
  return { p, advance: (ms: number) => void (now += ms) };
}

const take = (p: StaticPool<string>, n: number) =>
  Array.from({ length: n }, () => p.next()?.node ?? "-");

Deno.test("StaticPool.next() goes round-robin in configuration order", () => {
  const { p } = pool(["A", "B", "C"]);
  assert.deepEqual(take(p, 7), ["A", "B", "C", "A", "B", "C", "A"]);
});

Deno.test("StaticPool skips a failed node for the grace period, then tries it again", () => {
  const { p, advance } = pool(["A", "B", "C"]);
  assert.equal(p.next()?.node, "A");
  p.markFailed("B");
  assert.deepEqual(take(p, 4), ["C", "A", "C", "A"]);
  advance(29_999);
  assert.deepEqual(take(p, 2), ["C", "A"]);
  advance(1);
  assert.deepEqual(take(p, 3), ["B", "C", "A"]);
});

Deno.test("StaticPool.next() returns undefined when every node is failed or tried", () => {
  const { p } = pool(["A", "B"]);
  p.markFailed("A");
  assert.equal(p.next(new Set(["B"])), undefined);
  p.markFailed("B");
  assert.equal(p.next(), undefined);
});

Deno.test("StaticPool never skips a lone node", () => {
  const { p } = pool(["A"]);
  p.markFailed("A");
  assert.equal(p.next()?.node, "A");
});

Deno.test("StaticPool counts hits per node", () => {
  const { p } = pool(["A", "B"]);
  take(p, 5);
  assert.deepEqual(p.nodes.map((n) => [n.name, n.hits]), [["A", 3], ["B", 2]]);
});
