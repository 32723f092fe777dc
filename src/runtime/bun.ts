/**
 * The Bun implementation of the runtime seam, for the single binary built by compile.sh
 * with `bun build --compile` (Deno's own `deno compile` needs a runtime download that
 * build machines without internet cannot make). Only this file calls `Bun.*`.
 */
import fs from "node:fs";
import http2 from "node:http2";
import os from "node:os";
import process from "node:process";
import type {
  Accepted,
  ChildProcess,
  Conn,
  ConnectAddress,
  DatagramSocket,
  Handler,
  ListenAddress,
  Listener,
  Peer,
  Runtime,
  Server,
} from "./types.ts";
import { mergeText } from "./_merge_text.ts";

/** The few Bun APIs used here, typed for the Deno type checker. */
interface BunSocket {
  write(data: Uint8Array): number;
  end(): void;
  terminate(): void;
  remoteAddress?: string;
  pause?(): void;
  resume?(): void;
  remotePort?: number;
  setNoDelay?(on: boolean): void;
  data: SocketConn;
}

interface SocketHandlers {
  open?(socket: BunSocket): void;
  data(socket: BunSocket, data: Uint8Array): void;
  drain(socket: BunSocket): void;
  /** The peer half-closed: no more data, but we may still write. */
  end(socket: BunSocket): void;
  close(socket: BunSocket): void;
  error(socket: BunSocket, error: Error): void;
}

interface BunApi {
  version: string;
  main: string;
  listen(options: Record<string, unknown>): { port?: number; stop(closeActive?: boolean): void };
  connect(options: Record<string, unknown>): Promise<BunSocket>;
  serve(options: Record<string, unknown>): {
    port?: number;
    stop(closeActive?: boolean): Promise<void> | void;
  };
  udpSocket(options: Record<string, unknown>): Promise<{ close(): void }>;
  spawn(
    cmd: string[],
    options: Record<string, unknown>,
  ): {
    pid: number;
    exited: Promise<number>;
    signalCode: string | null;
    stdout: ReadableStream<Uint8Array>;
    stderr: ReadableStream<Uint8Array>;
    kill(signal?: string): void;
  };
  which(name: string): string | null;
}

const bun = (globalThis as unknown as { Bun: BunApi }).Bun;

/** A Bun socket as a pull-style Conn: data events queue up until read() takes them. */
/** Bytes queued from a socket before it is paused (back-pressure: Bun pushes data). */
const HIGH_WATER = 256 * 1024;

class SocketConn implements Accepted {
  readonly #chunks: Uint8Array[] = [];
  #queued = 0;
  #paused = false;
  #ended = false;
  #readEnded = false;
  #failed: Error | undefined;
  #wake: (() => void) | undefined;
  readonly #drains: Array<() => void> = [];
  socket: BunSocket | undefined;
  peer: Peer;

  constructor(peer: Peer) {
    this.peer = peer;
  }

  push(data: Uint8Array): void {
    // Bun may reuse its buffer after the callback returns
    this.#chunks.push(data.slice());
    this.#queued += data.length;
    if (this.#queued > HIGH_WATER && !this.#paused && this.socket?.pause) {
      this.#paused = true;
      this.socket.pause();
    }
    this.#wake?.();
  }

  /** The peer sent FIN: reads end, writes go on (a half-closed client still gets its answer). */
  readEnded(): void {
    this.#readEnded = true;
    this.#wake?.();
  }

  ended(error?: Error): void {
    this.#ended = true;
    this.#failed ??= error;
    this.#wake?.();
    for (const drain of this.#drains.splice(0)) drain();
  }

  drained(): void {
    for (const drain of this.#drains.splice(0)) drain();
  }

  async read(buffer: Uint8Array): Promise<number | null> {
    while (this.#chunks.length === 0) {
      if (this.#readEnded && !this.#failed) return null;
      if (this.#ended) {
        if (this.#failed) throw this.#failed;
        return null;
      }
      await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#wake = undefined;
    }
    const chunk = this.#chunks[0]!;
    const n = Math.min(chunk.length, buffer.length);
    buffer.set(chunk.subarray(0, n));
    if (n === chunk.length) this.#chunks.shift();
    else this.#chunks[0] = chunk.subarray(n);
    this.#queued -= n;
    if (this.#paused && this.#queued < HIGH_WATER / 2) {
      this.#paused = false;
      this.socket?.resume?.();
    }
    return n;
  }

  async write(bytes: Uint8Array): Promise<number> {
    let offset = 0;
    while (offset < bytes.length) {
      if (this.#ended || !this.socket) throw new Error("the connection is closed");
      const n = this.socket.write(bytes.subarray(offset));
      if (n < 0) throw new Error("the connection is closed");
      offset += n;
      if (offset < bytes.length) await new Promise<void>((resolve) => this.#drains.push(resolve));
    }
    return bytes.length;
  }

  close(): void {
    if (!this.#ended) this.socket?.end();
    this.ended();
  }
}

const handlers: SocketHandlers = {
  data: (socket, data) => socket.data.push(data),
  drain: (socket) => socket.data.drained(),
  end: (socket) => socket.data.readEnded(),
  close: (socket) => socket.data.ended(),
  error: (socket, error) => socket.data.ended(error),
};

function listen(address: ListenAddress, options: { reusePort?: boolean } = {}): Listener {
  const queue: Accepted[] = [];
  let waiting: ((conn: Accepted | null) => void) | undefined;
  let closed = false;
  const where = address.transport === "unix"
    ? { unix: address.path }
    : { hostname: address.hostname, port: address.port, reusePort: options.reusePort ?? false };
  if (address.transport === "unix") fs.rmSync(address.path, { force: true });
  const server = bun.listen({
    ...where,
    allowHalfOpen: true,
    socket: {
      ...handlers,
      open(socket: BunSocket) {
        socket.setNoDelay?.(true);
        const conn = new SocketConn(
          address.transport === "unix"
            ? { address: "0.0.0.0", port: 0 }
            : { address: socket.remoteAddress ?? "0.0.0.0", port: socket.remotePort ?? 0 },
        );
        conn.socket = socket;
        socket.data = conn;
        if (waiting) {
          const take = waiting;
          waiting = undefined;
          take(conn);
        } else {
          queue.push(conn);
        }
      },
    },
  });
  return {
    address: address.transport === "unix"
      ? address
      : { transport: "tcp", hostname: address.hostname, port: server.port ?? address.port },
    accept() {
      const next = queue.shift();
      if (next) return Promise.resolve(next);
      if (closed) return Promise.resolve(null);
      return new Promise((resolve) => (waiting = resolve));
    },
    close() {
      if (closed) return;
      closed = true;
      server.stop(false);
      waiting?.(null);
      waiting = undefined;
    },
  };
}

async function connect(address: ConnectAddress): Promise<Conn> {
  const conn = new SocketConn({ address: "", port: 0 });
  const where = address.transport === "unix"
    ? { unix: address.path }
    : { hostname: address.hostname, port: address.port };
  const socket = await bun.connect({ ...where, data: conn, allowHalfOpen: true, socket: handlers });
  socket.setNoDelay?.(true);
  conn.socket = socket;
  return conn;
}

/**
 * HTTPS with HTTP/2: Bun's own server has no HTTP/2, its node:http2 does (with HTTP/1.1 for
 * clients that do not negotiate h2). Requests and responses are bridged to fetch objects.
 */
function serveTls(
  address: ListenAddress,
  handler: Handler,
  tls: { cert: string; key: string },
): Promise<Server> {
  const server = http2.createSecureServer({ ...tls, allowHTTP1: true }, async (req, res) => {
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (name.startsWith(":") || value === undefined) continue;
      for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
    }
    const authority = req.headers[":authority"] ?? req.headers.host ?? "localhost";
    const hasBody = req.method !== "GET" && req.method !== "HEAD";
    const request = new Request(`https://${authority}${req.url}`, {
      method: req.method,
      headers,
      ...(hasBody
        ? {
          body: new ReadableStream<Uint8Array>({
            async start(controller) {
              for await (const chunk of req) {
                controller.enqueue(new Uint8Array(chunk as Uint8Array));
              }
              controller.close();
            },
          }),
          duplex: "half",
        }
        : {}),
    } as RequestInit);
    const socket = req.socket;
    let response: Response;
    try {
      response = await handler(request, {
        address: socket.remoteAddress ?? "0.0.0.0",
        port: socket.remotePort ?? 0,
      });
    } catch {
      res.writeHead(500);
      res.end();
      return;
    }
    const out: Record<string, string | string[]> = {};
    response.headers.forEach((value, name) => {
      const seen = out[name];
      out[name] = seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value];
    });
    res.writeHead(response.status, out);
    if (response.body) {
      for await (const chunk of response.body) {
        if (!res.write(chunk)) await new Promise((resolve) => res.once("drain", resolve));
      }
    }
    res.end();
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    const done = new Promise<void>((r) => server.once("close", () => r()));
    const ready = () => {
      const bound = server.address();
      resolve({
        address: address.transport === "unix" ? address : {
          transport: "tcp",
          hostname: address.hostname,
          port: typeof bound === "object" && bound ? bound.port : address.port,
        },
        shutdown: async () => {
          server.close();
          await done;
        },
        finished: done,
      });
    };
    if (address.transport === "unix") server.listen(address.path, ready);
    else server.listen(address.port, address.hostname, ready);
  });
}

function serve(
  address: ListenAddress,
  handler: Handler,
  tls?: { cert: string; key: string },
): Promise<Server> {
  if (tls) {
    try {
      return serveTls(address, handler, tls);
    } catch (error) {
      // a certificate the TLS library refuses: reported like a failed listen
      return Promise.reject(error);
    }
  }
  let stopped: () => void = () => {};
  const finished = new Promise<void>((resolve) => (stopped = resolve));
  const where = address.transport === "unix"
    ? { unix: address.path }
    : { hostname: address.hostname, port: address.port };
  let server: ReturnType<BunApi["serve"]>;
  try {
    server = bun.serve({
      ...where,
      ...(tls ? { tls } : {}),
      fetch(
        request: Request,
        srv: { requestIP(r: Request): { address: string; port: number } | null },
      ) {
        const ip = srv.requestIP(request);
        return handler(request, { address: ip?.address ?? "0.0.0.0", port: ip?.port ?? 0 });
      },
    });
  } catch (error) {
    return Promise.reject(error);
  }
  return Promise.resolve({
    address: address.transport === "unix"
      ? address
      : { transport: "tcp", hostname: address.hostname, port: server.port ?? address.port },
    shutdown: async () => {
      await server.stop(false);
      stopped();
    },
    finished,
  });
}

function listenDatagram(address: ListenAddress): DatagramSocket {
  if (address.transport === "unix") {
    throw new Error("unix datagram sockets are not available in the Bun build: use host:port");
  }
  const queue: Uint8Array[] = [];
  let waiting: ((bytes: Uint8Array | null) => void) | undefined;
  let closed = false;
  const socket = bun.udpSocket({
    hostname: address.hostname,
    port: address.port,
    socket: {
      data(_socket: unknown, data: Uint8Array) {
        const bytes = data.slice();
        if (waiting) {
          const take = waiting;
          waiting = undefined;
          take(bytes);
        } else {
          queue.push(bytes);
        }
      },
    },
  });
  return {
    receive() {
      const next = queue.shift();
      if (next) return Promise.resolve(next);
      if (closed) return Promise.resolve(null);
      return new Promise((resolve) => (waiting = resolve));
    },
    sendTo() {
      return Promise.reject(new Error("unix datagram sockets are not available in the Bun build"));
    },
    close() {
      closed = true;
      socket.then((s) => s.close(), () => {});
      waiting?.(null);
    },
  };
}

function spawn(
  command: string,
  args: string[],
  options: { env?: Record<string, string> } = {},
): ChildProcess {
  let child: ReturnType<BunApi["spawn"]>;
  try {
    child = bun.spawn([command, ...args], {
      ...(options.env ? { env: options.env } : {}),
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
  } catch (error) {
    if ((error as { code?: string }).code === "ENOENT") throw new Error(`${command}: not found`);
    throw error;
  }
  return {
    pid: child.pid,
    status: child.exited.then((code) => ({ code, signal: child.signalCode })),
    output: mergeText(child.stdout, child.stderr),
    kill: (signal) => child.kill(signal),
  };
}

function env(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined) out[name] = value;
  }
  return out;
}

function write(fd: number, text: string): void {
  const bytes = new TextEncoder().encode(text);
  let offset = 0;
  while (offset < bytes.length) offset += fs.writeSync(fd, bytes, offset);
}

/** The Bun runtime. */
export const bunRuntime: Runtime = {
  name: `bun ${bun.version}`,
  args: () => process.argv.slice(2),
  exit: (code) => process.exit(code),
  serve,
  listen,
  listenDatagram,
  connect,
  spawn,
  findExecutable: (name) => {
    if (name.includes("/")) return fs.existsSync(name) ? name : undefined;
    return bun.which(name) ?? undefined;
  },
  makeTempDir: (prefix) => fs.mkdtempSync(`${os.tmpdir()}/${prefix}`),
  writeTextFile: (path, text) => fs.writeFileSync(path, text),
  removePath: (path) => fs.rmSync(path, { recursive: true, force: true }),
  readTextFile: (path) => fs.readFileSync(path, "utf8"),
  env,
  hostname: () => os.hostname(),
  cwd: () => process.cwd(),
  cpuCount: () => os.cpus().length,
  pid: () => process.pid,
  execPath: () => process.execPath,
  selfCommand: () =>
    bun.main.startsWith("/$bunfs/")
      ? { command: process.execPath, args: [] }
      : { command: process.execPath, args: ["run", bun.main] },
  writeStderr: (text) => write(2, text),
  writeStdout: (text) => write(1, text),
  onSignal: (signal, listener) => {
    process.on(signal, listener);
    return () => void process.off(signal, listener);
  },
  now: () => Date.now(),
};
