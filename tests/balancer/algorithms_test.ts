import assert from "node:assert/strict";
import type { Algorithm } from "../../src/balancer/algorithm.ts";
import { iphash } from "../../src/balancer/iphash.ts";
import { lrc } from "../../src/balancer/lrc.ts";
import { wlrc } from "../../src/balancer/wlrc.ts";
import { wrr } from "../../src/balancer/wrr.ts";
import type { SubscriptionNode } from "../../src/subscription/node.ts";

function node(name: string, weight = 1, ref = 0): SubscriptionNode {
  return {
    name,
    address: { transport: "unix", path: `/${name}` },
    modifier1: 0,
    modifier2: 0,
    cores: 1,
    load: 0,
    weight,
    lastCheck: 0,
    requests: 0,
    ref,
    wrr: 0,
    failcnt: 0,
    deathMark: false,
  };
}

const ALGORITHMS: Record<string, Algorithm> = { wrr, lrc, wlrc, iphash };

// the contract every policy keeps
for (const [name, algorithm] of Object.entries(ALGORITHMS)) {
  Deno.test(`${name}: always picks one of the nodes given, and the only one of one`, () => {
    const nodes = [node("a", 1), node("b", 3), node("c", 2)];
    for (let i = 0; i < 50; i++) {
      assert.ok(nodes.includes(algorithm(nodes, `10.0.0.${i}`)));
    }
    const lone = [node("x", 5)];
    assert.equal(algorithm(lone, "10.0.0.1"), lone[0]);
  });
}

Deno.test("wrr: weights 1 and 2 give uWSGI's order S2, S1, S2, S2, S1, S2", () => {
  const nodes = [node("S1", 1), node("S2", 2)];
  const order = Array.from({ length: 9 }, () => wrr(nodes, "").name);
  assert.deepEqual(order, ["S2", "S1", "S2", "S2", "S1", "S2", "S2", "S1", "S2"]);
});

Deno.test("wrr: equal weights rotate", () => {
  const nodes = [node("A"), node("B"), node("C")];
  assert.deepEqual(Array.from({ length: 6 }, () => wrr(nodes, "").name), [
    "C",
    "A",
    "B",
    "C",
    "A",
    "B",
  ]);
});

Deno.test("lrc: fewest in flight, ties in list order", () => {
  assert.equal(lrc([node("a", 1, 2), node("b", 1, 1), node("c", 1, 1)], "").name, "b");
});

Deno.test("wlrc: fewest in flight per weight", () => {
  assert.equal(wlrc([node("a", 1, 1), node("b", 4, 2)], "").name, "b");
  assert.equal(wlrc([node("a", 1, 0), node("b", 4, 2)], "").name, "a");
});

Deno.test("iphash: a client address always gets the same node", () => {
  const nodes = [node("a"), node("b"), node("c")];
  const first = iphash(nodes, "192.168.1.7").name;
  for (let i = 0; i < 5; i++) assert.equal(iphash(nodes, "192.168.1.7").name, first);
  // 192.168.1.7 = 3232235783; % 3 = 2
  assert.equal(first, "c");
});
