/**
 * The Linux system calls behind the binary's own sockets (_raw_socket.ts and its
 * neighbours), as an interface: bun:ffi provides it in the binary (_bun_sys.ts), tests a
 * fake. Byte arguments are views (the call uses their memory from their first byte); every
 * call returns what the C library returns, and `errno()` tells why one returned -1.
 */

/** The calls used. */
export interface Sys {
  socket(domain: number, type: number, protocol: number): number;
  bind(fd: number, address: Uint8Array, length: number): number;
  listen(fd: number, backlog: number): number;
  /** `address` receives the peer's address, `length` (one int32) its size. */
  accept4(fd: number, address: Uint8Array, length: Int32Array, flags: number): number;
  connect(fd: number, address: Uint8Array, length: number): number;
  recv(fd: number, into: Uint8Array, length: number, flags: number): number;
  send(fd: number, bytes: Uint8Array, length: number, flags: number): number;
  /** One sendmsg(2) of `first[0, firstLength)` then `second[0, secondLength)`, both non-empty. */
  sendPair(
    fd: number,
    first: Uint8Array,
    firstLength: number,
    second: Uint8Array,
    secondLength: number,
    flags: number,
  ): number;
  shutdown(fd: number, how: number): number;
  close(fd: number): number;
  setsockopt(fd: number, level: number, name: number, value: Int32Array, length: number): number;
  getsockopt(
    fd: number,
    level: number,
    name: number,
    value: Int32Array,
    length: Int32Array,
  ): number;
  getsockname(fd: number, address: Uint8Array, length: Int32Array): number;
  epollCreate(flags: number): number;
  /** `event` is one `struct epoll_event` as the platform lays it out (eventLayout). */
  epollCtl(ep: number, op: number, fd: number, event: Uint8Array): number;
  epollWait(ep: number, events: Uint8Array, max: number, timeoutMs: number): number;
  /** The calling thread's errno. */
  errno(): number;
  /** The C library's words for an errno value. */
  strerror(errno: number): string;
}

/** Where the fields of `struct epoll_event` are: packed on x86-64, padded elsewhere. */
export interface EventLayout {
  size: number;
  /** Offset of the 64-bit `data` field (`events` is at 0). */
  data: number;
}

/** The layout on an architecture, as `process.arch` names it. */
export function eventLayout(arch: string): EventLayout {
  return arch === "x64" ? { size: 12, data: 4 } : { size: 16, data: 8 };
}

// socket(2), accept4(2)
export const AF_UNIX = 1;
export const AF_INET = 2;
export const AF_INET6 = 10;
export const SOCK_STREAM = 1;
export const SOCK_NONBLOCK = 0o4000;
export const SOCK_CLOEXEC = 0o2000000;
// send(2), recv(2), shutdown(2)
export const MSG_NOSIGNAL = 0x4000;
export const SHUT_WR = 1;
// setsockopt(2)
export const SOL_SOCKET = 1;
export const SO_REUSEADDR = 2;
export const SO_ERROR = 4;
export const SO_REUSEPORT = 15;
export const IPPROTO_TCP = 6;
export const TCP_NODELAY = 1;
export const IPPROTO_IPV6 = 41;
export const IPV6_V6ONLY = 26;
// epoll(7)
export const EPOLL_CLOEXEC = 0o2000000;
export const EPOLL_CTL_ADD = 1;
export const EPOLL_CTL_DEL = 2;
export const EPOLL_CTL_MOD = 3;
export const EPOLLIN = 0x1;
export const EPOLLOUT = 0x4;
export const EPOLLERR = 0x8;
export const EPOLLHUP = 0x10;
export const EPOLLRDHUP = 0x2000;
export const EPOLLET = 0x80000000;
// errno(3)
export const EINTR = 4;
export const EAGAIN = 11;
export const EINPROGRESS = 115;
export const ECONNREFUSED = 111;
export const ECONNABORTED = 103;

/** errno names the engine and the logs tell apart (the rest keep only their number). */
const ERRNO_NAMES: Readonly<Record<number, string>> = {
  1: "EPERM",
  2: "ENOENT",
  11: "EAGAIN",
  13: "EACCES",
  23: "ENFILE",
  24: "EMFILE",
  32: "EPIPE",
  98: "EADDRINUSE",
  99: "EADDRNOTAVAIL",
  101: "ENETUNREACH",
  103: "ECONNABORTED",
  104: "ECONNRESET",
  110: "ETIMEDOUT",
  111: "ECONNREFUSED",
  113: "EHOSTUNREACH",
};

/** An Error for a failed call, worded as `deno run` words them: "Connection refused (os error 111)". */
export function osError(sys: Sys, errno: number): Error & { code?: string } {
  const error: Error & { code?: string } = new Error(`${sys.strerror(errno)} (os error ${errno})`);
  const code = ERRNO_NAMES[errno];
  if (code !== undefined) error.code = code;
  return error;
}
