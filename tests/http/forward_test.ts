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
  const pending = open();
  await Promise.resolve();
  now = 3000;
  sweeper.sweep();
  const result = await pending;
  assert.ok(result.ok);
  assert.equal(result.node.spec, "/fast");
  assert.match(logs.join(""), /cannot connect to node \/slow: connect timed out after 3 s/);
  // the late connection is closed, and the slow node waits out its grace period
  releaseSlow(conn("/slow"));
  await Promise.resolve();
  assert.deepEqual(closed, ["/slow"]);
  assert.equal(pool.nodes[0]!.failedAt, 3000);
  sweeper.close();
});
