/** The subscription server with real uWSGI nodes announcing themselves (issue 5). */
import assert from "node:assert/strict";
import { freePort, Proc, rawRequest, startEdge, tempDir, TEST_APP } from "./helpers.ts";

function node(name: string, port: number, subscribe: string[]): Proc {
  return new Proc("uwsgi", [
    "--plugin",
    "python3",
    "--master",
    "--socket",
    `127.0.0.1:${port}`,
    "--wsgi-file",
    TEST_APP,
    "--env",
    `NODE=${name}`,
    "--disable-logging",
    "--subscribe-freq",
    "1",
    ...subscribe,
  ], { env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin" } });
}

async function ask(port: number, host: string, path = "/node"): Promise<string> {
  const out = await rawRequest(
    port,
    `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
  );
  const status = out.slice(9, 12);
  return status === "200"
    ? out.slice(out.indexOf("\r\n\r\n") + 4)
    : `${status} ${out.slice(out.indexOf("\r\n\r\n") + 4).trim()}`;
}

async function stats(
  port: number,
): Promise<{ subscriptions: Array<{ key: string; nodes: Array<{ name: string }> }> }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  let text = "";
  const buf = new Uint8Array(65536);
  while (true) {
    const n = await conn.read(buf);
    if (n === null) break;
    text += new TextDecoder().decode(buf.subarray(0, n));
  }
  conn.close();
  return JSON.parse(text);
}

Deno.test("e2e: subscriptions route by Host with wrr weights; nodes leave and come back", async (t) => {
  const dir = tempDir();
  const port = freePort();
  const subPort = freePort();
  const statsPort = freePort();
  const [p1, p2, p3, pf1, pf2] = [freePort(), freePort(), freePort(), freePort(), freePort()];
  const server = `127.0.0.1:${subPort}`;
  const edge = await startEdge([
    "--http",
    `127.0.0.1:${port}`,
    "--http-subscription-server",
    server,
    "--http-stats",
    `127.0.0.1:${statsPort}`,
    "--subscription-tolerance",
    "4",
  ]);
  const nodes = [
    node("S1", p1, ["--subscribe-to", `${server}:example.com`]),
    node("S2", p2, ["--subscribe2", `server=${server},key=example.com,weight=2`]),
    node("S3", p3, ["--subscribe-to", `${server}:other.test:8000`]),
    node("F1", pf1, ["--subscribe-to", `${server}:freeze.test`]),
    node("F2", pf2, ["--subscribe-to", `${server}:freeze.test`]),
  ];
  try {
    for (const address of [p1, p2, p3, pf1, pf2]) {
      await edge.waitFor(new RegExp(`=> new node: 127\\.0\\.0\\.1:${address}`));
    }
    await t.step("requests are routed by their Host, port included", async () => {
      assert.equal(await ask(port, "other.test:8000"), "S3");
      assert.equal(await ask(port, "other.test"), "503 503 Service Unavailable");
      assert.equal(await ask(port, "nobody.test"), "503 503 Service Unavailable");
    });
    await t.step("weights 1 and 2 follow uWSGI's wrr order", async () => {
      const pool = (await stats(statsPort)).subscriptions.find((s) => s.key === "example.com")!;
      const listed = pool.nodes.map((n) => (n.name.endsWith(`:${p1}`) ? "S1" : "S2"));
      // the last listed node takes the first request of each round (spec §6.5)
      const expected = listed[0] === "S1"
        ? ["S2", "S1", "S2", "S2", "S1", "S2"]
        : ["S1", "S2", "S2", "S1", "S2", "S2"];
      const seen = [];
      for (let i = 0; i < 6; i++) seen.push(await ask(port, "example.com"));
      assert.deepEqual(seen, expected);
      console.log(`wrr order with weights S1=1 S2=2: ${seen.join(", ")}`);
    });
    await t.step("garbage datagrams are dropped and service goes on", async () => {
      const udp = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
      const target = { transport: "udp" as const, hostname: "127.0.0.1", port: subPort };
      const garbage = [
        crypto.getRandomValues(new Uint8Array(64)),
        new Uint8Array([224, 10, 0, 0, 3, 0, 107, 101]),
        new Uint8Array([224, 255, 255, 0, 255, 255, 1, 2, 3]),
        new Uint8Array([224, 0, 0, 9, 3, 0, 107, 101, 121, 1, 0, 120]),
        new Uint8Array([1]),
      ];
      for (const bytes of garbage) await udp.send(bytes, target);
      udp.close();
      await edge.waitFor(/dropped \d+ bad subscription packet/);
      assert.equal(await ask(port, "other.test:8000"), "S3");
    });
    await t.step(
      "a node stopped with SIGINT unsubscribes: no more traffic, no errors",
      async () => {
        await nodes[1]!.stop("SIGINT");
        await edge.waitFor(
          new RegExp(`marking 127\\.0\\.0\\.1:${p2} as failed \\(unsubscribed\\)`),
        );
        for (let i = 0; i < 6; i++) assert.equal(await ask(port, "example.com"), "S1");
      },
    );
    await t.step(
      "a frozen node leaves after the tolerance and comes back after SIGCONT",
      async () => {
        const frozen = nodes[3]!;
        const stoppedAt = Date.now();
        Deno.kill(frozen.pid, "SIGSTOP");
        await edge.waitFor(
          new RegExp(
            `marking 127\\.0\\.0\\.1:${pf1} as failed \\(no announce received in 4 seconds\\)`,
          ),
          15000,
        );
        const left = Date.now() - stoppedAt;
        for (let i = 0; i < 4; i++) assert.equal(await ask(port, "freeze.test"), "F2");
        const before =
          (edge.output.match(new RegExp(`new node: 127\\.0\\.0\\.1:${pf1}`, "g")) ?? []).length;
        const continuedAt = Date.now();
        Deno.kill(frozen.pid, "SIGCONT");
        while (
          (edge.output.match(new RegExp(`new node: 127\\.0\\.0\\.1:${pf1}`, "g")) ?? []).length ===
            before
        ) {
          assert.ok(Date.now() - continuedAt < 10000, "the node did not come back");
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        const back = Date.now() - continuedAt;
        const seen = new Set<string>();
        for (let i = 0; i < 4; i++) seen.add(await ask(port, "freeze.test"));
        assert.deepEqual(seen, new Set(["F1", "F2"]));
        console.log(
          `frozen node: left after ${left} ms (tolerance 4 s), back ${back} ms after SIGCONT`,
        );
      },
    );
  } finally {
    for (const n of nodes) {
      try {
        Deno.kill(n.pid, "SIGCONT");
      } catch {
        // already gone
      }
      await n.stop("SIGINT");
    }
    await edge.stop();
    dir.cleanup();
  }
});

Deno.test({
  name: "e2e: a unix-datagram subscription server feeds every router process, with http-to beside",
}, async () => {
  const dir = tempDir();
  const port = freePort();
  const subSocket = `${dir.path}/sub.sock`;
  const [pSub, pStatic, pLate] = [freePort(), freePort(), freePort()];
  let late: Proc | undefined;
  const statics = node("STATIC", pStatic, []);
  await statics.waitFor(/spawned uWSGI worker 1/);
  const edge = await startEdge([
    "--http",
    `127.0.0.1:${port}`,
    "--http-processes",
    "2",
    "--http-subscription-server",
    subSocket,
    "--http-to",
    `127.0.0.1:${pStatic}`,
  ], { listeners: 2 });
  const sub = node("SUB", pSub, ["--subscribe-to", `${subSocket}:app.test`]);
  try {
    await edge.waitFor(/\[router 1 pid \d+\] \[subscription\] app\.test => new node/);
    await edge.waitFor(/\[router 2 pid \d+\] \[subscription\] app\.test => new node/);
    // separate connections land on both router processes: each knows the node
    for (let i = 0; i < 20; i++) assert.equal(await ask(port, "app.test"), "SUB");
    // a key without subscribers goes to the http-to node
    assert.equal(await ask(port, "else.test"), "STATIC");
    // an empty datagram and garbage do not stop the socket: a new node is still heard
    const sender = Deno.listenDatagram({ transport: "unixpacket", path: `${dir.path}/s.sock` });
    for (const bytes of [new Uint8Array(0), new Uint8Array([224, 9]), new Uint8Array(0)]) {
      await sender.send(bytes, { transport: "unixpacket", path: subSocket });
    }
    sender.close();
    await edge.waitFor(/dropped \d+ bad subscription packet/);
    late = node("LATE", pLate, ["--subscribe-to", `${subSocket}:late.test`]);
    await edge.waitFor(/\[router 1 pid \d+\] \[subscription\] late\.test => new node/);
    await edge.waitFor(/\[router 2 pid \d+\] \[subscription\] late\.test => new node/);
    for (let i = 0; i < 10; i++) assert.equal(await ask(port, "late.test"), "LATE");
    assert.equal(await ask(port, "app.test"), "SUB");
  } finally {
    await late?.stop("SIGINT");
    await sub.stop("SIGINT");
    await edge.stop();
    await statics.stop("SIGINT");
    dir.cleanup();
  }
});
