import assert from "node:assert/strict";
import { StaticPool } from "../../src/balancer/static_pool.ts";
import type { Config, NodeConfig } from "../../src/config/load.ts";
import { nodeConnector } from "../../src/http/forward.ts";
import { IdleSweeper } from "../../src/http/idle_sweeper.ts";
import { Logger } from "../../src/log.ts";
import type { Conn, ConnectAddress } from "../../src/runtime/types.ts";

const node = (spec: string): NodeConfig => ({ spec, address: { transport: "unix", path: spec } });

Deno.test("nodeConnector() counts a connect that does not finish in time as a failure", async () => {
  let now = 0;
  const sweeper = new IdleSweeper(() => now);
  const nodes = [node("/slow"), node("/fast")];
  const closed: string[] = [];
  let releaseSlow: (conn: Conn) => void = () => {};
  const conn = (name: string): Conn => ({
    read: () => Promise.resolve(null),
    write: (b) => Promise.resolve(b.length),
    close: () => void closed.push(name),
  });
  const connect = (address: ConnectAddress): Promise<Conn> => {
    const path = address.transport === "unix" ? address.path : "";
    if (path === "/slow") return new Promise((resolve) => (releaseSlow = resolve));
    return Promise.resolve(conn(path));
  };
  const pool = new StaticPool(nodes.map((n) => ({ node: n, name: n.spec })), 30_000, () => now);
  const logs: string[] = [];
  const open = nodeConnector({
    config: { fallbacks: [], connectTimeout: 3, quiet: false } as unknown as Config,
    pool,
    connect,
    logger: new Logger((text) => logs.push(text)),
    sweeper,
  });
  const pending = open("k", "127.0.0.1");
  await Promise.resolve();
  now = 3000;
  sweeper.sweep();
  const result = await pending;
  assert.ok(result.ok);
  assert.equal(result.name, "/fast");
  assert.match(logs.join(""), /cannot connect to node \/slow: connect timed out after 3 s/);
  // the late connection is closed, and the slow node waits out its grace period
  releaseSlow(conn("/slow"));
  await Promise.resolve();
  assert.deepEqual(closed, ["/slow"]);
  assert.equal(pool.nodes[0]!.failedAt, 3000);
  sweeper.close();
});

Deno.test("nodeConnector() tries the key's subscription nodes first, then http-to; 503 without either", async () => {
  const { Registry } = await import("../../src/subscription/registry.ts");
  const { wrr } = await import("../../src/balancer/wrr.ts");
  const registry = new Registry({
    toleranceMs: 17_000,
    algorithm: wrr,
    dotsplit: false,
    now: () => 0,
    log: () => {},
  });
  const announce = (key: string, address: string, modifier1 = 0) =>
    registry.apply({
      command: "subscribe",
      key,
      address,
      modifier1,
      modifier2: 0,
      cores: 1,
      load: 0,
      weight: 1,
    });
  announce("site.test", "/dead");
  announce("site.test", "/live", 5);
  const attempts: string[] = [];
  const connect = (address: ConnectAddress): Promise<Conn> => {
    const path = address.transport === "unix" ? address.path : "";
    attempts.push(path);
    if (path === "/dead") return Promise.reject(new Error("Connection refused"));
    return Promise.resolve({
      read: () => Promise.resolve(null),
      write: (b) => Promise.resolve(b.length),
      close() {},
    });
  };
  const make = (nodes: NodeConfig[]) =>
    nodeConnector({
      config: { fallbacks: [], connectTimeout: 3, quiet: true } as unknown as Config,
      pool: new StaticPool(nodes.map((n) => ({ node: n, name: n.spec })), 30_000, () => 0),
      connect,
      logger: new Logger(() => {}),
      sweeper: new IdleSweeper(() => 0),
      registry,
    });
  const open = make([node("/static")]);
  const first = await open("site.test", "127.0.0.1");
  assert.ok(first.ok);
  assert.deepEqual([first.name, first.modifier1], ["/live", 5]);
  first.conn.close();
  // wrr starts with the last node of the pool
  assert.deepEqual(attempts, ["/live"]);
  const other = await open("other.test", "127.0.0.1");
  assert.ok(other.ok);
  assert.equal(other.name, "/static");
  const none = await make([])("other.test", "127.0.0.1");
  assert.deepEqual(none, {
    ok: false,
    status: 503,
    node: "-",
    cause: 'no node for the key "other.test"',
  });
  // the refusing node is skipped from now on
  for (let i = 0; i < 3; i++) {
    const r = await open("site.test", "127.0.0.1");
    assert.ok(r.ok && r.name === "/live");
    r.conn.close();
  }
});
