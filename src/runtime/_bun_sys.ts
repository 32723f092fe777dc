/**
 * The system calls of _sys.ts through bun:ffi: the C library's own functions, called from
 * JavaScript without a promise or a copy (pointer arguments are the views' memory).
 * ssize_t results are read as int32: every length here is far below 2 GiB.
 */
import type { Sys } from "./_sys.ts";

/** Held in a variable so that the Deno type checker does not resolve it. */
const FFI_MODULE = "bun:ffi";

interface Ffi {
  dlopen(
    path: string,
    symbols: Record<string, { args: string[]; returns: string }>,
  ): { symbols: Record<string, (...args: unknown[]) => unknown> };
  toArrayBuffer(pointer: number, offset: number, length: number): ArrayBuffer;
  ptr(view: ArrayBufferView): number;
}

const SYMBOLS: Record<string, { args: string[]; returns: string }> = {
  socket: { args: ["i32", "i32", "i32"], returns: "i32" },
  bind: { args: ["i32", "ptr", "u32"], returns: "i32" },
  listen: { args: ["i32", "i32"], returns: "i32" },
  accept4: { args: ["i32", "ptr", "ptr", "i32"], returns: "i32" },
  connect: { args: ["i32", "ptr", "u32"], returns: "i32" },
  recv: { args: ["i32", "ptr", "u64", "i32"], returns: "i32" },
  send: { args: ["i32", "ptr", "u64", "i32"], returns: "i32" },
  sendmsg: { args: ["i32", "ptr", "i32"], returns: "i32" },
  shutdown: { args: ["i32", "i32"], returns: "i32" },
  close: { args: ["i32"], returns: "i32" },
  setsockopt: { args: ["i32", "i32", "i32", "ptr", "u32"], returns: "i32" },
  getsockopt: { args: ["i32", "i32", "i32", "ptr", "ptr"], returns: "i32" },
  getsockname: { args: ["i32", "ptr", "ptr"], returns: "i32" },
  epoll_create1: { args: ["i32"], returns: "i32" },
  epoll_ctl: { args: ["i32", "i32", "i32", "ptr"], returns: "i32" },
  epoll_wait: { args: ["i32", "ptr", "i32", "i32"], returns: "i32" },
  strerror: { args: ["i32"], returns: "cstring" },
  __errno_location: { args: [], returns: "ptr" },
};

/** The C library's calls; throws when bun:ffi or the library cannot be loaded. */
export function bunSys(): Sys {
  const meta = import.meta as unknown as { require(id: string): Ffi };
  const ffi = meta.require(FFI_MODULE);
  const c = ffi.dlopen("libc.so.6", SYMBOLS).symbols as unknown as Libc;
  // the main thread's errno, read as memory (it stays where it is for the thread's life)
  const errno = new Int32Array(ffi.toArrayBuffer(c.__errno_location(), 0, 4));
  return {
    socket: c.socket,
    bind: c.bind,
    listen: c.listen,
    accept4: c.accept4,
    connect: c.connect,
    recv: c.recv,
    send: c.send,
    shutdown: c.shutdown,
    close: c.close,
    setsockopt: c.setsockopt,
    getsockopt: c.getsockopt,
    getsockname: c.getsockname,
    sendPair: pairSender(ffi, c.sendmsg),
    epollCreate: c.epoll_create1,
    epollCtl: c.epoll_ctl,
    epollWait: c.epoll_wait,
    errno: () => errno[0]!,
    strerror: (value) => String(c.strerror(value)),
  };
}

/**
 * sendmsg(2) of two pieces: a `struct msghdr` (56 bytes on LP64: the iovec array's address
 * at 16, their count at 24) over two `struct iovec` (address, length), kept in one buffer
 * (an ArrayBuffer of its own: its memory stays where it is).
 */
function pairSender(
  ffi: Ffi,
  sendmsg: (fd: number, message: Uint32Array, flags: number) => number,
): Sys["sendPair"] {
  const memory = new Uint32Array(new ArrayBuffer(1024));
  const message = memory.subarray(0, 14);
  const vectors = memory.subarray(16, 24);
  const vectorsAt = ffi.ptr(vectors);
  const TWO32 = 2 ** 32;
  const put = (into: Uint32Array, at: number, pointer: number) => {
    into[at] = pointer % TWO32;
    into[at + 1] = Math.floor(pointer / TWO32);
  };
  put(message, 4, vectorsAt);
  message[6] = 2;
  return (fd, first, firstLength, second, secondLength, flags) => {
    put(vectors, 0, ffi.ptr(first));
    vectors[2] = firstLength;
    put(vectors, 4, ffi.ptr(second));
    vectors[6] = secondLength;
    return sendmsg(fd, message, flags);
  };
}

/** The loaded functions, typed as _sys.ts calls them. */
type Libc =
  & Pick<
    Sys,
    | "socket"
    | "bind"
    | "listen"
    | "accept4"
    | "connect"
    | "recv"
    | "send"
    | "shutdown"
    | "close"
    | "setsockopt"
    | "getsockopt"
    | "getsockname"
  >
  & {
    sendmsg(fd: number, message: Uint32Array, flags: number): number;
    epoll_create1: Sys["epollCreate"];
    epoll_ctl: Sys["epollCtl"];
    epoll_wait: Sys["epollWait"];
    strerror(errno: number): unknown;
    __errno_location(): number;
  };
