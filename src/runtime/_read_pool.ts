/**
 * The read buffers of the binary's own sockets. A read big enough is handed to its owner in
 * the buffer it was made in (no copy), and the engine gives that buffer back once its bytes
 * were sent or copied (src/http/release.ts), to be read into again while still warm in the
 * cache: bulk traffic allocates nothing. A buffer the engine keeps (queued for a slow
 * client) is simply replaced; the collector takes it when the engine drops it.
 */
import type { ReadPool } from "../http/release.ts";

/**
 * Free buffers kept (256 KiB each, 16 MiB at most): as many as requests may hold at once
 * under load (an upload's body waits in its read until the backend connection is made; with
 * 8 kept, 32 concurrent uploads allocated a buffer for every 4 reads). Dropped when idle.
 */
const KEEP = 64;
const LENT_FREE = -2;

/** The pool. */
export class ReadBuffers implements ReadPool {
  readonly #size: number;
  readonly #allocate: (size: number) => Uint8Array;
  readonly #free: Uint8Array[] = [];
  /** Every buffer of the pool: the length of its lent read, or LENT_FREE. */
  readonly #lent = new WeakMap<ArrayBufferLike, number>();

  constructor(size: number, allocate: (size: number) => Uint8Array) {
    this.#size = size;
    this.#allocate = allocate;
  }

  /** A buffer to read into. */
  take(): Uint8Array {
    const buffer = this.#free.pop();
    if (buffer !== undefined) return buffer;
    const fresh = this.#allocate(this.#size);
    this.#lent.set(fresh.buffer, LENT_FREE);
    return fresh;
  }

  /** `buffer[0, length)` goes to an owner: a view of just the read. */
  lend(buffer: Uint8Array, length: number): Uint8Array {
    this.#lent.set(buffer.buffer, length);
    return buffer.subarray(0, length);
  }

  readLength(buffer: ArrayBufferLike): number {
    return this.#lent.get(buffer) ?? -1;
  }

  /** Drops the free buffers (the process went idle). */
  trim(): void {
    this.#free.length = 0;
  }

  giveBack(buffer: ArrayBufferLike): void {
    if (this.#lent.get(buffer) === LENT_FREE) return;
    this.#lent.set(buffer, LENT_FREE);
    if (this.#free.length < KEEP) {
      this.#free.push(new Uint8Array(buffer, 0, this.#size));
    }
  }
}
