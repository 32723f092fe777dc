/**
 * Unix datagram sockets on Bun, which has none of its own (subscription servers on a path,
 * and the fan-out of subscriptions to router processes). The socket is made and bound
 * through bun:ffi (socket(2), bind(2)); Bun then watches it as a socket made elsewhere
 * (`Bun.connect({ fd })`), whose every readable event is one recv(2): one datagram per
 * `data` event. Sends are sendto(2) that never wait: when the receiver's queue is full
 * (net.unix.max_dgram_qlen) the datagram is dropped, as UDP would drop it.
 *
 * A zero-length datagram reads like an end of stream to Bun, which then closes what it
 * watches: so Bun watches a duplicate of the descriptor, and gets a new duplicate when that
 * happens (within a second of the last one, a second later). The socket itself stays
 * bound, and nothing queued on it is lost.
 */
import fs from "node:fs";
import type { DatagramSocket } from "./types.ts";
import { DatagramInbox } from "./_datagram_inbox.ts";

const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const MSG_DONTWAIT = 0x40;
const MSG_NOSIGNAL = 0x4000;
/** A watch that ends sooner than this after it began is renewed only after this long. */
const REWATCH_PAUSE_MS = 1000;
/** sun_path holds 108 bytes, its NUL included. */
const MAX_PATH_BYTES = 107;
/** Held in a variable so that the Deno type checker does not resolve it. */
const FFI_MODULE = "bun:ffi";

interface Libc {
  socket(domain: number, type: number, protocol: number): number;
  bind(fd: number, address: number, length: number): number;
  sendto(
    fd: number,
    bytes: number,
    length: number,
    flags: number,
    address: number,
    addressLength: number,
  ): number;
  close(fd: number): number;
  dup(fd: number): number;
  strerror(errno: number): { toString(): string };
  __errno_location(): number;
}

interface Ffi {
  dlopen(path: string, symbols: Record<string, unknown>): { symbols: Libc };
  ptr(view: ArrayBufferView): number;
  read: { i32(pointer: number, offset: number): number };
}

interface WatchedSocket {
  terminate(): void;
}

interface BunFdConnect {
  connect(options: Record<string, unknown>): Promise<WatchedSocket>;
}

const bun = (globalThis as unknown as { Bun: BunFdConnect }).Bun;

let loaded: { ffi: Ffi; libc: Libc } | null = null;

function native(): { ffi: Ffi; libc: Libc } {
  if (loaded !== null) return loaded;
  const meta = import.meta as unknown as { require(id: string): Ffi };
  const ffi = meta.require(FFI_MODULE);
  const libc = ffi.dlopen("libc.so.6", {
    socket: { args: ["i32", "i32", "i32"], returns: "i32" },
    bind: { args: ["i32", "ptr", "u32"], returns: "i32" },
    sendto: { args: ["i32", "ptr", "u64", "i32", "ptr", "u32"], returns: "i64" },
    close: { args: ["i32"], returns: "i32" },
    dup: { args: ["i32"], returns: "i32" },
    strerror: { args: ["i32"], returns: "cstring" },
    __errno_location: { args: [], returns: "ptr" },
  }).symbols;
  loaded = { ffi, libc };
  return loaded;
}

/** The last system call's error, as the C library words it. */
function lastError(): string {
  const { ffi, libc } = native();
  return libc.strerror(ffi.read.i32(libc.__errno_location(), 0)).toString();
}

/** A `struct sockaddr_un` for `path`; throws when the path does not fit. */
function unixAddress(path: string): Uint8Array {
  const name = new TextEncoder().encode(path);
  if (name.length > MAX_PATH_BYTES) {
    throw new Error(`the path is ${name.length} bytes long, at most ${MAX_PATH_BYTES} fit`);
  }
  const address = new Uint8Array(2 + name.length + 1);
  address[0] = AF_UNIX;
  address.set(name, 2);
  return address;
}

/** A fresh unix datagram socket bound at `path` (a file already there is replaced). */
function bindAt(path: string): number {
  const { ffi, libc } = native();
  const address = unixAddress(path);
  const fd = libc.socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw new Error(lastError());
  fs.rmSync(path, { force: true });
  if (libc.bind(fd, ffi.ptr(address), address.length) !== 0) {
    const error = new Error(lastError());
    libc.close(fd);
    throw error;
  }
  return fd;
}

/** A unix datagram socket bound at `path`; its datagrams queue until received. */
export function listenUnixDatagram(path: string): DatagramSocket {
  const { ffi, libc } = native();
  const inbox = new DatagramInbox();
  const addresses = new Map<string, Uint8Array>();
  const fd = bindAt(path);
  let watched: WatchedSocket | null = null;
  let closed = false;

  const handlers = {
    open(socket: WatchedSocket) {
      if (closed) socket.terminate();
      else watched = socket;
    },
    data(_socket: WatchedSocket, bytes: Uint8Array) {
      inbox.push(bytes);
    },
    close() {
      watched = null;
      if (closed) return;
      // a zero-length datagram (or an error) ended Bun's watch of the duplicate; watched
      // again at once, or after a pause if that keeps happening (no busy loop on an error)
      if (Date.now() - lastWatch >= REWATCH_PAUSE_MS) watch();
      else setTimeout(() => closed || watch(), REWATCH_PAUSE_MS);
    },
  };
  let lastWatch = 0;
  const watch = () => {
    lastWatch = Date.now();
    const copy = libc.dup(fd);
    if (copy < 0) {
      inbox.fail(new Error(`cannot watch ${path}: ${lastError()}`));
      return;
    }
    bun.connect({ fd: copy, socket: handlers }).catch((error: Error) => {
      libc.close(copy);
      inbox.fail(error);
    });
  };
  watch();

  return {
    receive: () => inbox.receive(),
    sendTo(bytes, to) {
      let address = addresses.get(to);
      if (address === undefined) {
        address = unixAddress(to);
        addresses.set(to, address);
      }
      const flags = MSG_DONTWAIT | MSG_NOSIGNAL;
      const sent = libc.sendto(
        fd,
        ffi.ptr(bytes),
        bytes.length,
        flags,
        ffi.ptr(address),
        address.length,
      );
      if (Number(sent) < 0) return Promise.reject(new Error(`${to}: ${lastError()}`));
      return Promise.resolve();
    },
    close() {
      if (closed) return;
      closed = true;
      inbox.close();
      watched?.terminate();
      libc.close(fd);
    },
  };
}
