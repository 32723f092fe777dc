/**
 * JavaScriptCore options of the binary. Every socket read on Bun is a fresh buffer, and with
 * JavaScriptCore's default heap sizing (an 8 MB floor) those buffers set off a collection
 * every few megabytes read: ~700 in 5 s of 64 KiB uploads, 11-15 µs of pauses per request.
 * A 32 MB floor (`largeHeapSize`) makes them ~3.5x rarer (5.2 µs per request): 6-8% less CPU
 * per request on uploads and 64 KiB responses, none more elsewhere, for ~10-25 MB more peak
 * RSS under load and none idle (docs/performance.md). The binary's counterpart of the 64 MB
 * initial heap `deno run` gets.
 *
 * JavaScriptCore reads its options from the environment (`BUN_JSC_<name>`) before any script
 * runs, so the binary sets them and executes itself again, once, at start: same pid, same
 * arguments, ~15 ms. An option already in the environment is kept as it is.
 */
import { readFileSync } from "node:fs";
import process from "node:process";

/** The options, as environment variables. */
const JSC_OPTIONS: Readonly<Record<string, string>> = {
  BUN_JSC_largeHeapSize: String(32 << 20),
};
/** Held in a variable so that the Deno type checker does not resolve it. */
const FFI_MODULE = "bun:ffi";

/** The part of bun:ffi used here. */
interface Ffi {
  dlopen(
    path: string,
    symbols: Record<string, { args: string[]; returns: string }>,
  ): { symbols: { execve(path: number, argv: number, envp: number): number }; close(): void };
  ptr(view: ArrayBufferView): number;
}

/** Executes this program again with JSC_OPTIONS set; returns when they are set or cannot be. */
export async function applyJscOptions(): Promise<void> {
  const missing = Object.keys(JSC_OPTIONS).filter((name) => process.env[name] === undefined);
  if (missing.length === 0 || process.platform !== "linux") return;
  let ffi: Ffi;
  let libc: ReturnType<Ffi["dlopen"]>;
  let cmdline: Uint8Array;
  try {
    cmdline = readFileSync("/proc/self/cmdline");
    ffi = await import(FFI_MODULE) as Ffi;
    libc = ffi.dlopen("libc.so.6", { execve: { args: ["ptr", "ptr", "ptr"], returns: "i32" } });
  } catch {
    return;
  }
  const env = Object.entries(process.env).map(([name, value]) => `${name}=${value}`);
  for (const name of missing) env.push(`${name}=${JSC_OPTIONS[name]}`);
  const exe = cString("/proc/self/exe");
  const argv = pointers(ffi, splitNul(cmdline));
  const envp = pointers(ffi, env.map(cString));
  libc.symbols.execve(ffi.ptr(exe), ffi.ptr(argv.table), ffi.ptr(envp.table));
  // execve returned: it failed, so this process goes on with JavaScriptCore's defaults
  libc.close();
}

function cString(text: string): Uint8Array {
  return new TextEncoder().encode(`${text}\0`);
}

/** The NUL-terminated strings of /proc/self/cmdline, each with its NUL. */
function splitNul(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] !== 0) continue;
    out.push(bytes.slice(start, i + 1));
    start = i + 1;
  }
  return out;
}

/** A NULL-terminated table of pointers to `strings` (which it keeps alive). */
function pointers(
  ffi: Ffi,
  strings: Uint8Array[],
): { table: BigUint64Array; strings: Uint8Array[] } {
  const table = new BigUint64Array(strings.length + 1);
  strings.forEach((s, i) => table[i] = BigInt(ffi.ptr(s)));
  return { table, strings };
}
