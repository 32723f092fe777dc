/**
 * Real uwsgi.ini files run unchanged (issue 11): each class of option that used to break a
 * drop-in start, with real uWSGI workers.
 */
import assert from "node:assert/strict";
import {
  alive,
  edgeCommand,
  freePort,
  noProcessesWith,
  Proc,
  processesWith,
  startEdge,
  startUwsgi,
  tempDir,
  TEST_APP,
} from "./helpers.ts";

const ENV = { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", NO_COLOR: "1" };

/** The uWSGI pids the edge reported starting. */
function uwsgiPids(edge: Proc): number[] {
  return [...edge.output.matchAll(/uWSGI pid (\d+)/g)].map((m) => Number(m[1]));
}

/** Waits (bounded) until none of `pids` is alive. */
async function gone(pids: number[], timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (pids.some(alive)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

/** Runs the edge to its own exit (a start that must fail), bounded. */
async function runToExit(args: string[], timeoutMs = 30000): Promise<Proc> {
  const { cmd, args: pre } = edgeCommand();
  const proc = new Proc(cmd, [...pre, ...args], { env: ENV });
  const timer = setTimeout(() => proc.stop("SIGKILL"), timeoutMs);
  await proc.exited();
  clearTimeout(timer);
  return proc;
}

async function get(port: number, path = "/"): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: await res.text() };
}

/** An ini in a fresh directory with the test app beside it; `$PORT` is the edge's port. */
function iniWith(body: string): { ini: string; dir: string; port: number; cleanup: () => void } {
  const dir = tempDir();
  Deno.chmodSync(dir.path, 0o755);
  Deno.copyFileSync(TEST_APP, `${dir.path}/app.py`);
  Deno.chmodSync(`${dir.path}/app.py`, 0o644);
  const port = freePort();
  const text = `[uwsgi]\nhttp = 127.0.0.1:${port}\nwsgi-file = ${dir.path}/app.py\n` +
    body.replaceAll("$DIR", dir.path);
  Deno.writeTextFileSync(`${dir.path}/app.ini`, text);
  return { ini: `${dir.path}/app.ini`, dir: dir.path, port, cleanup: dir.cleanup };
}

const isRoot = Deno.uid() === 0;

Deno.test({
  name: "e2e: uid/gid = nobody/nogroup: the workers drop privileges and still serve",
  ignore: !isRoot,
  fn: async () => {
    const setup = iniWith("uid = nobody\ngid = nogroup\nprocesses = 2\n");
    const edge = await startEdge(["--ini", setup.ini]);
    try {
      assert.deepEqual(await get(setup.port), { status: 200, body: "Hello World\n" });
      const env = JSON.parse((await get(setup.port, "/env")).body);
      assert.ok(env["uwsgi.version"] !== undefined || env.REQUEST_METHOD === "GET");
      // the workers run as nobody; their socket's directory is theirs and closed to others
      // a root watcher runs uWSGI (its master changes user); uWSGI logs its own pid
      assert.match(edge.output, /uWSGI under watcher pid \d+/);
      const pid = /spawned uWSGI master process \(pid: (\d+)\)/.exec(edge.output)![1];
      const status = Deno.readTextFileSync(`/proc/${pid}/status`);
      const nobody = /^nobody:[^:]*:(\d+):/m.exec(Deno.readTextFileSync("/etc/passwd"))![1];
      assert.match(status, new RegExp(`^Uid:\\s+${nobody}\\s`, "m"));
      const socket = /uWSGI under watcher pid \d+ on (\S+)/.exec(edge.output)![1]!;
      const dirStat = Deno.statSync(socket.slice(0, socket.lastIndexOf("/")));
      assert.equal(dirStat.uid, Number(nobody));
      assert.equal(dirStat.mode! & 0o007, 0, "the socket directory is open to everyone");
    } finally {
      assert.equal((await edge.stop("SIGTERM")).code, 0);
      setup.cleanup();
    }
  },
});

Deno.test("e2e: a .env or bunfig.toml beside the ini changes nothing (uWSGI reads neither)", async () => {
  // the binary's runtime would load both from its working directory: variables for $(VAR)
  // and code to run before the edge's own
  const setup = iniWith("processes = 1\nadd-header = X-Mark: [$(EDGE_TEST_MARK)]\n");
  Deno.writeTextFileSync(`${setup.dir}/.env`, "EDGE_TEST_MARK=from-dotenv\n");
  Deno.writeTextFileSync(`${setup.dir}/bunfig.toml`, 'preload = ["./preload.js"]\n');
  Deno.writeTextFileSync(
    `${setup.dir}/preload.js`,
    `require("node:fs").writeFileSync(${JSON.stringify(`${setup.dir}/ran`)}, "ran");\n`,
  );
  const edge = await startEdge(["--ini", "app.ini"], { cwd: setup.dir });
  try {
    const res = await fetch(`http://127.0.0.1:${setup.port}/`);
    await res.body?.cancel();
    // not in the environment: left as written, as uWSGI does
    assert.equal(res.headers.get("x-mark"), "[$(EDGE_TEST_MARK)]");
    assert.throws(() => Deno.statSync(`${setup.dir}/ran`), Deno.errors.NotFound, "preload ran");
  } finally {
    assert.equal((await edge.stop("SIGTERM")).code, 0);
    setup.cleanup();
  }
});

Deno.test("e2e: logto sends uWSGI's log to a file; readiness is seen on the socket", async () => {
  const setup = iniWith("logto = $DIR/uwsgi.log\nprocesses = 1\nmaster = true\n");
  const edge = await startEdge(["--ini", setup.ini]);
  try {
    assert.deepEqual(await get(setup.port), { status: 200, body: "Hello World\n" });
    assert.match(Deno.readTextFileSync(`${setup.dir}/uwsgi.log`), /uWSGI/);
  } finally {
    assert.equal((await edge.stop("SIGTERM")).code, 0);
    setup.cleanup();
  }
});

Deno.test("e2e: daemonize is dropped with a warning (its log kept); no uWSGI outlives the edge", async () => {
  const setup = iniWith("daemonize = $DIR/daemon.log\nprocesses = 2\n");
  const edge = await startEdge(["--ini", setup.ini]);
  let pids: number[] = [];
  try {
    assert.match(edge.output, /daemonize/);
    assert.match(edge.output, /warning/i);
    assert.deepEqual(await get(setup.port), { status: 200, body: "Hello World\n" });
    pids = uwsgiPids(edge);
    assert.ok(pids.length > 0 && pids.every(alive));
    assert.match(Deno.readTextFileSync(`${setup.dir}/daemon.log`), /uWSGI/);
  } finally {
    assert.equal((await edge.stop("SIGTERM")).code, 0);
    setup.cleanup();
  }
  assert.ok(await gone(pids), "a daemonized uWSGI was left behind");
});

Deno.test("e2e: protocol = http and a worker socket are dropped: the edge owns HTTP", async () => {
  const other = freePort();
  const setup = iniWith(`protocol = http\nsocket = 127.0.0.1:${other}\nprocesses = 1\n`);
  const edge = await startEdge(["--ini", setup.ini]);
  try {
    assert.match(edge.output, /protocol/);
    assert.match(edge.output, /socket/);
    assert.deepEqual(await get(setup.port), { status: 200, body: "Hello World\n" });
    // nothing listens on the socket the workers were told to use
    await assert.rejects(Deno.connect({ hostname: "127.0.0.1", port: other }));
  } finally {
    assert.equal((await edge.stop("SIGTERM")).code, 0);
    setup.cleanup();
  }
});

Deno.test("e2e: processes = 0 with http-to is a router only, not an error", async () => {
  const dir = tempDir();
  const backend = await startUwsgi(`${dir.path}/app.sock`);
  const port = freePort();
  Deno.writeTextFileSync(
    `${dir.path}/router.ini`,
    `[uwsgi]\nmaster = true\nprocesses = 0\nhttp = 127.0.0.1:${port}\nhttp-to = ${dir.path}/app.sock\n`,
  );
  const edge = await startEdge(["--ini", `${dir.path}/router.ini`]);
  try {
    assert.match(edge.output, /router only/);
    assert.equal(uwsgiPids(edge).length, 0);
    assert.deepEqual(await get(port), { status: 200, body: "Hello World\n" });
  } finally {
    assert.equal((await edge.stop("SIGTERM")).code, 0);
    await backend.stop("SIGINT");
    dir.cleanup();
  }
});

Deno.test("e2e: strict = true refuses a typo (exit 2, closest name); without it a warning", async () => {
  const strict = iniWith("strict = true\nkttp-auto-gzip = true\n");
  try {
    const failed = await runToExit(["--ini", strict.ini]);
    assert.equal((await failed.exited()).code, 2, failed.output);
    assert.match(failed.output, /"kttp-auto-gzip" \([^)]*app\.ini:5\)/);
    assert.match(failed.output, /did you mean "http-auto-gzip"\?/);
    assert.equal(uwsgiPids(failed).length, 0);
  } finally {
    strict.cleanup();
  }
  const loose = iniWith("kttp-auto-gzip = true\n");
  const edge = await startEdge(["--ini", loose.ini]);
  try {
    assert.match(edge.output, /warning[^\n]*"kttp-auto-gzip"[^\n]*did you mean "http-auto-gzip"/);
    assert.deepEqual(await get(loose.port), { status: 200, body: "Hello World\n" });
  } finally {
    assert.equal((await edge.stop("SIGTERM")).code, 0);
    loose.cleanup();
  }
});

Deno.test("e2e: uWSGI's own flags on the command line (--stats, -w, -M, -T, --threads)", async () => {
  const dir = tempDir();
  Deno.copyFileSync(TEST_APP, `${dir.path}/app.py`);
  const port = freePort();
  const stats = freePort();
  const edge = await startEdge([
    "--http",
    `127.0.0.1:${port}`,
    "-w",
    "app",
    "--chdir",
    dir.path,
    "-M",
    "-T",
    "--processes",
    "2",
    "--threads",
    "2",
    "--stats",
    `127.0.0.1:${stats}`,
  ]);
  try {
    assert.deepEqual(await get(port), { status: 200, body: "Hello World\n" });
    // uWSGI's stats server (the workers got --stats): raw JSON on connect
    let text = "";
    for (let i = 0; i < 50 && !text.includes("workers"); i++) {
      try {
        const conn = await Deno.connect({ hostname: "127.0.0.1", port: stats });
        text = new TextDecoder().decode(await new Response(conn.readable).arrayBuffer());
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const report = JSON.parse(text);
    assert.equal(report.workers.length, 2);
    assert.equal(report.workers[0].cores.length, 2);
  } finally {
    assert.equal((await edge.stop("SIGTERM")).code, 0);
    dir.cleanup();
  }
});

Deno.test("e2e: a port in use in embedded mode: exit 1 naming EADDRINUSE, no uWSGI left", async () => {
  // the edge kills uWSGI the moment its socket is up, often while it forks its workers:
  // a worker forked then must not outlive its master, so the start is tried again and again
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const parent = tempDir();
  try {
    const port = (taken.addr as Deno.NetAddr).port;
    for (let i = 0; i < 25; i++) {
      const failed = await runToExit([
        ...["--http", `127.0.0.1:${port}`, "--wsgi-file", TEST_APP],
        ...["--processes", "2", "--http-temp-path", parent.path],
      ]);
      assert.equal((await failed.exited()).code, 1, failed.output);
      assert.match(failed.output, /EADDRINUSE: Address already in use \(os error 98\)/);
      assert.deepEqual(
        await noProcessesWith(parent.path, 3000),
        [],
        `a uWSGI process was orphaned:\n${failed.output}`,
      );
    }
  } finally {
    for (const pid of processesWith(parent.path)) Deno.kill(pid, "SIGKILL");
    taken.close();
    parent.cleanup();
  }
});

Deno.test("e2e: lazy-apps with an app that cannot import: a clear startup failure", async () => {
  const setup = iniWith("lazy-apps = true\nprocesses = 2\n");
  Deno.writeTextFileSync(`${setup.dir}/app.py`, "import no_such_module_here\n");
  try {
    const failed = await runToExit(["--ini", setup.ini]);
    assert.equal((await failed.exited()).code, 1, failed.output);
    assert.match(failed.output, /no app loaded|could not load|cannot load/i);
    assert.doesNotMatch(failed.output, /listening on/);
    assert.ok(await gone(uwsgiPids(failed)), "uWSGI was left behind");
  } finally {
    setup.cleanup();
  }
});

Deno.test("e2e: SIGTERM with a long request exits 0 within reload-mercy; gone clients do not hold it", async () => {
  const setup = iniWith("processes = 2\nreload-mercy = 3\n");
  const edge = await startEdge(["--ini", setup.ini]);
  try {
    // one client waits for a 20 s request; one asked for the same and went away
    const slow = fetch(`http://127.0.0.1:${setup.port}/sleep/20000`).then(
      (r) => r.status,
      () => 0,
    );
    const quitter = await Deno.connect({ hostname: "127.0.0.1", port: setup.port });
    await quitter.write(new TextEncoder().encode("GET /sleep/20000 HTTP/1.1\r\nHost: a\r\n\r\n"));
    await new Promise((r) => setTimeout(r, 300));
    quitter.close();
    const pids = uwsgiPids(edge);
    const started = Date.now();
    const status = await edge.stop("SIGTERM", 15000);
    const took = Date.now() - started;
    assert.equal(status.code, 0, edge.output);
    assert.ok(took < 4000, `exit took ${took} ms with reload-mercy = 3:\n${edge.output}`);
    assert.ok(took >= 1800, `exit took ${took} ms, no mercy given:\n${edge.output}`);
    assert.notEqual(await slow, 200);
    // the quitter's request was let go when it left, not cut by the mercy
    assert.match(
      edge.output,
      /GET \/sleep\/20000: the client closed before its response, and the edge is shutting down/,
    );
    assert.equal(edge.output.match(/=> 502 \d+ bytes/g)?.length, 1, edge.output);
    assert.ok(await gone(pids), "uWSGI outlived the edge");
  } finally {
    await edge.stop("SIGKILL");
    setup.cleanup();
  }
});

Deno.test("e2e: the Docker image builds (only where a Docker engine runs)", async () => {
  const docker = async (args: string[]) => {
    try {
      return await new Deno.Command("docker", { args, stdout: "piped", stderr: "piped" }).output();
    } catch {
      return undefined; // no docker client
    }
  };
  const info = await docker(["info", "--format", "{{.ServerVersion}}"]);
  if (info === undefined || info.code !== 0) {
    console.log("skipped: no Docker engine runs here (docker info fails)");
    return;
  }
  const root = new URL("../../", import.meta.url).pathname;
  const out = await docker(["build", "-q", "-t", "uwsgi-edge-test", root]);
  assert.equal(out!.code, 0, new TextDecoder().decode(out!.stderr));
});
