/**
 * The write side of the binary's own sockets (RawSocket): one send(2) of the caller's bytes
 * (the kernel copies what it takes; nothing is queued here), back-pressure (a short write
 * asks for `drain`), and, on accepted sockets, small writes held until the loop's turn ends
 * (_held_writes.ts), sent before anything written after them.
 */
import type { SocketHost } from "./_raw_socket.ts";
import type { Watcher } from "./_event_loop.ts";
import { HeldWrites } from "./_held_writes.ts";
import { EAGAIN, MSG_NOSIGNAL } from "./_sys.ts";

/** The write side of one socket. */
export class SocketWrites {
  readonly #fd: number;
  readonly #host: SocketHost;
  /** Told `ready(0)` at the turn's end when something is held. */
  readonly #socket: Watcher;
  readonly #held: HeldWrites | null;
  #flushQueued = false;
  /** A write fell short: the owner waits for `drain`. */
  wantDrain = false;
  /** A send failed (the peer is gone): writes are refused. */
  failed = false;

  constructor(fd: number, host: SocketHost, socket: Watcher, hold: boolean) {
    this.#fd = fd;
    this.#host = host;
    this.#socket = socket;
    this.#held = hold ? new HeldWrites() : null;
  }

  /** Bytes are held, to be sent before anything else. */
  get holding(): boolean {
    return this.#held !== null && this.#held.length > 0;
  }

  /** Bytes taken (held or sent), 0 (wait for drain), or -1 (the peer is gone). */
  write(bytes: Uint8Array, offset: number, length: number): number {
    const held = this.#held;
    if (held !== null) {
      if (this.wantDrain) {
        if (held.length > 0) return 0;
      } else if (held.fits(length)) {
        this.#hold(bytes, offset, length);
        return length;
      } else if (held.length > 0) {
        return this.#sendAfterHeld(bytes.subarray(offset, offset + length));
      }
    }
    const view = offset === 0 ? bytes : bytes.subarray(offset, offset + length);
    return this.#sent(this.#host.sys.send(this.#fd, view, length, MSG_NOSIGNAL), length);
  }

  /** As write() of `first[0, firstLength)` and then `second`, in one call. */
  writePair(first: Uint8Array, firstLength: number, second: Uint8Array): number {
    const length = firstLength + second.length;
    const held = this.#held;
    if (held !== null) {
      if (!this.wantDrain && held.fits(length)) {
        this.#hold(first, 0, firstLength);
        this.#hold(second, 0, second.length);
        return length;
      }
      if (held.length > 0 && !this.flush()) return this.failed ? -1 : 0;
    }
    const sys = this.#host.sys;
    const n = sys.sendPair(this.#fd, first, firstLength, second, second.length, MSG_NOSIGNAL);
    return this.#sent(n, length);
  }

  /** Sends the held bytes; true when none is left held. */
  flush(): boolean {
    const held = this.#held;
    if (held === null || held.length === 0) return true;
    const length = held.length;
    const n = this.#sent(this.#host.sys.send(this.#fd, held.bytes, length, MSG_NOSIGNAL), length);
    if (n < 0) held.drop();
    else held.sent(n);
    return held.length === 0 && n >= 0;
  }

  /** The turn ends: true when held bytes were due (flush() is the caller's to call). */
  turnEnded(): boolean {
    if (!this.#flushQueued) return false;
    this.#flushQueued = false;
    return true;
  }

  /** The socket closed: what is held goes. */
  drop(): void {
    this.#held?.drop();
  }

  #hold(bytes: Uint8Array, offset: number, length: number): void {
    this.#held!.add(bytes, offset, length);
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    this.#host.loop.later(this.#socket);
  }

  /** The held bytes, then `view`, in one call: returns how much of `view` was taken. */
  #sendAfterHeld(view: Uint8Array): number {
    const held = this.#held!;
    const before = held.length;
    const sys = this.#host.sys;
    const n = this.#sent(
      sys.sendPair(this.#fd, held.bytes, before, view, view.length, MSG_NOSIGNAL),
      before + view.length,
    );
    if (n < 0) {
      held.drop();
      return -1;
    }
    held.sent(n);
    return n > before ? n - before : 0;
  }

  /** What a send of `length` bytes that returned `n` means for the caller. */
  #sent(n: number, length: number): number {
    if (n >= 0) {
      if (n < length) this.wantDrain = true;
      return n;
    }
    if (this.#host.sys.errno() === EAGAIN) {
      this.wantDrain = true;
      return 0;
    }
    // EPIPE, ECONNRESET: what the peer sent before may still be read; reads tell the end
    this.failed = true;
    return -1;
  }
}
