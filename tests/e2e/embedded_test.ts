/** Embedded mode: the edge starts and governs real uWSGI workers (issue 4). */
import assert from "node:assert/strict";
import {
  alive,
  edgeCommand,
  freePort,
  noProcessesWith,
  type Proc,
  processesWith,
  rawRequest,
  ROOT,
  startEdge,
  tempDir,
  TEST_APP,
} from "./helpers.ts";

const APP_DIR = TEST_APP.slice(0, TEST_APP.lastIndexOf("/"));

async function get(port: number, path = "/"): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: await res.text() };
}

function uwsgiPid(edge: Proc): number {
  const all = [...edge.output.matchAll(/workers: uWSGI pid (\d+)/g)];
  return Number(all.at(-1)![1]);
}

Deno.test("e2e: embedded mode from command-line flags: the edge runs the workers", async () => {
  const port = freePort();
  const edge = await startEdge([
    "--http",
    `127.0.0.1:${port}`,
    "--master",
    "--module",
    "app",
    "--chdir",
    APP_DIR,
    "--processes",
    "2",
    "--env",
    "NODE=embedded",
  ]);
  let pid = 0;
  try {
    assert.deepEqual(await get(port), { status: 200, body: "Hello World\n" });
    assert.deepEqual(await get(port, "/node"), { status: 200, body: "embedded" });
    pid = uwsgiPid(edge);
    assert.ok(alive(pid));
  } finally {
    assert.equal((await edge.stop("SIGTERM")).code, 0);
  }
  // uWSGI is gone with the edge, and so is the private runtime directory
  assert.ok(!alive(pid), "uWSGI outlived the edge");
  const socket = /workers: uWSGI pid \d+ on (\S+)/.exec(edge.output)![1]!;
  assert.throws(
    () => Deno.statSync(socket.slice(0, socket.lastIndexOf("/"))),
    Deno.errors.NotFound,
  );
});

Deno.test("e2e: embedded mode from an ini with $(PORT); a killed uWSGI is respawned", async () => {
  const dir = tempDir();
  const port = freePort();
  Deno.writeTextFileSync(
    `${dir.path}/app.ini`,
    `[uwsgi]\nhttp-socket = 127.0.0.1:$(PORT)\nwsgi-file = ${TEST_APP}\nprocesses = 2\nadd-header = X-Edge: 1\n`,
  );
  const edge = await startEdge(["--config", `${dir.path}/app.ini`], {
    env: { PORT: String(port) },
  });
  try {
    const res = await fetch(`http://127.0.0.1:${port}/`);
    assert.equal(res.headers.get("x-edge"), "1");
    assert.equal(await res.text(), "Hello World\n");
    // add-header is applied by the edge only: the workers' ini does not have it
    const ini = /getting INI configuration from (\S+)/.exec(edge.output)![1]!;
    assert.doesNotMatch(Deno.readTextFileSync(ini), /add-header|http-socket/);

    const killedAt = Date.now();
    Deno.kill(uwsgiPid(edge), "SIGKILL");
    await edge.waitFor(/uWSGI workers killed by SIGKILL; respawning in \d+ ms/);
    let recovered = 0;
    while (Date.now() - killedAt < 15000) {
      const r = await get(port).catch(() => ({ status: 0, body: "" }));
      if (r.status === 200) {
        recovered = Date.now() - killedAt;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.ok(recovered > 0, `service did not resume:\n${edge.output.slice(-3000)}`);
    console.log(`worker crash recovery: ${recovered} ms`);
  } finally {
    await edge.stop("SIGTERM");
    dir.cleanup();
  }
});

Deno.test("e2e: SIGTERM lets in-flight requests finish, then exits 0", async () => {
  const port = freePort();
  const edge = await startEdge([
    "--http",
    `127.0.0.1:${port}`,
    "--wsgi-file",
    TEST_APP,
    "--processes",
    "4",
    "--reload-mercy",
    "10",
  ]);
  const inFlight = Array.from({ length: 4 }, () => get(port, "/sleep/1500"));
  await new Promise((resolve) => setTimeout(resolve, 300));
  const signalled = Date.now();
  Deno.kill(edge.pid, "SIGTERM");
  const results = await Promise.all(inFlight);
  assert.deepEqual(results.map((r) => r.status), [200, 200, 200, 200]);
  const status = await edge.exited();
  const took = Date.now() - signalled;
  assert.equal(status.code, 0);
  assert.ok(took < 10000, `exit took ${took} ms`);
  // no new connections are taken while draining
  await assert.rejects(() => fetch(`http://127.0.0.1:${port}/`));
});

Deno.test("e2e: SIGHUP under load reloads the workers with zero failed requests", async () => {
  const port = freePort();
  const edge = await startEdge([
    "--http",
    `127.0.0.1:${port}`,
    "--wsgi-file",
    TEST_APP,
    "--processes",
    "2",
    "--disable-logging",
  ]);
  try {
    const before = uwsgiPid(edge);
    const wrk = new Deno.Command("wrk", {
      args: ["-t1", "-c8", "-d4s", `http://127.0.0.1:${port}/sleep/5`],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    Deno.kill(edge.pid, "SIGHUP");
    const out = new TextDecoder().decode((await wrk.output()).stdout);
    await edge.waitFor(/SIGHUP: reloaded/);
    assert.notEqual(uwsgiPid(edge), before, "new workers");
    assert.ok(!alive(before), "old workers stopped");
    const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
    assert.ok(requests > 100, out);
    assert.doesNotMatch(out, /Socket errors|Non-2xx/, out);
    console.log(`reload under load: ${requests} requests, 0 errors`);
  } finally {
    await edge.stop("SIGTERM");
  }
});

Deno.test("e2e: http-processes 2: both routers serve, a killed one is respawned", async () => {
  const port = freePort();
  const edge = await startEdge([
    "--http",
    `127.0.0.1:${port}`,
    "--wsgi-file",
    TEST_APP,
    "--http-processes",
    "2",
  ], { listeners: 2 });
  try {
    const routers =
      () => [...edge.output.matchAll(/\[router (\d) pid (\d+)\] router process \d ready/g)];
    await edge.waitFor(
      /router process 1 ready[^]*router process 2 ready|router process 2 ready[^]*router process 1 ready/,
    );
    // separate connections spread over both processes (SO_REUSEPORT)
    for (let i = 0; i < 40; i++) {
      const out = await rawRequest(port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      assert.match(out, /^HTTP\/1\.1 200 OK\r\n/);
    }
    await edge.waitFor(/\[router 1 pid \d+\] 127\.0\.0\.1 GET \/ => 200/);
    await edge.waitFor(/\[router 2 pid \d+\] 127\.0\.0\.1 GET \/ => 200/);
    const first = routers().find((m) => m[1] === "1")!;
    Deno.kill(Number(first[2]), "SIGKILL");
    await edge.waitFor(/router process 1 \(pid \d+\) killed by SIGKILL; respawning/);
    await edge.waitFor(new RegExp(`\\[router 1 pid (?!${first[2]})\\d+\\] router process 1 ready`));
    for (let i = 0; i < 10; i++) assert.equal((await get(port)).status, 200);
    // a reload switches both routers to the new workers
    Deno.kill(edge.pid, "SIGHUP");
    await edge.waitFor(/SIGHUP: reloaded; new requests go to \S+app-2\.sock/);
    for (let i = 0; i < 10; i++) {
      const out = await rawRequest(
        port,
        "GET /env HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
      );
      assert.match(out, /^HTTP\/1\.1 200 OK\r\n/);
    }
    await edge.waitFor(
      /\[router \d pid \d+\] 127\.0\.0\.1 GET \/env => 200 \d+ bytes in \d+ ms via \S+app-2\.sock/,
    );
  } finally {
    await edge.stop("SIGTERM");
  }
});

Deno.test("e2e: embedded mode without uWSGI exits 2 saying what to install", async () => {
  const { cmd, args } = edgeCommand();
  const out = await new Deno.Command(cmd, {
    args: [...args, "--http", ":0", "--module", "app", "--uwsgi-binary", "/nonexistent/uwsgi"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 2);
  assert.match(
    new TextDecoder().decode(out.stderr),
    /uwsgi-edge: Cannot start the application's workers as uWSGI is not installed at "\/nonexistent\/uwsgi": install it \(apt-get install uwsgi-core uwsgi-plugin-python3\)/,
  );
});

Deno.test("e2e: kill -9 of the edge takes its workers down; the next start removes its directory", async () => {
  const parent = tempDir();
  const port = freePort();
  const args = [
    "--http",
    `127.0.0.1:${port}`,
    "--wsgi-file",
    TEST_APP,
    "--processes",
    "2",
    "--http-temp-path",
    parent.path,
  ];
  const edge = await startEdge(args);
  const dir = /node (\S+)\/app-1\.sock/.exec(edge.output)![1]!;
  assert.ok(dir.startsWith(parent.path));
  assert.equal((await get(port)).status, 200);
  assert.ok(processesWith(dir).length >= 3, "uWSGI's master and 2 workers run");
  Deno.kill(edge.pid, "SIGKILL");
  await edge.exited();
  assert.deepEqual(await noProcessesWith(dir, 5000), [], "no uWSGI process outlives the edge");
  const next = await startEdge(args);
  try {
    await next.waitFor(new RegExp(`removed ${dir}, left by an edge that died`));
    assert.throws(() => Deno.statSync(dir));
  } finally {
    await next.stop();
    parent.cleanup();
  }
});

Deno.test({
  name: "e2e: with uid/gid too, kill -9 of the edge takes its workers down",
  // only root can change users
  ignore: Deno.uid() !== 0,
  fn: async () => {
    // the workers' user must reach the app and their socket's directory
    const parent = tempDir();
    Deno.chmodSync(parent.path, 0o755);
    const app = `${parent.path}/app.py`;
    Deno.copyFileSync(TEST_APP, app);
    Deno.chmodSync(app, 0o644);
    const port = freePort();
    const edge = await startEdge([
      ...["--http", `127.0.0.1:${port}`, "--wsgi-file", app, "--processes", "2"],
      ...["--uid", "nobody", "--gid", "nogroup", "--http-temp-path", parent.path],
    ]);
    try {
      assert.equal((await get(port, "/")).status, 200);
      const uwsgi = processesWith(parent.path).filter((pid) =>
        Deno.readTextFileSync(`/proc/${pid}/cmdline`).split("\0")[0]!.endsWith("uwsgi")
      );
      assert.equal(uwsgi.length, 3, "uWSGI's master and 2 workers run");
      Deno.kill(edge.pid, "SIGKILL");
      await edge.exited();
      assert.deepEqual(
        await noProcessesWith(parent.path, 5000),
        [],
        "no uWSGI process outlives the edge",
      );
    } finally {
      for (const pid of processesWith(parent.path)) Deno.kill(pid, "SIGKILL");
      await edge.stop();
      parent.cleanup();
    }
  },
});
