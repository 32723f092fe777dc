/**
 * Real processes for end-to-end tests: uWSGI backends and the edge (from source, or the
 * compiled binary when EDGE_BIN is set). Every process is stopped by PID and awaited.
 */
import { DENO_HEAP_FLAG } from "../../src/runtime/deno.ts";

export const ROOT = new URL("../../", import.meta.url).pathname;
export const TEST_APP = new URL("../testdata/app.py", import.meta.url).pathname;
export const TEST_DATA = new URL("../testdata/", import.meta.url).pathname;

/** A free TCP port on 127.0.0.1. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Temporary directories not cleaned up yet: a failed test's are removed on exit. */
const dirs = new Set<string>();

/** A private temporary directory, removed by `cleanup()`. */
export function tempDir(): { path: string; cleanup: () => void } {
  const path = Deno.makeTempDirSync({ prefix: "uwsgi-edge-test-" });
  dirs.add(path);
  return {
    path,
    cleanup: () => {
      dirs.delete(path);
      Deno.removeSync(path, { recursive: true });
    },
  };
}

/**
 * Every process started here. A test that failed before stopping what it started (an edge
 * that did not start, say) leaves them running: on exit they are killed by PID with every
 * process under them, or a uWSGI master's workers would outlive it.
 */
const started = new Set<Proc>();
globalThis.addEventListener("unload", () => {
  const pids = [...started].flatMap((proc) => withDescendants(proc.pid));
  for (const pid of pids) {
    try {
      Deno.kill(pid, "SIGKILL");
    } catch {
      // it exited already
    }
  }
  for (const path of dirs) Deno.removeSync(path, { recursive: true });
});

/** `pid` and the processes under it, from /proc. */
function withDescendants(pid: number): number[] {
  const pids = [pid];
  for (let i = 0; i < pids.length; i++) {
    try {
      for (const task of Deno.readDirSync(`/proc/${pids[i]}/task`)) {
        const children = Deno.readTextFileSync(`/proc/${pids[i]}/task/${task.name}/children`);
        for (const child of children.split(" ")) if (child.trim()) pids.push(Number(child));
      }
    } catch {
      // it exited already
    }
  }
  return pids;
}

/** A running child process with its combined output. */
export class Proc {
  readonly child: Deno.ChildProcess;
  output = "";
  readonly #done: Promise<unknown>;
  #status: Deno.CommandStatus | undefined;
  readonly name: string;

  constructor(
    cmd: string,
    args: string[],
    options: { env?: Record<string, string>; cwd?: string } = {},
  ) {
    this.name = `${cmd} ${args.join(" ")}`;
    this.child = new Deno.Command(cmd, {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      env: options.env ?? {},
      ...(options.cwd ? { cwd: options.cwd } : {}),
    }).spawn();
    const collect = async (stream: ReadableStream<Uint8Array>) => {
      const decoder = new TextDecoder();
      for await (const chunk of stream) this.output += decoder.decode(chunk, { stream: true });
    };
    started.add(this);
    this.#done = Promise.all([
      collect(this.child.stdout),
      collect(this.child.stderr),
      this.child.status.then((s) => {
        this.#status = s;
        started.delete(this);
      }),
    ]);
  }

  get pid(): number {
    return this.child.pid;
  }

  /** Waits until the output matches `pattern` (or the process exits / time runs out). */
  async waitFor(pattern: RegExp, timeoutMs = 15000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(this.output)) {
      if (this.#status) throw new Error(`${this.name} exited early:\n${this.output}`);
      if (Date.now() > deadline) {
        throw new Error(
          `${this.name} did not print ${pattern} in ${timeoutMs} ms:\n${this.output}`,
        );
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Resolves with the exit status once the process ended by itself. */
  async exited(): Promise<Deno.CommandStatus> {
    await this.#done;
    return this.#status!;
  }

  /** Sends `signal`, then SIGKILL after `graceMs`; waits for the exit. */
  async stop(signal: Deno.Signal = "SIGTERM", graceMs = 5000): Promise<Deno.CommandStatus> {
    if (!this.#status) {
      try {
        this.child.kill(signal);
      } catch {
        // already gone
      }
      const timer = setTimeout(() => {
        try {
          this.child.kill("SIGKILL");
        } catch {
          // already gone
        }
      }, graceMs);
      await this.#done;
      clearTimeout(timer);
    }
    await this.#done;
    return this.#status!;
  }
}

const BASE_ENV = {
  PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
  HOME: Deno.env.get("HOME") ?? "/root",
};

/**
 * Starts a uWSGI backend on `socket` (unix path or host:port) serving the test app (or what
 * `app` loads, e.g. `["--module", "httpbin:app"]`); stopped with SIGINT.
 */
export async function startUwsgi(
  socket: string,
  extra: string[] = [],
  app: string[] = ["--wsgi-file", TEST_APP],
): Promise<Proc> {
  const proc = new Proc("uwsgi", [
    "--plugin",
    "python3",
    "--socket",
    socket,
    ...app,
    "--master",
    "--processes",
    "2",
    "--disable-logging",
    "--buffer-size",
    "32768",
    ...extra,
  ], { env: BASE_ENV });
  // the last --processes wins, as in uWSGI
  const at = extra.lastIndexOf("--processes");
  const workers = at >= 0 ? extra[at + 1] : "2";
  await proc.waitFor(new RegExp(`spawned uWSGI worker ${workers}\\b`));
  return proc;
}

/** Starts uWSGI's own HTTP router (for differential tests); stopped with SIGINT. */
export async function startUwsgiRouter(port: number, args: string[]): Promise<Proc> {
  const proc = new Proc("uwsgi", [
    "--plugin",
    "http",
    "--master",
    "--http",
    `127.0.0.1:${port}`,
    "--disable-logging",
    ...args,
  ], { env: BASE_ENV });
  await proc.waitFor(/uWSGI http bound on/);
  return proc;
}

/**
 * True when the suite runs against the binary built with Bun (compile.sh without denort),
 * whose runtime lacks HTTP/2 in its server and unix datagram sockets (README says so).
 */
export const BUN_BUILD = (() => {
  const bin = Deno.env.get("EDGE_BIN");
  if (!bin) return false;
  const out = new Deno.Command(bin, { args: ["--version"], stdout: "piped" }).outputSync();
  return new TextDecoder().decode(out.stdout).includes("(bun ");
})();

/** The command that runs the edge: the compiled binary if EDGE_BIN is set. */

export function edgeCommand(): { cmd: string; args: string[] } {
  const bin = Deno.env.get("EDGE_BIN");
  if (bin) return { cmd: bin, args: [] };
  return {
    cmd: Deno.execPath(),
    // as `deno task start` runs it (the V8 flag: docs/performance.md)
    args: ["run", "-A", DENO_HEAP_FLAG, "--config", `${ROOT}deno.json`, `${ROOT}main.ts`],
  };
}

/** Starts the edge with `args` and waits until every listener is up. */
export async function startEdge(
  args: string[],
  options: {
    env?: Record<string, string>;
    cwd?: string;
    listeners?: number;
    /** A command the edge runs under (["prlimit", "--nofile=256"]): it must exec the edge. */
    wrapper?: string[];
  } = {},
): Promise<Proc> {
  const { cmd, args: pre } = edgeCommand();
  const wrapper = options.wrapper ?? [];
  const full = [...wrapper, cmd, ...pre, ...args];
  const proc = new Proc(full[0]!, full.slice(1), {
    env: { ...BASE_ENV, NO_COLOR: "1", ...options.env },
    ...(options.cwd ? { cwd: options.cwd } : {}),
  });
  const count = options.listeners ?? 1;
  await proc.waitFor(new RegExp(`(listening on[^\\n]*\\n[^]*){${count}}`));
  return proc;
}

/** Sends raw bytes on a TCP connection and reads until the server closes (or timeout). */
export async function rawRequest(port: number, bytes: string, timeoutMs = 5000): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(new TextEncoder().encode(bytes));
    let out = "";
    const buf = new Uint8Array(65536);
    const deadline = Date.now() + timeoutMs;
    const decoder = new TextDecoder("latin1");
    while (Date.now() < deadline) {
      const n = await conn.read(buf);
      if (n === null) break;
      out += decoder.decode(buf.subarray(0, n));
    }
    return out;
  } finally {
    conn.close();
  }
}

/** Writes all of `bytes` (one write may take less). */
export async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length;) at += await conn.write(bytes.subarray(at));
}

/** Reads until the server closes, then closes: the text. */
export async function readToEnd(conn: Deno.Conn): Promise<string> {
  let text = "";
  const decoder = new TextDecoder();
  const buf = new Uint8Array(65536);
  while (true) {
    const n = await conn.read(buf);
    if (n === null) break;
    text += decoder.decode(buf.subarray(0, n), { stream: true });
  }
  conn.close();
  return text;
}

/** Pids of processes whose command line mentions `text`. */
export function processesWith(text: string): number[] {
  const pids: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const cmdline = Deno.readTextFileSync(`/proc/${entry.name}/cmdline`);
      if (cmdline.includes(text)) pids.push(Number(entry.name));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** Waits (bounded) until no process mentions `text`; resolves to those still there. */
export async function noProcessesWith(text: string, timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  while (processesWith(text).length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
  }
  return processesWith(text);
}

/** The process is still there. */
export function alive(pid: number): boolean {
  try {
    Deno.kill(pid, "SIGCONT");
    return true;
  } catch {
    return false;
  }
}

/** Resident memory (VmRSS) of a process now, in MiB. */
export function rssMiB(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? "0") / 1024;
}

/**
 * A process's private memory in MiB (RssAnon: heap, stacks, buffers), without the pages of
 * its executable that happen to be mapped — those depend on the page cache, not on the
 * process's work (a freshly written binary maps ~4 MiB more of itself).
 */
export function anonMiB(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(/RssAnon:\s+(\d+) kB/.exec(status)?.[1] ?? "0") / 1024;
}

/** File descriptors a process has open. */
export function openFds(pid: number): number {
  return [...Deno.readDirSync(`/proc/${pid}/fd`)].length;
}

/** CPU time (user + system) a process used so far, in ms. */
export function cpuMs(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Peak resident memory (VmHWM) of a process, in MiB. */
export function peakRssMiB(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? "0");
  return kb / 1024;
}

/** A parsed HTTP/1.x response read to the connection's end (framing removed). */
export interface RawResponse {
  status: number;
  headers: Array<[string, string]>;
  body: Uint8Array;
}

/**
 * Sends `request` bytes and reads the whole response until the server closes; throws if
 * it has not closed within `timeoutMs`.
 */
export async function exchangeRaw(
  port: number,
  request: Uint8Array,
  head = false,
  timeoutMs = 10_000,
): Promise<RawResponse> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const chunks: Uint8Array[] = [];
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    conn.close();
  }, timeoutMs);
  try {
    await conn.write(request);
    const buf = new Uint8Array(65536);
    while (true) {
      const n = await conn.read(buf);
      if (n === null) break;
      chunks.push(buf.slice(0, n));
    }
  } catch (error) {
    if (timedOut) throw new Error(`The server did not close the connection within ${timeoutMs} ms`);
    throw error;
  } finally {
    clearTimeout(timer);
    if (!timedOut) conn.close();
  }
  const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  let end = 0;
  while (
    end + 3 < all.length &&
    !(all[end] === 13 && all[end + 1] === 10 && all[end + 2] === 13 && all[end + 3] === 10)
  ) end++;
  const headText = new TextDecoder("latin1").decode(all.subarray(0, end));
  const [statusLine, ...lines] = headText.split("\r\n");
  const headers = lines.map((line): [string, string] => {
    const colon = line.indexOf(":");
    return [line.slice(0, colon), line.slice(colon + 1).trim()];
  });
  let body = all.subarray(end + 4);
  const status = Number(statusLine!.split(" ")[1]);
  if (head || status === 204 || status === 304) body = new Uint8Array(0);
  else if (
    headers.some(([n, v]) => n.toLowerCase() === "transfer-encoding" && /chunked/i.test(v))
  ) {
    const pieces: Uint8Array[] = [];
    let i = 0;
    while (i < body.length) {
      let lineEnd = i;
      while (lineEnd < body.length && body[lineEnd] !== 13) lineEnd++;
      const size = parseInt(new TextDecoder().decode(body.subarray(i, lineEnd)), 16);
      if (lineEnd === body.length || !(size >= 0)) {
        throw new SyntaxError(`A malformed chunked body at byte ${i} of ${body.length}`);
      }
      if (size === 0) break;
      pieces.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
      i = lineEnd + 2 + size + 2;
    }
    body = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
    pieces.reduce((at, p) => (body.set(p, at), at + p.length), 0);
  }
  return { status, headers, body };
}

/**
 * Starts a uWSGI backend (the test app) and an edge in front of it with `args`; runs `body`
 * with the edge's port; always stops both. Resolves to the backend's output.
 */
export async function withEdge(
  args: string[],
  body: (port: number, edge: Proc, sock: string) => Promise<void>,
  backendArgs: string[] = [],
): Promise<string> {
  const dir = tempDir();
  const sock = `${dir.path}/app.sock`;
  const backend = await startUwsgi(sock, backendArgs);
  try {
    const port = freePort();
    const edge = await startEdge(["--http", `127.0.0.1:${port}`, "--http-to", sock, ...args]);
    try {
      await body(port, edge, sock);
    } finally {
      await edge.stop();
    }
  } finally {
    await backend.stop("SIGINT");
    dir.cleanup();
  }
  return backend.output;
}

/** Runs a command to its end; its exit code and output. */
export async function run(cmd: string, args: string[], cwd?: string) {
  const out = await new Deno.Command(cmd, {
    args,
    stdout: "piped",
    stderr: "piped",
    ...(cwd ? { cwd } : {}),
  }).output();
  return {
    code: out.code,
    out: new TextDecoder().decode(out.stdout),
    err: new TextDecoder().decode(out.stderr),
  };
}

/** A self-signed certificate `dir/name.crt` with its key `dir/name.key`, for `cn`. */
export async function certificate(dir: string, name: string, cn = "localhost"): Promise<void> {
  const made = await run("openssl", [
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    `${dir}/${name}.key`,
    "-out",
    `${dir}/${name}.crt`,
    "-days",
    "2",
    "-subj",
    `/CN=${cn}`,
    "-addext",
    `subjectAltName=DNS:${cn}`,
  ]);
  if (made.code !== 0) throw new Error(`openssl failed: ${made.err}`);
}
