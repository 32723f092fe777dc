/** A Runtime for in-process tests: files from a map, no sockets unless given. */
import type { Conn, ConnectAddress, Runtime } from "../src/runtime/types.ts";

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
    connect?: (address: ConnectAddress) => Promise<Conn>;
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

    serve: () => Promise.reject(new Error("no serving in the fake runtime")),
    listen: () => {
      throw new Error("no listening in the fake runtime");
    },
    listenDatagram: () => {
      throw new Error("no datagrams in the fake runtime");
    },
    spawn: () => {
      throw new Error("no processes in the fake runtime");
    },
    findExecutable: (name) => options.executables?.[name],
    makeTempDir: () => "/tmp/fake",
    writeTextFile: (path, text) => void (written[path] = text),
    removePath: () => {},
    connect: options.connect ?? (() => Promise.reject(new Error("Connection refused"))),
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
    execPath: () => "/usr/bin/fake",
    selfCommand: () => ({ command: "/usr/bin/fake", args: [] }),

    writeStderr: (text) => void stderr.push(text),
    writeStdout: (text) => void stdout.push(text),
    onSignal: () => () => {},
    now: () => 1_700_000_000_000,
  };
}
