/**
 * The operations plane (http-stats): uWSGI's JSON raw or over HTTP, Prometheus metrics,
 * liveness and readiness; active health checks; a health path on the public listener.
 */
import assert from "node:assert/strict";
import { freePort, readToEnd, startEdge, startUwsgi, tempDir } from "./helpers.ts";

async function raw(port: number): Promise<string> {
  return await readToEnd(await Deno.connect({ hostname: "127.0.0.1", port }));
}

async function get(url: string): Promise<{ status: number; text: string }> {
  const res = await fetch(url);
  return { status: res.status, text: await res.text() };
}

/** The value of a metric line (exact name and labels), or undefined. */
function metric(text: string, line: string): number | undefined {
  const found = text.split("\n").find((l) => l.startsWith(line + " "));
  return found === undefined ? undefined : Number(found.slice(line.length + 1));
}

async function until(check: () => Promise<boolean>, ms: number): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > ms) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return Date.now() - started;
}

Deno.test("e2e: stats, metrics, health and readiness; health checks take a node out and back", async () => {
  const dir = tempDir();
  const sock = `${dir.path}/app.sock`;
  let backend = await startUwsgi(sock);
  const dead = `${dir.path}/dead.sock`;
  const port = freePort();
  const ops = freePort();
  const edge = await startEdge([
    "--http",
    `127.0.0.1:${port}`,
    "--http-to",
    sock,
    "--http-to",
    dead,
    "--http-stats",
    `127.0.0.1:${ops}`,
    "--http-health-check",
    "/,1",
    "--http-health-path",
    "/lb-health",
  ]);
  const opsUrl = `http://127.0.0.1:${ops}`;
  try {
    await edge.waitFor(new RegExp(`health check: node ${dead} is down`));
    for (let i = 0; i < 5; i++) assert.equal((await get(`http://127.0.0.1:${port}/`)).status, 200);

    // uwsgitop-style: connect and read
    const document = JSON.parse(await raw(ops));
    assert.deepEqual(document.static_nodes.map((n: { name: string }) => n.name), [sock, dead]);
    // HTTP clients get the same document at /
    const http = await get(`${opsUrl}/`);
    assert.equal(http.status, 200);
    assert.deepEqual(JSON.parse(http.text).static_nodes.length, 2);

    const metrics = (await get(`${opsUrl}/metrics`)).text;
    assert.equal(metric(metrics, `uwsgi_edge_requests_total{code="2xx",node="${sock}"}`), 5);
    assert.equal(metric(metrics, "uwsgi_edge_request_duration_seconds_count"), 5);
    assert.equal(metric(metrics, `uwsgi_edge_node_up{node="${sock}"}`), 1);
    assert.equal(metric(metrics, `uwsgi_edge_node_up{node="${dead}"}`), 0);
    assert.ok(metric(metrics, 'uwsgi_edge_process_resident_memory_bytes{process="main"}')! > 1e6);
    assert.equal(metric(metrics, "uwsgi_edge_requests_in_flight"), 0);
    assert.match(metrics, /# TYPE uwsgi_edge_request_duration_seconds histogram/);

    assert.deepEqual(await get(`${opsUrl}/healthz`), { status: 200, text: "ok\n" });
    assert.deepEqual(await get(`${opsUrl}/readyz`), { status: 200, text: "ready\n" });
    assert.equal((await get(`http://127.0.0.1:${port}/lb-health`)).status, 200);

    // the last node dies: out within the check interval, the edge says it is not ready
    const killed = Date.now();
    await backend.stop("SIGINT");
    await edge.waitFor(new RegExp(`health check: node ${sock} is down`));
    const outAfter = Date.now() - killed;
    assert.equal((await get(`${opsUrl}/readyz`)).status, 503);
    assert.equal((await get(`http://127.0.0.1:${port}/lb-health`)).status, 503);
    assert.equal((await get(`http://127.0.0.1:${port}/`)).status, 502);
    // and back
    const restarted = Date.now();
    backend = await startUwsgi(sock);
    await edge.waitFor(new RegExp(`health check: node ${sock} is up again`));
    const backAfter = Date.now() - restarted;
    assert.equal((await get(`${opsUrl}/readyz`)).status, 200);
    assert.ok(
      outAfter < 2500 && backAfter < 4000,
      `out after ${outAfter} ms, back after ${backAfter} ms`,
    );
    console.log(
      `health check reaction: out ${outAfter} ms after the kill, back ${backAfter} ms after the restart`,
    );
  } finally {
    await edge.stop();
    await backend.stop("SIGINT");
    dir.cleanup();
  }
});

Deno.test("e2e: metrics of http-processes router processes add up", async () => {
  const dir = tempDir();
  const sock = `${dir.path}/app.sock`;
  const backend = await startUwsgi(sock);
  const port = freePort();
  const ops = freePort();
  const edge = await startEdge(
    [
      "--http",
      `127.0.0.1:${port}`,
      "--http-to",
      sock,
      "--http-processes",
      "2",
      "--http-stats",
      `127.0.0.1:${ops}`,
    ],
    { listeners: 2 },
  );
  try {
    for (let i = 0; i < 20; i++) {
      // new connections: the kernel spreads them over both processes
      const res = await fetch(`http://127.0.0.1:${port}/`, { headers: { connection: "close" } });
      await res.text();
    }
    await until(async () => {
      const text = (await get(`http://127.0.0.1:${ops}/metrics`)).text;
      return metric(text, `uwsgi_edge_requests_total{code="2xx",node="${sock}"}`) === 20;
    }, 5000);
    const text = (await get(`http://127.0.0.1:${ops}/metrics`)).text;
    assert.match(text, /process_resident_memory_bytes\{process="router 1"\}/);
    assert.match(text, /process_resident_memory_bytes\{process="router 2"\}/);
  } finally {
    await edge.stop();
    await backend.stop("SIGINT");
    dir.cleanup();
  }
});
