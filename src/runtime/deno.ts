/** The Deno implementation of the runtime seam (the only file that calls `Deno.*`). */
import type {
  Accepted,
  ChildProcess,
  Conn,
  ConnectAddress,
  DatagramSocket,
  Handler,
  ListenAddress,
  Listener,
  Runtime,
  Server,
} from "./types.ts";
import { mergeText } from "./_merge_text.ts";

const encoder = new TextEncoder();

function serve(
  address: ListenAddress,
  handler: Handler,
  tls?: { cert: string; key: string },
): Promise<Server> {
  return new Promise((resolve, reject) => {
    let server: Deno.HttpServer<Deno.NetAddr> | Deno.HttpServer<Deno.UnixAddr> | undefined;
    const onListen = (bound: Deno.NetAddr | Deno.UnixAddr) => {
      const actual: ListenAddress = "path" in bound
        ? { transport: "unix", path: bound.path }
        : { transport: "tcp", hostname: bound.hostname, port: bound.port };
      // onListen runs inside Deno.serve, before it returns the server object
      queueMicrotask(() => {
        const s = server!;
        resolve({ address: actual, shutdown: () => s.shutdown(), finished: s.finished });
      });
    };
    const onError = (error: unknown): Response => {
      throw error;
    };
    try {
      if (address.transport === "unix") {
        removeStaleSocket(address.path);
        server = Deno.serve(
          { path: address.path, onListen, onError },
          (request) => handler(request, { address: "0.0.0.0", port: 0 }),
        );
      } else {
        server = Deno.serve(
          { hostname: address.hostname, port: address.port, onListen, onError, ...(tls ?? {}) },
          (request, info) => {
            const remote = info.remoteAddr;
            return handler(request, { address: remote.hostname, port: remote.port });
          },
        );
      }
    } catch (error) {
      reject(error);
    }
  });
}

function removeStaleSocket(path: string): void {
  try {
    Deno.removeSync(path);
  } catch (error) {
    // a missing stale socket file is the normal case
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

function listen(address: ListenAddress, options: { reusePort?: boolean } = {}): Listener {
  let listener: Deno.Listener;
  let bound: ListenAddress;
  if (address.transport === "unix") {
    removeStaleSocket(address.path);
    listener = Deno.listen({ transport: "unix", path: address.path });
    bound = address;
  } else {
    listener = Deno.listen({
      hostname: address.hostname,
      port: address.port,
      ...(options.reusePort ? { reusePort: true } : {}),
    });
    const addr = listener.addr as Deno.NetAddr;
    bound = { transport: "tcp", hostname: addr.hostname, port: addr.port };
  }
  const unix = address.transport === "unix";
  return {
    address: bound,
    async accept(): Promise<Accepted | null> {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch (error) {
        if (error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted) {
          return null;
        }
        throw error;
      }
      if (unix) {
        return Object.assign(conn, { peer: { address: "0.0.0.0", port: 0 } });
      }
      (conn as Deno.TcpConn).setNoDelay(true);
      const remote = conn.remoteAddr as Deno.NetAddr;
      return Object.assign(conn, { peer: { address: remote.hostname, port: remote.port } });
    },
    close() {
      try {
        listener.close();
      } catch (error) {
        // closing twice is harmless
        if (!(error instanceof Deno.errors.BadResource)) throw error;
      }
    },
  };
}

function listenDatagram(address: ListenAddress): DatagramSocket {
  let socket: Deno.DatagramConn;
  if (address.transport === "unix") {
    removeStaleSocket(address.path);
    socket = Deno.listenDatagram({ transport: "unixpacket", path: address.path });
  } else {
    socket = Deno.listenDatagram({
      transport: "udp",
      hostname: address.hostname,
      port: address.port,
    });
  }
  let closed = false;
  return {
    async receive() {
      try {
        const [bytes] = await socket.receive();
        return bytes;
      } catch (error) {
        if (closed || error instanceof Deno.errors.BadResource) return null;
        throw error;
      }
    },
    async sendTo(bytes, path) {
      await socket.send(bytes, { transport: "unixpacket", path });
    },
    close() {
      if (closed) return;
      closed = true;
      socket.close();
    },
  };
}

function spawn(
  command: string,
  args: string[],
  options: { env?: Record<string, string> } = {},
): ChildProcess {
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(command, {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      ...(options.env ? { env: options.env } : {}),
    }).spawn();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw new Error(`${command}: not found`);
    throw error;
  }
  const status = child.status.then((s) => ({ code: s.code, signal: s.signal ?? null }));
  return {
    pid: child.pid,
    status,
    output: mergeText(child.stdout, child.stderr),
    kill: (signal) => {
      try {
        child.kill(signal);
      } catch (error) {
        // it exited already
        if (!(error instanceof TypeError)) throw error;
      }
    },
  };
}

function findExecutable(name: string): string | undefined {
  if (name.includes("/")) return existsFile(name) ? name : undefined;
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (dir !== "" && existsFile(`${dir}/${name}`)) return `${dir}/${name}`;
  }
  return undefined;
}

function existsFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    // missing or unreadable: not there for us
    return false;
  }
}

async function connect(address: ConnectAddress): Promise<Conn> {
  if (address.transport === "unix") {
    return await Deno.connect({ transport: "unix", path: address.path });
  }
  const conn = await Deno.connect({ hostname: address.hostname, port: address.port });
  conn.setNoDelay(true);
  return conn;
}

/** The Deno runtime. */
export const denoRuntime: Runtime = {
  name: `deno ${Deno.version.deno}`,
  args: () => [...Deno.args],
  exit: (code) => Deno.exit(code),
  serve,
  listen,
  listenDatagram,
  connect,
  spawn,
  findExecutable,
  makeTempDir: (prefix) => Deno.makeTempDirSync({ prefix }),
  writeTextFile: (path, text) => Deno.writeTextFileSync(path, text),
  removePath: (path) => {
    try {
      Deno.removeSync(path, { recursive: true });
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  },
  readTextFile: (path) => Deno.readTextFileSync(path),
  env: () => Deno.env.toObject(),
  hostname: () => Deno.hostname(),
  cwd: () => Deno.cwd(),
  cpuCount: () => navigator.hardwareConcurrency,
  pid: () => Deno.pid,
  execPath: () => Deno.execPath(),
  selfCommand: () => {
    const exec = Deno.execPath();
    // a compiled binary is the program itself; `deno` needs the script and its config
    if (!/(^|\/)deno$/.test(exec)) return { command: exec, args: [] };
    const main = new URL(Deno.mainModule).pathname;
    const config = main.replace(/[^/]*$/, "deno.json");
    return {
      command: exec,
      args: ["run", "-A", ...(existsFile(config) ? ["--config", config] : []), main],
    };
  },

  writeStderr: (text) => {
    writeAll(Deno.stderr, encoder.encode(text));
  },
  writeStdout: (text) => {
    writeAll(Deno.stdout, encoder.encode(text));
  },
  onSignal: (signal, listener) => {
    Deno.addSignalListener(signal, listener);
    return () => Deno.removeSignalListener(signal, listener);
  },
  now: () => Date.now(),
};

function writeAll(target: { writeSync(p: Uint8Array): number }, bytes: Uint8Array): void {
  let offset = 0;
  while (offset < bytes.length) offset += target.writeSync(bytes.subarray(offset));
}
