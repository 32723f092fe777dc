import assert from "node:assert/strict";
import { wrr } from "../../src/balancer/wrr.ts";
import { type Announcement, decodeAnnouncement } from "../../src/subscription/packet.ts";
import { Registry } from "../../src/subscription/registry.ts";
import { encodePacket, MODIFIER1_SUBSCRIPTION } from "../../src/uwsgi/packet.ts";

function announce(key: string, address: string, extra: Partial<Announcement> = {}): Announcement {
  return {
    command: "subscribe",
    key,
    address,
    modifier1: 0,
    modifier2: 0,
    cores: 1,
    load: 0,
    weight: 0,
    ...extra,
  };
}

function setup(options: { fallbackKey?: string; dotsplit?: boolean } = {}) {
  let now = 1_000_000;
  const logs: string[] = [];
  const registry = new Registry({
    toleranceMs: 17_000,
    algorithm: wrr,
    fallbackKey: options.fallbackKey,
    dotsplit: options.dotsplit ?? false,
    now: () => now,
    log: (m) => logs.push(m),
  });
  const pickName = (key: string) => {
    const node = registry.pick(key, "127.0.0.1");
    if (node) registry.release(node);
    return node?.name;
  };
  return { registry, logs, pickName, advance: (ms: number) => void (now += ms) };
}

Deno.test("decodeAnnouncement() reads subscribe and unsubscribe packets", () => {
  const vars: Array<[string, string]> = [
    ["key", "example.com:8080"],
    ["address", "127.0.0.1:3031"],
    ["modifier1", "5"],
    ["cores", "4"],
    ["weight", "2"],
    ["unknown", "ignored"],
  ];
  assert.deepEqual(decodeAnnouncement(encodePacket(vars, MODIFIER1_SUBSCRIPTION, 0)), {
    command: "subscribe",
    key: "example.com:8080",
    address: "127.0.0.1:3031",
    modifier1: 5,
    modifier2: 0,
    cores: 4,
    load: 0,
    weight: 2,
  });
  assert.equal(
    decodeAnnouncement(encodePacket(vars, MODIFIER1_SUBSCRIPTION, 1)).command,
    "unsubscribe",
  );
});

Deno.test("decodeAnnouncement() rejects packets without key or address, or with huge ones", () => {
  assert.throws(() => decodeAnnouncement(encodePacket([["address", "x"]], 224)), {
    name: "RangeError",
    message: "A subscription key must be 1 to 255 bytes, got 0",
  });
  assert.throws(
    () => decodeAnnouncement(encodePacket([["key", "k".repeat(300)], ["address", "a"]], 224)),
    RangeError,
  );
  assert.throws(() => decodeAnnouncement(encodePacket([["key", "k"]], 224)), {
    name: "RangeError",
    message: "A subscription address must be 1 to 255 bytes, got 0",
  });
  assert.throws(
    () => decodeAnnouncement(encodePacket([["key", "k"], ["address", "a"]], 224, 7)),
    SyntaxError,
  );
  assert.throws(
    () => decodeAnnouncement(new Uint8Array([224, 0, 0, 0, 3, 0, 107, 101])),
    RangeError,
  );
});

Deno.test("Registry routes by exact key, port included, and logs new pools and nodes", () => {
  const { registry, logs, pickName } = setup();
  registry.apply(announce("example.com", "/a.sock"));
  registry.apply(announce("example.com:8080", "/b.sock"));
  assert.equal(pickName("example.com"), "/a.sock");
  assert.equal(pickName("example.com:8080"), "/b.sock");
  assert.equal(pickName("EXAMPLE.com"), undefined);
  assert.deepEqual(logs, [
    "new pool: example.com",
    "example.com => new node: /a.sock",
    "new pool: example.com:8080",
    "example.com:8080 => new node: /b.sock",
  ]);
});

Deno.test("Registry follows the wrr order of announced weights", () => {
  const { registry, pickName } = setup();
  registry.apply(announce("k", "/s1", { weight: 1 }));
  registry.apply(announce("k", "/s2", { weight: 2 }));
  assert.deepEqual(Array.from({ length: 6 }, () => pickName("k")), [
    "/s2",
    "/s1",
    "/s2",
    "/s2",
    "/s1",
    "/s2",
  ]);
});

Deno.test("Registry expires silent nodes after the tolerance and takes them back when they announce", () => {
  const { registry, pickName, advance, logs } = setup();
  registry.apply(announce("k", "/a"));
  registry.apply(announce("k", "/b"));
  advance(10_000);
  registry.apply(announce("k", "/a"));
  advance(8_000);
  // /b last announced 18 s ago: gone; /a 8 s ago: alive
  assert.deepEqual([pickName("k"), pickName("k")], ["/a", "/a"]);
  assert.ok(logs.includes("k => marking /b as failed (no announce received in 17 seconds)"));
  assert.deepEqual(registry.pools.get("k")!.nodes.map((n) => n.name), ["/a"]);
  registry.apply(announce("k", "/b"));
  assert.deepEqual(new Set([pickName("k"), pickName("k")]), new Set(["/a", "/b"]));
  advance(18_000);
  registry.sweep();
  assert.equal(registry.pools.size, 0, "an empty pool disappears");
});

Deno.test("Registry drops an unsubscribed node once its requests are over", () => {
  const { registry, pickName } = setup();
  registry.apply(announce("k", "/a"));
  registry.apply(announce("k", "/b"));
  const busy = registry.pick("k", "127.0.0.1")!;
  registry.apply({ ...announce("k", busy.name), command: "unsubscribe" });
  assert.equal(registry.pools.get("k")!.nodes.length, 2, "kept while referenced");
  const other = busy.name === "/a" ? "/b" : "/a";
  assert.deepEqual([pickName("k"), pickName("k")], [other, other]);
  registry.release(busy);
  assert.deepEqual(registry.pools.get("k")!.nodes.map((n) => n.name), [other]);
});

Deno.test("Registry stops using a node that refused a connection until it announces again", () => {
  const { registry, pickName } = setup();
  registry.apply(announce("k", "/a"));
  registry.apply(announce("k", "/b"));
  const node = registry.pick("k", "127.0.0.1")!;
  registry.fail(node);
  registry.release(node);
  const other = node.name === "/a" ? "/b" : "/a";
  assert.equal(pickName("k"), other);
  registry.apply(announce("k", node.name));
  assert.equal(registry.pools.get("k")!.nodes.length, 2);
});

Deno.test("Registry uses the fallback key on a miss, and dotsplit instead of it", () => {
  const fallback = setup({ fallbackKey: "default" });
  fallback.registry.apply(announce("default", "/d"));
  assert.equal(fallback.pickName("unknown.com"), "/d");
  const split = setup({ dotsplit: true, fallbackKey: "default" });
  split.registry.apply(announce(".example.com", "/wild"));
  split.registry.apply(announce("default", "/d"));
  assert.equal(split.pickName("a.b.example.com"), "/wild");
  assert.equal(split.pickName("other.org"), undefined, "no fallback key with dotsplit");
});

Deno.test("Registry refuses an unusable address", () => {
  const { registry } = setup();
  assert.throws(() => registry.apply(announce("k", "@abstract")), RangeError);
  assert.equal(registry.pools.size, 0);
});
