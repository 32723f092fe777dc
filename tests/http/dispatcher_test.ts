import assert from "node:assert/strict";
import { StaticPool } from "../../src/balancer/static_pool.ts";
import type { NodeConfig } from "../../src/config/config_types.ts";
import { Dispatcher, type Ticket } from "../../src/http/dispatcher.ts";
import type { Granted } from "../../src/http/node_grant.ts";

function node(path: string): NodeConfig {
  return { spec: path, address: { transport: "unix", path } };
}

/** A dispatcher over `nodes` with `limit` requests per node, and a log of what happened. */
function setUp(nodes: NodeConfig[], limit: number) {
  const pool = new StaticPool(nodes.map((n) => ({ node: n, name: n.spec })), 30_000, () => 0);
  const dispatcher = new Dispatcher({ pool, fallbacks: [], limit, queueSize: 1000 });
  const log: string[] = [];
  const held = new Map<string, Granted>();
  const ticket = (name: string): Ticket => ({
    key: "example.com",
    client: "127.0.0.1",
    attempts: 0,
    tried: undefined,
    causes: undefined,
    queued: false,
    granted(granted) {
      log.push(`${name}->${granted.name}`);
      held.set(name, granted);
    },
    refused(status) {
      log.push(`${name}:${status}`);
    },
  });
  return { dispatcher, log, held, ticket };
}

Deno.test("Dispatcher: beyond the per-node limit requests wait, first come first served", () => {
  const { dispatcher, log, held, ticket } = setUp([node("/a"), node("/b")], 1);
  for (const name of ["t1", "t2", "t3", "t4", "t5"]) dispatcher.request(ticket(name));
  assert.deepEqual(log, ["t1->/a", "t2->/b"]);
  assert.equal(dispatcher.waiting, 3);
  dispatcher.done(held.get("t2")!);
  assert.deepEqual(log.slice(2), ["t3->/b"]);
  dispatcher.done(held.get("t1")!);
  dispatcher.done(held.get("t3")!);
  assert.deepEqual(log.slice(3), ["t4->/a", "t5->/b"]);
  assert.equal(dispatcher.waiting, 0);
});

Deno.test("Dispatcher: a request that already failed on a node still gets the other one", () => {
  const { dispatcher, log, held, ticket } = setUp([node("/a"), node("/b")], 1);
  const t1 = ticket("t1");
  dispatcher.request(t1);
  dispatcher.request(ticket("t2"));
  dispatcher.request(ticket("t3"));
  assert.deepEqual(log, ["t1->/a", "t2->/b"]);
  // t1's connect to /a fails: /b is full, so it waits ahead of t3 for /b only
  dispatcher.connectFailed(t1, held.get("t1")!, new Error("refused"));
  assert.equal(dispatcher.waiting, 2);
  dispatcher.done(held.get("t2")!);
  assert.deepEqual(log.slice(2), ["t1->/b"]);
});

Deno.test("Dispatcher: a full listen queue lets one waiting request in per request that ends", () => {
  const { dispatcher, log, held, ticket } = setUp([node("/a")], 0);
  const tickets = ["t1", "t2", "t3", "t4", "t5"].map(ticket);
  for (const t of tickets) dispatcher.request(t);
  assert.deepEqual(log, ["t1->/a", "t2->/a", "t3->/a", "t4->/a", "t5->/a"]);
  // the backend's queue had room for two: three connects are refused with EAGAIN
  const full = Object.assign(new Error("Resource temporarily unavailable"), { code: "EAGAIN" });
  for (const i of [2, 3, 4]) dispatcher.connectFailed(tickets[i]!, held.get(`t${i + 1}`)!, full);
  assert.equal(dispatcher.waiting, 3);
  // a newcomer waits behind them instead of trying the full queue again
  dispatcher.request(ticket("t6"));
  assert.equal(log.length, 5);
  // (refused ones go back to the front of the queue, before t6)
  dispatcher.done(held.get("t1")!);
  assert.equal(log.length, 6);
  assert.match(log[5]!, /^t[345]->\/a$/);
  dispatcher.done(held.get("t2")!);
  assert.equal(log.length, 7);
  const next = log[6]!.slice(0, 2);
  dispatcher.done(held.get(next)!);
  dispatcher.done(held.get(log[5]!.slice(0, 2))!);
  assert.deepEqual(log.slice(5).map((line) => line.slice(0, 2)).sort(), ["t3", "t4", "t5", "t6"]);
  assert.equal(log[8], "t6->/a");
  // nothing waits any more: the node takes requests freely again
  dispatcher.request(ticket("t7"));
  dispatcher.request(ticket("t8"));
  assert.deepEqual(log.slice(9), ["t7->/a", "t8->/a"]);
  dispatcher.close();
});
