/**
 * A Deno connection as a StreamSocket: a read loop feeds the owner's events (Deno has no
 * callback sockets), writes queue up to a high-water mark and go out one op at a time.
 */
import { concatBytes } from "../bytes.ts";
import type { ConnectEvents, StreamEvents, StreamSocket } from "./types.ts";

/** Bytes queued before `write` takes no more (the owner waits for `drain`). */
const HIGH_WATER = 262144;
const MIN_READ = 1024;
const MAX_READ = 65536;

/**
 * Big read buffers of finished connections, reused: a new one per backend connection was
 * zeroed memory and collector work on every request (the old engine pooled them too).
 */
const pool: Uint8Array[] = [];
const POOL_MAX = 64;
const NO_BUFFER = new Uint8Array(0);

function bigBuffer(): Uint8Array {
  return pool.pop() ?? new Uint8Array(MAX_READ);
}

function giveBack(buffer: Uint8Array): void {
  if (buffer.length === MAX_READ && pool.length < POOL_MAX) pool.push(buffer);
}

let report: (error: Error) => void = (error) => {
  throw error;
};

/** Where errors thrown by owners go (the socket is closed after). */
export function onFault(handler: (error: Error) => void): void {
  report = handler;
}

/** The socket. */
export class DenoSocket implements StreamSocket {
  readonly #conn: Deno.Conn;
  #owner: StreamEvents | undefined;
  readonly #queue: Uint8Array[] = [];
  #queued = 0;
  #writing = false;
  #wantDrain = false;
  #paused = false;
  #reading = false;
  #readEnded = false;
  #writeEnded = false;
  #ending = false;
  #finishing = false;
  /** A write failed while the peer's bytes may still be unread: writes are refused. */
  #writeFailed = false;
  #closed = false;
  /**
   * The read buffer: reused while reads are small (the owner gets a copy); a big read hands
   * the buffer itself to the owner and takes another from the pool.
   */
  #buffer: Uint8Array;
  /** The small buffer of an idle client connection, kept while a big one is lent. */
  #small: Uint8Array | undefined;

  /** `bulk`: a backend connection, whose reads start big (a response is coming). */
  constructor(conn: Deno.Conn, bulk = false) {
    this.#conn = conn;
    this.#buffer = bulk ? bigBuffer() : (this.#small = new Uint8Array(MIN_READ));
  }

  /** Starts reading for `owner` (telling it `opened` first for outgoing connections). */
  start(owner: StreamEvents | ConnectEvents, opened = false): void {
    this.#owner = owner;
    if (opened) this.#call(() => (owner as ConnectEvents).opened(this));
    if (!this.#closed) void this.#readLoop();
  }

  write(bytes: Uint8Array, offset = 0, length = bytes.length - offset): number {
    if (this.#closed || this.#ending || this.#finishing || this.#writeFailed) return -1;
    if (offset !== 0 || length !== bytes.length) bytes = bytes.subarray(offset, offset + length);
    if (this.#queued >= HIGH_WATER) {
      this.#wantDrain = true;
      return 0;
    }
    this.#queue.push(bytes);
    this.#queued += bytes.length;
    if (!this.#writing) {
      // what else is written in this turn (a head, then its body) leaves in the same op
      this.#writing = true;
      queueMicrotask(() => void this.#writeLoop());
    }
    return bytes.length;
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    if (!this.#reading && !this.#readEnded && !this.#closed) void this.#readLoop();
  }

  end(): void {
    if (this.#ending || this.#closed) return;
    this.#ending = true;
    if (!this.#writing) this.#shutdownWrite();
  }

  terminate(): void {
    this.#close(undefined);
  }

  /** Closes after the queued writes, reading no more: saves a read op and a shutdown op. */
  finish(): void {
    if (this.#closed) return;
    this.#finishing = true;
    this.#paused = true;
    if (!this.#writing) this.#close(undefined);
  }

  async #readLoop(): Promise<void> {
    this.#reading = true;
    try {
      while (!this.#paused && !this.#closed) {
        const buffer = this.#buffer;
        let n: number | null;
        try {
          n = await this.#conn.read(buffer);
        } catch (error) {
          this.#close(this.#closed ? undefined : error as Error);
          return;
        }
        if (this.#closed) return;
        if (n === null) {
          this.#readEnded = true;
          this.#call(() => this.#owner!.end());
          if (this.#writeEnded) this.#close(undefined);
          return;
        }
        let bytes: Uint8Array;
        if (n >= MAX_READ / 2) {
          // a big read: the owner gets the buffer itself (a fresh one costs no more than a copy)
          bytes = buffer.subarray(0, n);
          this.#buffer = bigBuffer();
        } else {
          bytes = buffer.slice(0, n);
        }
        // a full read means bulk: go big at once; a small one (an idle keep-alive connection
        // between requests) gives the big buffer back
        if (n === buffer.length && n < MAX_READ) this.#buffer = bigBuffer();
        else if (n < MIN_READ && buffer.length > MIN_READ) {
          giveBack(buffer);
          this.#buffer = this.#small ??= new Uint8Array(MIN_READ);
        }
        this.#call(() => this.#owner!.data(bytes));
      }
    } finally {
      this.#reading = false;
      // a read still pending on close kept the buffer until now
      if (this.#closed) this.#release();
    }
  }

  #release(): void {
    giveBack(this.#buffer);
    this.#buffer = NO_BUFFER;
  }

  async #writeLoop(): Promise<void> {
    this.#writing = true;
    try {
      while (this.#queue.length > 0 && !this.#closed) {
        // several small pieces go out in one op
        const queue = this.#queue;
        if (queue.length > 1) queue.splice(0, queue.length, concatBytes(queue));
        const bytes = queue[0]!;
        let offset = 0;
        while (offset < bytes.length) offset += await this.#conn.write(bytes.subarray(offset));
        this.#queue.shift();
        this.#queued -= bytes.length;
        if (this.#wantDrain && this.#queued < HIGH_WATER / 2) {
          this.#wantDrain = false;
          this.#call(() => this.#owner!.drain());
        }
      }
    } catch (error) {
      if (this.#closed) return;
      if (this.#readEnded || this.#finishing) return this.#close(error as Error);
      // the peer stopped taking bytes (an app that answered before reading the whole request
      // closes): what it sent first is still to be read, and the read side tells the end
      this.#writeFailed = true;
      this.#queue.length = 0;
      this.#queued = 0;
      return;
    } finally {
      this.#writing = false;
    }
    if (this.#finishing) this.#close(undefined);
    else if (this.#ending) this.#shutdownWrite();
  }

  #shutdownWrite(): void {
    if (this.#writeEnded || this.#closed) return;
    this.#writeEnded = true;
    if (this.#readEnded) {
      this.#close(undefined);
      return;
    }
    this.#conn.closeWrite().catch(() => this.#close(undefined));
  }

  #close(error: Error | undefined): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue.length = 0;
    this.#queued = 0;
    if (!this.#reading) this.#release();
    try {
      this.#conn.close();
    } catch {
      // closed by the peer already
    }
    const owner = this.#owner;
    if (owner) this.#call(() => owner.closed(error));
  }

  /** Runs an owner callback; what it throws is reported and the connection closed. */
  #call(callback: () => void): void {
    try {
      callback();
    } catch (error) {
      report(error as Error);
      this.#close(undefined);
    }
  }
}
