/**
 * Writes to a client socket in order. What the socket does not take at once waits in a
 * Spool: with response buffering, in memory up to a limit and then in a temp file (so the
 * backend is read as fast as it writes and its worker is freed), without it in memory up to
 * a small mark, beyond which the source is paused (back-pressure to the backend).
 */
import type { StreamSocket } from "../runtime/types.ts";
import { release } from "./release.ts";
import { type OpenTempFile, Spool } from "./spool.ts";

/** Unbuffered responses pause their source when this much waits for the client. */
export const PAUSE_AT = 65536;

/** Where the queue writes: a client socket (or an HTTP/2 stream made to look like one). */
export type ByteSink = Pick<StreamSocket, "write" | "writePair">;

/** Limits of buffered responses. */
export interface BufferLimits {
  memory: number;
  file: number;
  open: OpenTempFile;
}

/** The queue of one connection. */
export class OutQueue {
  readonly #socket: ByteSink;
  readonly #limits: BufferLimits;
  readonly #copies: boolean;
  #spool: Spool | null = null;
  /** The current response may wait in memory + file (else only up to PAUSE_AT). */
  buffering = false;
  /** The socket sends two pieces in one call (writePair): joining them by a copy is not needed. */
  readonly pairs: boolean;

  /** `copies`: the socket's write() copies what it takes (the caller may reuse buffers). */
  constructor(socket: ByteSink, limits: BufferLimits, copies: boolean) {
    this.#socket = socket;
    this.#limits = limits;
    this.#copies = copies;
    this.pairs = copies && socket.writePair !== undefined;
  }

  /** Bytes waiting for the client. */
  get size(): number {
    return this.#spool === null ? 0 : this.#spool.size;
  }

  /** Bytes waiting in memory. */
  get memory(): number {
    return this.#spool === null ? 0 : this.#spool.memory;
  }

  /**
   * Writes or queues `bytes` (owned by the queue from now on); false when the source
   * should pause until the queue drains. Throws when the temp file fails.
   */
  write(bytes: Uint8Array): boolean {
    const spool = this.#spool;
    if (spool === null || spool.size === 0) {
      const n = this.#socket.write(bytes);
      if (n === bytes.length || n < 0) return true;
      if (n > 0) bytes = bytes.subarray(n);
    }
    return this.#queue(bytes);
  }

  /**
   * As write(), for a whole buffer nothing else uses (a socket read, handed on as it came):
   * once the socket has copied all of it, its memory is given back at once.
   */
  writeRead(bytes: Uint8Array): boolean {
    if (!this.#copies || this.size > 0) return this.write(bytes);
    const n = this.#socket.write(bytes);
    if (n === bytes.length) {
      release(bytes);
      return true;
    }
    return n < 0 || this.#queue(n > 0 ? bytes.subarray(n) : bytes);
  }

  /** Queues what the socket did not take; false when the source should pause. */
  #queue(bytes: Uint8Array): boolean {
    const limits = this.#limits;
    this.#spool ??= this.buffering
      ? new Spool(limits.memory, limits.file, limits.open)
      : new Spool(Infinity, 0, limits.open);
    this.#spool.push(bytes);
    return this.buffering
      ? this.#spool.size < limits.memory + limits.file
      : this.#spool.size < PAUSE_AT;
  }

  /**
   * Writes `bytes[0, length)` of a buffer the caller reuses (SCRATCH): sent straight from it
   * when the socket copies, and what waits is copied. False when the source should pause.
   */
  writeCopy(bytes: Uint8Array, length: number): boolean {
    const spool = this.#spool;
    if (!this.#copies || (spool !== null && spool.size > 0)) {
      return this.write(bytes.slice(0, length));
    }
    const n = this.#socket.write(bytes, 0, length);
    if (n === length || n < 0) return true;
    return this.write(bytes.slice(n, length));
  }

  /**
   * writeCopy(`scratch`, `length`), then `bytes`, in one system call where the socket can.
   * `read` is the socket read `bytes` came from, given back once all of it was sent (null:
   * none). False when the source should pause.
   */
  writePair(
    scratch: Uint8Array,
    length: number,
    bytes: Uint8Array,
    read: Uint8Array | null,
  ): boolean {
    if (!this.pairs || this.size > 0) {
      this.writeCopy(scratch, length);
      return read === bytes ? this.writeRead(bytes) : this.write(bytes);
    }
    const n = this.#socket.writePair!(scratch, length, bytes);
    if (n === length + bytes.length) {
      if (read !== null) release(read);
      return true;
    }
    if (n < 0) return true;
    if (n >= length) return this.#queue(bytes.subarray(n - length));
    this.#queue(scratch.slice(n, length));
    return this.#queue(bytes);
  }

  /** Writes what waits while the socket takes it; true once nothing waits. */
  flush(): boolean {
    const spool = this.#spool;
    if (spool === null) return true;
    for (let piece = spool.peek(); piece !== null; piece = spool.peek()) {
      const n = this.#socket.write(piece);
      if (n < 0) break;
      spool.consume(n);
      if (n < piece.length) return false;
    }
    this.dispose();
    return true;
  }

  /** The source may go on (the queue is below its pause mark). */
  get open(): boolean {
    const size = this.size;
    return this.buffering ? size < this.#limits.memory + this.#limits.file : size < PAUSE_AT;
  }

  /** Drops what waits (the client is gone) and closes the temp file. */
  dispose(): void {
    this.#spool?.dispose();
    this.#spool = null;
  }
}
