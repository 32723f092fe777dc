/**
 * Small writes to a client held until the end of the event loop's turn (a cork). A send to
 * a client wakes it; woken in the middle of a turn, on a machine with few cores, the client
 * and its next request compete with the rest of the turn's work. Held, a turn's responses
 * leave together as it ends, right before the loop waits: hello's CPU per request was lower
 * in each of 7 interleaved runs (by 0.6-13%), its req/s 0.96-1.09x (docs/performance.md).
 *
 * Only writes that fit in HOLD_MAX bytes together are held (a copy: writes copy what they
 * take); a bigger one goes out at once, with what was held before it, in one call. The
 * buffers come from a small pool and go back once sent: an idle connection holds none.
 */

/** Bytes held per socket at most: a response head with a small body. */
export const HOLD_MAX = 16384;
/** Free buffers kept for the next turns. */
const KEEP = 32;
const free: Uint8Array[] = [];

/** The bytes one socket holds. */
export class HeldWrites {
  #buffer: Uint8Array | null = null;
  /** Bytes held, from the start of the buffer. */
  length = 0;

  /** `length` more bytes fit. */
  fits(length: number): boolean {
    return this.length + length <= HOLD_MAX;
  }

  /** Copies `bytes[offset, offset + length)` in; the caller checked fits(). */
  add(bytes: Uint8Array, offset: number, length: number): void {
    const buffer = this.#buffer ??= free.pop() ?? new Uint8Array(HOLD_MAX);
    buffer.set(bytes.subarray(offset, offset + length), this.length);
    this.length += length;
  }

  /** The held bytes' buffer (valid while length > 0). */
  get bytes(): Uint8Array {
    return this.#buffer!;
  }

  /** `n` of the held bytes were sent: the rest moves to the front; an empty buffer goes back. */
  sent(n: number): void {
    if (n >= this.length) return this.drop();
    this.#buffer!.copyWithin(0, n, this.length);
    this.length -= n;
  }

  /** Forgets what is held (sent, or the socket is gone). */
  drop(): void {
    this.length = 0;
    const buffer = this.#buffer;
    if (buffer === null) return;
    this.#buffer = null;
    if (free.length < KEEP) free.push(buffer);
  }
}

/** Drops the free buffers (the process went idle). */
export function trimHeldWrites(): void {
  free.length = 0;
}
