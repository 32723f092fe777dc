/**
 * The Bun implementation of the runtime seam, for the single binary built by compile.sh
 * with `bun build --compile` (Deno's own `deno compile` needs a runtime download that
 * build machines without internet cannot make). Only this file calls `Bun.*`.
 */
import fs from "node:fs";
import os from "node:os";
import process from "node:process";
import type {
  AcceptHandlers,
  ConnectAddress,
  ConnectEvents,
  ListenAddress,
  ListenOptions,
  Runtime,
  StreamEvents,
  StreamListener,
  StreamSocket,
} from "./types.ts";
import { listenTls, onTlsFault } from "./_node_tls.ts";
import { h2Server } from "./_h2_pipe.ts";
import { openTempFile } from "./_temp_file.ts";
import { listenDatagram } from "./_bun_datagram.ts";
import { spawn } from "./_bun_spawn.ts";
import { chown, fdLimit, listDir, makeDir, openFds } from "./_limits.ts";
import { noteRead, startIdleCollection } from "./_bun_idle_gc.ts";
import { rawHost } from "./_bun_raw.ts";
import { rawListen } from "./_raw_listener.ts";
import { trimHeldWrites } from "./_held_writes.ts";
import { rawConnect } from "./_raw_connect.ts";
import { describe } from "./_bun_errors.ts";

/** The few Bun APIs used here, typed for the Deno type checker. */
interface BunSocket extends StreamSocket {
  data: StreamEvents;
  alpnProtocol?: string | false | null;
  remoteAddress?: string;
  remotePort?: number;
  setNoDelay(on: boolean): void;
  shutdown(): void;
}

interface BunApi {
  version: string;
  main: string;
  listen(options: Record<string, unknown>): { port?: number; stop(closeActive?: boolean): void };
  connect(options: Record<string, unknown>): Promise<BunSocket>;
  which(name: string): string | null;
  gc(synchronous: boolean): void;
}

const bun = (globalThis as unknown as { Bun: BunApi }).Bun;

/**
 * Events of an established socket go to its owner, kept in `socket.data` (not there yet
 * when the owner itself closes the socket while it is being made: then nobody listens).
 */
const streamHandlers = {
  data: (socket: BunSocket, bytes: Uint8Array) => {
    noteRead();
    socket.data.data(bytes);
  },
  drain: (socket: BunSocket) => socket.data?.drain(),
  end: (socket: BunSocket) => socket.data?.end(),
  close: (socket: BunSocket, error?: Error) => socket.data?.closed(error),
};

/**
 * Bun's `end()` closes the socket at once, without shutdown(2): bytes the peer sent that
 * were not read yet make the kernel reset the connection, and a client still sending (an
 * early answer to a big upload) gets "connection reset" instead of its response. The
 * runtime's `end()` is a half-close, Bun's `shutdown()`: the socket is read (the engine
 * drops what comes) until the peer's FIN or the linger timer. Bun's own `end()` stays as
 * `finish()`, for a backend whose response is complete.
 */
function halfCloseOnEnd(socket: BunSocket): void {
  const bunSocket = Object.getPrototypeOf(socket) as BunSocket;
  socket.finish = bunSocket.end;
  socket.end = bunSocket.shutdown;
}

/** One handler object per listener: `open` asks the engine for the connection's owner. */
function acceptHandlers(handlers: AcceptHandlers, unix: boolean) {
  return {
    ...streamHandlers,
    open(socket: BunSocket) {
      // Bun sets TCP_NODELAY on accepted sockets itself
      const peer = unix
        ? { address: "0.0.0.0", port: 0 }
        : { address: socket.remoteAddress ?? "0.0.0.0", port: socket.remotePort ?? 0 };
      halfCloseOnEnd(socket);
      // Bun's write() is a send(2) of the bytes given: nothing is kept
      socket.data = handlers.stream(socket, { peer, tls: false, writesCopy: true });
    },
    error(socket: BunSocket, error: Error) {
      // a handler threw: a bug of ours; say so and drop the connection
      reportFault(error);
      socket.terminate();
    },
  };
}

/**
 * HTTPS on Bun's own TLS sockets: the owner is made once the handshake is done, by the
 * protocol ALPN chose (h2 goes to node:http2 through a pipe, http/1.1 to the engine).
 */
function tlsAcceptHandlers(handlers: AcceptHandlers, unix: boolean) {
  const plain = acceptHandlers(handlers, unix);
  const h2 = handlers.http2 ? h2Server(handlers.http2, handlers.http2IdleMs) : undefined;
  return {
    h2,
    socket: {
      ...plain,
      open() {},
      handshake(socket: BunSocket, ok: boolean) {
        if (!ok) return socket.terminate();
        const peer = unix
          ? { address: "0.0.0.0", port: 0 }
          : { address: socket.remoteAddress ?? "0.0.0.0", port: socket.remotePort ?? 0 };
        if (h2 && socket.alpnProtocol === "h2") {
          socket.data = h2.accept(socket, peer);
          return;
        }
        halfCloseOnEnd(socket);
        socket.data = handlers.stream(socket, { peer, tls: true, writesCopy: true });
      },
    },
  };
}

/** ALPN's wire form (each name after its length byte), as Bun.listen takes it. */
function alpnList(names: string[]): string {
  return names.map((name) => String.fromCharCode(name.length) + name).join("");
}

async function listen(
  address: ListenAddress,
  handlers: AcceptHandlers,
  options: ListenOptions = {},
): Promise<StreamListener> {
  const tls = options.tls;
  startIdleCollection(bun, () => {
    ownSockets()?.reads.trim();
    trimHeldWrites();
  });
  // Bun.listen has no certificate per server name: SNI listeners stay on node:tls
  if (tls && tls.contexts.length > 0) return await listenTls(address, handlers, tls);
  const raw = tls ? null : ownSockets();
  if (raw !== null) {
    try {
      const listener = rawListen(raw, address, handlers, options.reusePort ?? false);
      if (listener !== null) return listener;
    } catch (error) {
      throw describe(error as Error & { code?: string });
    }
  }
  const unix = address.transport === "unix";
  if (address.transport === "unix") fs.rmSync(address.path, { force: true });
  const where = address.transport === "unix"
    ? { unix: address.path }
    : { hostname: address.hostname, port: address.port, reusePort: options.reusePort ?? false };
  const secure = tls ? tlsAcceptHandlers(handlers, unix) : undefined;
  let server: ReturnType<BunApi["listen"]>;
  try {
    server = bun.listen({
      ...where,
      allowHalfOpen: true,
      socket: secure ? secure.socket : acceptHandlers(handlers, unix),
      ...(tls
        ? {
          tls: {
            cert: tls.cert,
            key: tls.key,
            ALPNProtocols: alpnList(secure?.h2 ? ["h2", "http/1.1"] : ["http/1.1"]),
          },
        }
        : {}),
    });
  } catch (error) {
    throw describe(error as Error & { code?: string });
  }
  let closed = false;
  return {
    address: address.transport === "unix"
      ? address
      : { transport: "tcp", hostname: address.hostname, port: server.port ?? address.port },
    close() {
      if (closed) return;
      closed = true;
      server.stop(false);
      secure?.h2?.close();
    },
  };
}

/** Backend connections: the owner (in `data` from the start) hears of the outcome. */
function backendHandlers(tcp: boolean) {
  return {
    ...streamHandlers,
    open(socket: BunSocket) {
      if (tcp) socket.setNoDelay(true);
      halfCloseOnEnd(socket);
      (socket.data as ConnectEvents).opened(socket);
    },
    connectError(socket: BunSocket, error: Error & { code?: string }) {
      (socket.data as ConnectEvents).connectFailed(describe(error));
    },
    error(socket: BunSocket, error: Error) {
      reportFault(error);
      socket.terminate();
    },
  };
}

let reportFault: (error: Error) => void = (error) => {
  throw error;
};

const TCP_BACKEND = backendHandlers(true);
const UNIX_BACKEND = backendHandlers(false);

/** Faults of the binary's own sockets go where reportFault points at the time. */
const rawFault = (error: Error) => reportFault(error);

/** The binary's own sockets (_bun_raw.ts), or null where Bun's serve. */
function ownSockets() {
  return rawHost(rawFault, noteRead);
}

function connect(address: ConnectAddress, owner: ConnectEvents): void {
  const raw = ownSockets();
  if (raw !== null && rawConnect(raw, address, owner)) return;
  // the promise is not needed: connectError reports failures (and keeps them handled)
  if (address.transport === "unix") {
    bun.connect({ unix: address.path, data: owner, socket: UNIX_BACKEND });
  } else {
    bun.connect({
      hostname: address.hostname,
      port: address.port,
      data: owner,
      socket: TCP_BACKEND,
    });
  }
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
  listen,
  connect,
  writesCopy: true,
  readPool: () => ownSockets()?.reads ?? null,
  onFault: (report) => {
    reportFault = report;
    onTlsFault(report);
  },
  listenDatagram,
  openTempFile,
  spawn,
  findExecutable: (name) => {
    if (name.includes("/")) return fs.existsSync(name) ? name : undefined;
    return bun.which(name) ?? undefined;
  },
  makeTempDir: (prefix, parent) => fs.mkdtempSync(`${parent ?? os.tmpdir()}/${prefix}`),
  listDir,
  makeDir,
  chown,
  writeTextFile: (path, text) => fs.writeFileSync(path, text),
  removePath: (path) => fs.rmSync(path, { recursive: true, force: true }),
  readTextFile: (path) => fs.readFileSync(path, "utf8"),
  env,
  hostname: () => os.hostname(),
  cwd: () => process.cwd(),
  cpuCount: () => os.cpus().length,
  pid: () => process.pid,
  fdLimit,
  openFds,
  rss: () => process.memoryUsage().rss,
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
