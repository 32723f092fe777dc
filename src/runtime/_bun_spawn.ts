/** Child processes on Bun (uWSGI, router processes), for bun.ts. */
import process from "node:process";
import type { ChildProcess } from "./types.ts";
import { mergeText } from "./_merge_text.ts";

/** The part of Bun.spawn used here, typed for the Deno type checker. */
interface BunSpawn {
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
}

const bun = (globalThis as unknown as { Bun: BunSpawn }).Bun;

/** Starts `command`: no stdin, its stdout and stderr merged into lines. */
export function spawn(
  command: string,
  args: string[],
  options: { env?: Record<string, string> } = {},
): ChildProcess {
  let child: ReturnType<BunSpawn["spawn"]>;
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
    killGroup: (signal) => {
      signalGroup(child.pid, signal);
      child.kill(signal);
    },
  };
}

/** Signals the process group `pid` leads, if it leads one. */
function signalGroup(pid: number, signal: string): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // no such group (yet): the process alone is signalled
  }
}
