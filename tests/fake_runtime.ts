/** A Runtime for in-process tests: files from a map, no sockets unless given. */
import type { ConnectAddress, ConnectEvents, Runtime } from "../src/runtime/types.ts";

export interface FakeRuntime extends Runtime {
  stderr: string[];
  stdout: string[];
  written: Record<string, string>;
}

export function fakeRuntime(
  options: {
    files?: Record<string, string>;
    env?: Record<string, string>;
    cwd?: string;
    connect?: (address: ConnectAddress, owner: ConnectEvents) => void;
    executables?: Record<string, string>;
  } = {},
): FakeRuntime {
  const written: Record<string, string> = {};
  const stderr: string[] = [];
  const stdout: string[] = [];
  return {
    name: "fake",
    args: () => [],
    exit: (code) => {
      throw new Error(`exit ${code} in the fake runtime`);
    },
    stderr,
    stdout,
    written,

    listen: () => Promise.reject(new Error("no listening in the fake runtime")),
    writesCopy: false,
    readPool: () => null,
    onFault: () => {},
    openTempFile: () => {
      throw new Error("no temp files in the fake runtime");
    },
    listenDatagram: () => {
      throw new Error("no datagrams in the fake runtime");
    },
    spawn: () => {
      throw new Error("no processes in the fake runtime");
    },
    findExecutable: (name) => options.executables?.[name],
    makeTempDir: () => "/tmp/fake",
    listDir: () => [],
    makeDir: () => {},
    chown: () => {},
    writeTextFile: (path, text) => void (written[path] = text),
    removePath: () => {},
    connect: options.connect ??
      ((_address, owner) =>
        queueMicrotask(() => owner.connectFailed(new Error("Connection refused")))),
    readTextFile: (path) => {
      const text = options.files?.[path];
      if (text === undefined) throw new Error(`No such file or directory: ${path}`);
      return text;
    },
    env: () => options.env ?? {},
    hostname: () => "testhost",
    cwd: () => options.cwd ?? "/work",
    cpuCount: () => 2,
    pid: () => 1234,
    rss: () => 40 << 20,
    fdLimit: () => Infinity,
    openFds: () => 10,
    execPath: () => "/usr/bin/fake",
    selfCommand: () => ({ command: "/usr/bin/fake", args: [] }),

    writeStderr: (text) => void stderr.push(text),
    writeStdout: (text) => void stdout.push(text),
    onSignal: () => () => {},
    now: () => 1_700_000_000_000,
  };
}
