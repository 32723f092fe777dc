/**
 * WebSockets through the edge to a real uWSGI WebSocket app (uwsgi.websocket_handshake),
 * with a real client (python3-websockets), on http and https listeners.
 */
import assert from "node:assert/strict";
import {
  certificate,
  freePort,
  openFds,
  Proc,
  startEdge,
  startUwsgi,
  tempDir,
  TEST_DATA,
} from "./helpers.ts";

/** Debian's python3 has python3-websockets (a pyenv one on PATH may not). */
const PYTHON = "/usr/bin/python3";
const WS_BACKEND = [
  "--threads",
  "8",
  "--websocket-max-size",
  "16384",
];

function client(url: string, scenario: string): Proc {
  return new Proc(PYTHON, [`${TEST_DATA}ws_client.py`, url, scenario], {
    env: { PATH: Deno.env.get("PATH") ?? "/usr/bin" },
  });
}

async function result(proc: Proc): Promise<Record<string, unknown>> {
  const status = await proc.exited();
  assert.equal(status.code, 0, proc.output);
  return JSON.parse(proc.output.trim().split("\n").at(-1)!);
}

for (const scheme of ["ws", "wss"]) {
  Deno.test(`e2e: WebSockets over ${scheme}: echo, server push, a 10 MB message, close; a killed backend cuts the session`, async () => {
    const dir = tempDir();
    const sock = `${dir.path}/ws.sock`;
    const backend = await startUwsgi(sock, WS_BACKEND, ["--wsgi-file", `${TEST_DATA}ws_app.py`]);
    const port = freePort();
    const listener = scheme === "ws"
      ? ["--http", `127.0.0.1:${port}`]
      : (await certificate(dir.path, "site"),
        ["--https", `127.0.0.1:${port},${dir.path}/site.crt,${dir.path}/site.key`]);
    const edge = await startEdge([...listener, "--http-to", sock]);
    const url = `${scheme}://127.0.0.1:${port}/ws`;
    try {
      const base = openFds(edge.pid);
      const echo = await result(client(url, "echo"));
      assert.deepEqual(
        { ...echo, closed_in: undefined },
        {
          hello: "hello",
          echoed: 1000,
          pushed: 1000,
          big: 10 * 1024 * 1024 + 1,
          big_same: true,
          closed_in: undefined,
        },
      );
      assert.ok((echo.closed_in as number) < 3.5, `closed in ${echo.closed_in} s`);
      await edge.waitFor(/GET \/ws => 101 \d+ bytes in \d+ ms via /);

      const session = client(url, "kill");
      await session.waitFor(/"ready"/);
      Deno.kill(backend.pid, "SIGKILL"); // uWSGI's master: its workers go with it (no-orphans)
      const cut = await result(session);
      assert.equal(cut.cut, true);
      assert.ok((cut.cut_after as number) < 10, `cut after ${cut.cut_after} s`);
      await new Promise((r) => setTimeout(r, 300));
      assert.ok(openFds(edge.pid) <= base + 2, `${openFds(edge.pid)} fds, ${base} before`);
    } finally {
      await edge.stop();
      await backend.stop("SIGKILL");
      dir.cleanup();
    }
  });
}
