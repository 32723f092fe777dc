/**
 * A fake of the system calls behind the binary's own sockets (src/runtime/_sys.ts): socket
 * descriptors with scripted input, a send capacity and a record of what was sent, and an
 * epoll set whose events the test raises. Only what the raw socket layer uses.
 */
import { EAGAIN, type EventLayout, type Sys } from "../../src/runtime/_sys.ts";
import { concatBytes } from "../../src/bytes.ts";

export const LAYOUT: EventLayout = { size: 12, data: 4 };
export const EPIPE = 32;
export const ECONNREFUSED = 111;

/** One fake descriptor. */
export class FakeFd {
  /** Chunks recv(2) returns, in order; then EOF if `eof`, else EAGAIN. */
  input: Uint8Array[] = [];
  eof = false;
  /** Bytes send(2) takes before EAGAIN (Infinity: all). */
  capacity = Infinity;
  /** send(2) fails with this errno (EPIPE: the peer is gone). */
  sendError = 0;
  sent: number[] = [];
  shutdown = false;
  closed = false;
  /** connect(2) answers: 0, or an errno (EINPROGRESS for later). */
  connectErrno = 0;
  /** What SO_ERROR says. */
  soError = 0;
  recvCalls = 0;
}

/** The fake system. */
export class FakeSys implements Sys {
  readonly fds = new Map<number, FakeFd>();
  /** epoll registrations: descriptor -> the event bytes given to epoll_ctl. */
  readonly interest = new Map<number, Uint8Array>();
  /** Events the next epoll_wait returns. */
  raised: Array<{ fd: number; events: number }> = [];
  waits: number[] = [];
  lastErrno = 0;
  /** What the next socket(2) will be like. */
  nextFd = new FakeFd();
  #next = 10;

  fd(n: number): FakeFd {
    return this.fds.get(n)!;
  }

  raise(fd: number, events: number): void {
    this.raised.push({ fd, events });
  }

  #fail(errno: number): number {
    this.lastErrno = errno;
    return -1;
  }

  socket(): number {
    const n = this.#next++;
    this.fds.set(n, this.nextFd);
    this.nextFd = new FakeFd();
    return n;
  }
  bind(): number {
    return 0;
  }
  listen(): number {
    return 0;
  }
  accept4(): number {
    return this.#fail(EAGAIN);
  }
  connect(fd: number): number {
    const errno = this.fd(fd).connectErrno;
    return errno === 0 ? 0 : this.#fail(errno);
  }
  recv(fd: number, into: Uint8Array, length: number): number {
    const f = this.fd(fd);
    f.recvCalls++;
    const chunk = f.input.shift();
    if (chunk === undefined) return f.eof ? 0 : this.#fail(EAGAIN);
    if (chunk.length > length) {
      f.input.unshift(chunk.subarray(length));
      into.set(chunk.subarray(0, length));
      return length;
    }
    into.set(chunk);
    return chunk.length;
  }
  send(fd: number, bytes: Uint8Array, length: number): number {
    const f = this.fd(fd);
    if (f.sendError !== 0) return this.#fail(f.sendError);
    const n = Math.min(length, f.capacity);
    if (n === 0 && length > 0) return this.#fail(EAGAIN);
    f.capacity -= n;
    f.sent.push(...bytes.subarray(0, n));
    return n;
  }
  sendPair(
    fd: number,
    first: Uint8Array,
    firstLength: number,
    second: Uint8Array,
    secondLength: number,
  ): number {
    const joined = concatBytes([first.subarray(0, firstLength), second.subarray(0, secondLength)]);
    this.pairs++;
    return this.send(fd, joined, joined.length);
  }
  /** sendPair() calls made. */
  pairs = 0;
  shutdown(fd: number): number {
    this.fd(fd).shutdown = true;
    return 0;
  }
  close(fd: number): number {
    this.fd(fd).closed = true;
    this.interest.delete(fd);
    return 0;
  }
  setsockopt(): number {
    return 0;
  }
  getsockopt(fd: number, _level: number, _name: number, value: Int32Array): number {
    value[0] = this.fd(fd).soError;
    return 0;
  }
  getsockname(): number {
    return 0;
  }
  epollCreate(): number {
    return 3;
  }
  epollCtl(_ep: number, op: number, fd: number, event: Uint8Array): number {
    if (op === 2) this.interest.delete(fd);
    else this.interest.set(fd, event.slice());
    return 0;
  }
  epollWait(_ep: number, events: Uint8Array, max: number, timeoutMs: number): number {
    this.waits.push(timeoutMs);
    const batch = this.raised.splice(0, max);
    batch.forEach(({ fd, events: mask }, i) => {
      const at = i * LAYOUT.size;
      const registered = this.interest.get(fd) ?? new Uint8Array(LAYOUT.size);
      events.set(registered, at);
      new DataView(events.buffer).setUint32(at, mask >>> 0, true);
    });
    return batch.length;
  }
  errno(): number {
    return this.lastErrno;
  }
  strerror(errno: number): string {
    return `error ${errno}`;
  }
}
