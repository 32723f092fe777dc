/**
 * The binary's own sockets, set up once: the C library through bun:ffi, an EventLoop whose
 * set holds Bun's own epoll descriptor (so that Bun's sockets, signals and child processes
 * still end every wait), turns run by setImmediate. Plain HTTP listeners and connections
 * to unix paths and numeric addresses go through them; TLS, host names, and a machine where
 * they cannot be set up stay on Bun's sockets, as does everything with
 * EDGE_SOCKETS=bun in the environment.
 *
 * Why: Bun's socket layer costs more than the engine itself. It copies every read into a
 * fresh buffer, and adds epoll_ctl and setsockopt calls per backend connection; a minimal
 * proxy on it stays at ~0.9x nginx however little it does (docs/performance.md).
 */
import fs from "node:fs";
import { Buffer } from "node:buffer";
import process from "node:process";
import { EventLoop } from "./_event_loop.ts";
import { READ_SIZE, type SocketHost } from "./_raw_socket.ts";
import { ReadBuffers } from "./_read_pool.ts";
import { eventLayout } from "./_sys.ts";
import { bunSys } from "./_bun_sys.ts";

/** The environment variable that chooses Bun's sockets instead ("bun"). */
const SOCKETS_ENV = "EDGE_SOCKETS";

let host: SocketHost | null | undefined;

/**
 * The shared host of the binary's sockets, made at the first call; null when they are not
 * to be used (not Linux, bun:ffi refused, no epoll descriptor of Bun's found).
 */
export function rawHost(
  fault: (error: Error) => void,
  noteRead: () => void,
): SocketHost | null {
  if (host !== undefined) return host;
  host = null;
  if (process.platform !== "linux" || process.env[SOCKETS_ENV] === "bun") return host;
  const outer = epollDescriptors();
  if (outer.length === 0) return host;
  try {
    const sys = bunSys();
    const loop = new EventLoop(sys, eventLayout(process.arch), {
      schedule: (turn) => void setImmediate(turn),
      fault: (error) => fault(error),
    }, outer);
    host = {
      sys,
      loop,
      fault: (error) => fault(error),
      noteRead,
      reads: new ReadBuffers(READ_SIZE, (size) => {
        // a plain view: a Buffer's slice() would share its memory instead of copying it
        const memory = Buffer.allocUnsafe(size);
        return new Uint8Array(memory.buffer, memory.byteOffset, size);
      }),
    };
  } catch {
    // no bun:ffi or no epoll: Bun's sockets serve
    host = null;
  }
  return host;
}

/** Bun's epoll descriptors (its event loop's): open before any of ours. */
function epollDescriptors(): number[] {
  const found: number[] = [];
  for (const name of fs.readdirSync("/proc/self/fd")) {
    try {
      if (fs.readlinkSync(`/proc/self/fd/${name}`) === "anon_inode:[eventpoll]") {
        found.push(Number(name));
      }
    } catch {
      // closed while listed (the listing's own descriptor)
    }
  }
  return found;
}
