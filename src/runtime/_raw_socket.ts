/**
 * A connected stream socket of the binary's own (a descriptor in the EventLoop's epoll set,
 * edge-triggered, read and written by recv(2) and send(2) straight from JavaScript): the
 * StreamSocket the engine drives. A read is one recv(2) into a shared buffer; writes are
 * _raw_writes.ts's (one send(2), or held to the turn's end on accepted sockets).
 *
 * Edge-triggered means an event comes when something changes, once: a read that filled
 * less than the buffer emptied the socket (the next bytes will raise a new event), a read
 * paused by the owner is taken up again on resume() in a later turn.
 */
import type { ConnectEvents, StreamEvents, StreamSocket } from "./types.ts";
import type { EventLoop, Watcher } from "./_event_loop.ts";
import type { ReadBuffers } from "./_read_pool.ts";
import { SocketWrites } from "./_raw_writes.ts";
import {
  EAGAIN,
  ECONNREFUSED,
  EINTR,
  EPOLLERR,
  EPOLLET,
  EPOLLHUP,
  EPOLLIN,
  EPOLLOUT,
  EPOLLRDHUP,
  osError,
  SHUT_WR,
  SO_ERROR,
  SOL_SOCKET,
  type Sys,
} from "./_sys.ts";

/** Bytes asked of one recv(2). */
export const READ_SIZE = 262144;
/** A read this big lends the shared buffer itself to the owner (the pool gives another), a
 * smaller one hands over a copy of its bytes. */
const HAND_OVER_FROM = 16384;
/** Reads of one socket in one event before others get their turn. */
const READS_PER_EVENT = 16;
/** What every socket is watched for, from its start to its close. */
export const SOCKET_EVENTS = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
const END_EVENTS = EPOLLRDHUP | EPOLLHUP | EPOLLERR;
/** What end() or finish() left to do once the held bytes are sent. */
const AFTER_END = 1;
const AFTER_FINISH = 2;

/** What the sockets share: the system calls, the loop, where faults go. */
export interface SocketHost {
  sys: Sys;
  loop: EventLoop;
  /** An owner threw (a bug): report it (the socket is closed). */
  fault(error: Error): void;
  /** A read happened (for the idle collection). */
  noteRead(): void;
  /** The buffers big reads are lent in (READ_SIZE bytes each). */
  reads: ReadBuffers;
}

let scratch: Uint8Array | null = null;
const optionValue = new Int32Array(1);
const optionLength = new Int32Array(1);

/** The socket. */
export class RawSocket implements StreamSocket, Watcher {
  /** Whose events these are; unset while an accepted socket's owner is being made. */
  owner: StreamEvents | ConnectEvents | undefined = undefined;
  readonly #fd: number;
  readonly #host: SocketHost;
  #closed = false;
  #paused = false;
  #readEnded = false;
  #writeEnded = false;
  readonly #writes: SocketWrites;
  /** AFTER_END or AFTER_FINISH: what waits for the held bytes' send. */
  #afterHeld = 0;
  /** Reads to take up in a later turn (resumed, or more than one event's share). */
  #readLater = false;
  /** End events (the peer's FIN, an error) seen and not read up to yet. */
  #readEvents = 0;
  /** Outgoing, not connected yet (EINPROGRESS), or connected and `opened` not told yet. */
  #connecting = false;
  #opening = false;
  /** Events that came while `opened` was not told yet, handled right after. */
  #missed = 0;

  /** `hold`: small writes wait for the end of the loop's turn (accepted sockets). */
  constructor(fd: number, host: SocketHost, hold = false) {
    this.#fd = fd;
    this.#host = host;
    this.#writes = new SocketWrites(fd, host, this, hold);
  }

  /** The socket was closed (by either side). */
  get closed(): boolean {
    return this.#closed;
  }

  /** Outgoing: starts watching; `opened` is told in this turn or once connect(2) completes. */
  connecting(inProgress: boolean): number {
    this.#connecting = inProgress;
    this.#opening = !inProgress;
    const result = this.#host.loop.add(this.#fd, SOCKET_EVENTS, this);
    if (result === 0 && !inProgress) this.#host.loop.later(this);
    return result;
  }

  write(bytes: Uint8Array, offset = 0, length = bytes.length - offset): number {
    if (this.#closed || this.#writeEnded || this.#writes.failed) return -1;
    return this.#writes.write(bytes, offset, length);
  }

  writePair(first: Uint8Array, firstLength: number, second: Uint8Array): number {
    if (firstLength === 0) return this.write(second);
    if (second.length === 0) return this.write(first, 0, firstLength);
    if (this.#closed || this.#writeEnded || this.#writes.failed) return -1;
    return this.#writes.writePair(first, firstLength, second);
  }

  /** Sends the held bytes; once none is left (or the peer is gone), ends as end() or finish() asked. */
  #flushHeld(): boolean {
    const writes = this.#writes;
    const done = writes.flush();
    if ((done || writes.failed) && this.#afterHeld !== 0) {
      const after = this.#afterHeld;
      this.#afterHeld = 0;
      if (after === AFTER_FINISH) this.#close(undefined);
      else this.#shutWrite();
    }
    return done;
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    if (this.#closed || this.#readEnded) return;
    // bytes may have come (their event passed) while paused
    this.#readLater = true;
    this.#host.loop.later(this);
  }

  end(): void {
    if (this.#closed || this.#writeEnded) return;
    this.#writeEnded = true;
    // what is held leaves first, at the turn's end
    if (this.#writes.holding) this.#afterHeld = AFTER_END;
    else this.#shutWrite();
  }

  #shutWrite(): void {
    if (this.#readEnded) this.#close(undefined);
    else this.#host.sys.shutdown(this.#fd, SHUT_WR);
  }

  terminate(): void {
    this.#close(undefined);
  }

  /** Closes once everything taken is with the kernel: now, or once the held bytes are sent. */
  finish(): void {
    if (this.#closed) return;
    if (!this.#writes.holding) return this.#close(undefined);
    this.#writeEnded = true;
    this.#paused = true;
    this.#afterHeld = AFTER_FINISH;
  }

  ready(events: number): void {
    if (this.#closed) return;
    if (events === 0) return this.#later();
    if (this.#connecting) return this.#connected(events);
    if (this.#opening) {
      this.#missed |= events;
      return;
    }
    if (events & (EPOLLIN | END_EVENTS)) {
      this.#readEvents |= events & END_EVENTS;
      if (!this.#paused) this.#read();
    }
    if (this.#closed) return;
    if (events & EPOLLERR) return this.#failed();
    if ((events & EPOLLOUT) && this.#writes.wantDrain) {
      this.#writes.wantDrain = false;
      const owed = this.#afterHeld !== 0;
      if (this.#writes.holding && (!this.#flushHeld() || owed)) return;
      try {
        this.owner?.drain();
      } catch (error) {
        this.#fault(error as Error);
      }
    }
  }

  #later(): void {
    if (this.#writes.turnEnded() && !this.#writes.wantDrain) this.#flushHeld();
    if (this.#closed) return;
    if (this.#opening) {
      this.#opening = false;
      try {
        (this.owner as ConnectEvents).opened(this);
      } catch (error) {
        return this.#fault(error as Error);
      }
      const missed = this.#missed;
      this.#missed = 0;
      if (missed !== 0 && !this.#closed) this.ready(missed);
    }
    if (this.#readLater && !this.#paused && !this.#closed) {
      this.#readLater = false;
      this.#read();
    }
  }

  /** connect(2) completed: opened, or failed as SO_ERROR says. */
  #connected(events: number): void {
    const errno = this.#socketError();
    if (errno !== 0 || (events & (EPOLLERR | EPOLLHUP)) !== 0) {
      this.#closed = true;
      this.#host.loop.forget(this.#fd);
      this.#host.sys.close(this.#fd);
      try {
        (this.owner as ConnectEvents).connectFailed(osError(this.#host.sys, errno || ECONNREFUSED));
      } catch (error) {
        this.#host.fault(error as Error);
      }
      return;
    }
    this.#connecting = false;
    this.#opening = true;
    this.#missed = events & ~EPOLLOUT;
    this.#later();
  }

  #read(): void {
    const host = this.#host;
    const sys = host.sys;
    for (let reads = 0; reads < READS_PER_EVENT; reads++) {
      if (this.#paused || this.#closed || this.#readEnded) return;
      const buffer = scratch ??= host.reads.take();
      const n = sys.recv(this.#fd, buffer, READ_SIZE, 0);
      if (n > 0) {
        host.noteRead();
        let bytes: Uint8Array;
        if (n >= HAND_OVER_FROM) {
          bytes = host.reads.lend(buffer, n);
          scratch = null;
        } else {
          bytes = buffer.slice(0, n);
        }
        try {
          this.owner!.data(bytes);
        } catch (error) {
          return this.#fault(error as Error);
        }
        // a short read emptied the socket, unless the peer's end is still to be read
        if (n < READ_SIZE && (this.#readEvents & END_EVENTS) === 0) return;
        continue;
      }
      if (n === 0) return this.#ended();
      const errno = sys.errno();
      if (errno === EAGAIN) return;
      if (errno !== EINTR) return this.#close(osError(sys, errno));
    }
    // more than one event's share: the rest in a later turn
    this.#readLater = true;
    host.loop.later(this);
  }

  #ended(): void {
    this.#readEnded = true;
    try {
      this.owner!.end();
    } catch (error) {
      return this.#fault(error as Error);
    }
    if (this.#writeEnded && this.#afterHeld === 0) this.#close(undefined);
  }

  #failed(): void {
    const errno = this.#socketError();
    this.#close(errno === 0 ? undefined : osError(this.#host.sys, errno));
  }

  /** The socket's pending error (SO_ERROR), 0 when none. */
  #socketError(): number {
    optionValue[0] = 0;
    optionLength[0] = 4;
    this.#host.sys.getsockopt(this.#fd, SOL_SOCKET, SO_ERROR, optionValue, optionLength);
    return optionValue[0]!;
  }

  #fault(error: Error): void {
    this.#host.fault(error);
    this.#close(undefined);
  }

  #close(error: Error | undefined): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#writes.drop();
    this.#host.loop.forget(this.#fd);
    this.#host.sys.close(this.#fd);
    const owner = this.owner;
    if (owner === undefined) return;
    try {
      owner.closed(error);
    } catch (fault) {
      this.#host.fault(fault as Error);
    }
  }
}
