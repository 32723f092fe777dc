/** The Deno implementation of the runtime seam (the only file that calls `Deno.*`). */
import type {
  AcceptHandlers,
  ChildProcess,
  ConnectAddress,
  ConnectEvents,
  DatagramSocket,
  ListenAddress,
  ListenOptions,
  Runtime,
  Signal,
  StreamListener,
} from "./types.ts";
import { DenoSocket, onFault } from "./deno_socket.ts";
import { mergeText } from "./_merge_text.ts";
import { openTempFile } from "./_temp_file.ts";
import { chown, fdLimit, listDir, makeDir, openFds } from "./_limits.ts";
import { listenTls, onTlsFault } from "./_node_tls.ts";

/**
 * How `deno run` should start the edge: V8 with a 64 MB initial heap. Body bytes are read
 * into ArrayBuffers (external memory), and V8 runs a full collection whenever external
 * memory grows by a share of its heap; the engine's heap is small, so that was every ~20 MB
 * read, ~20 a second on 64 KiB responses. Measured with it: 130 -> 100 µs CPU per 64 KiB
 * response, 460 -> 280 µs per 256 KiB stream, no more RSS.
 */
export const DENO_HEAP_FLAG = "--v8-flags=--initial-heap-size=64";

const encoder = new TextEncoder();
let reportFault: (error: Error) => void = (error) => {
  throw error;
};

/** Pause after a failed accept (out of file descriptors): retrying at once would spin. */
const ACCEPT_BACKOFF_MS = 100;

function removeStaleSocket(path: string): void {
  try {
    Deno.removeSync(path);
  } catch (error) {
    // a missing stale socket file is the normal case
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

async function listen(
  address: ListenAddress,
  handlers: AcceptHandlers,
  options: ListenOptions = {},
): Promise<StreamListener> {
  if (options.tls) return await listenTls(address, handlers, options.tls);
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
  let closed = false;
  const unix = address.transport === "unix";
  (async () => {
    while (!closed) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch (error) {
        if (closed || error instanceof Deno.errors.BadResource) return;
        handlers.failed?.(error as Error);
        await new Promise((resolve) => setTimeout(resolve, ACCEPT_BACKOFF_MS));
        continue;
      }
      let peer = { address: "0.0.0.0", port: 0 };
      if (!unix) {
        (conn as Deno.TcpConn).setNoDelay(true);
        const remote = conn.remoteAddr as Deno.NetAddr;
        peer = { address: remote.hostname, port: remote.port };
      }
      const socket = new DenoSocket(conn);
      socket.start(handlers.stream(socket, { peer, tls: false, writesCopy: false }));
    }
  })();
  return {
    address: bound,
    close() {
      if (closed) return;
      closed = true;
      try {
        listener.close();
      } catch (error) {
        // closing twice is harmless
        if (!(error instanceof Deno.errors.BadResource)) throw error;
      }
    },
  };
}

function connect(address: ConnectAddress, owner: ConnectEvents): void {
  const connecting = address.transport === "unix"
    ? Deno.connect({ transport: "unix", path: address.path })
    : Deno.connect({ hostname: address.hostname, port: address.port });
  connecting.then(
    (conn) => {
      if (address.transport === "tcp") (conn as Deno.TcpConn).setNoDelay(true);
      const socket = new DenoSocket(conn, true);
      socket.start(owner, true);
    },
    (error) => {
      try {
        owner.connectFailed(error);
      } catch (fault) {
        reportFault(fault as Error);
      }
    },
  );
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
  const kill = (signal: Signal) => {
    try {
      child.kill(signal);
    } catch (error) {
      // it exited already
      if (!(error instanceof TypeError)) throw error;
    }
  };
  return {
    pid: child.pid,
    status,
    output: mergeText(child.stdout, child.stderr),
    kill,
    killGroup: (signal) => {
      try {
        Deno.kill(-child.pid, signal);
      } catch {
        // no such group (yet): the process alone is signalled
      }
      kill(signal);
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

/** The Deno runtime. */
export const denoRuntime: Runtime = {
  name: `deno ${Deno.version.deno}`,
  args: () => [...Deno.args],
  exit: (code) => Deno.exit(code),
  listen,
  connect,
  writesCopy: false,
  readPool: () => null,
  onFault: (report) => {
    reportFault = report;
    onTlsFault(report);
    onFault(report);
  },
  listenDatagram,
  openTempFile,
  spawn,
  findExecutable,
  makeTempDir: (prefix, parent) =>
    Deno.makeTempDirSync({ prefix, ...(parent === undefined ? {} : { dir: parent }) }),
  listDir,
  makeDir,
  chown,
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
  fdLimit,
  openFds,
  rss: () => Deno.memoryUsage().rss,
  execPath: () => Deno.execPath(),
  selfCommand: () => {
    const exec = Deno.execPath();
    // a compiled binary is the program itself; `deno` needs the script and its config
    if (!/(^|\/)deno$/.test(exec)) return { command: exec, args: [] };
    const main = new URL(Deno.mainModule).pathname;
    const config = main.replace(/[^/]*$/, "deno.json");
    return {
      command: exec,
      args: [
        "run",
        "-A",
        // router processes get the V8 heap flag `deno task start` gives the master
        DENO_HEAP_FLAG,
        ...(existsFile(config) ? ["--config", config] : []),
        main,
      ],
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
