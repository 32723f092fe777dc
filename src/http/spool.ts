/**
 * A byte queue that keeps at most `memoryLimit` bytes in memory and the rest in an
 * anonymous temporary file, up to `fileLimit` (nginx's client body buffer and temp file,
 * and its uwsgi_buffers + uwsgi_max_temp_file_size). Request bodies and buffered
 * responses both go through it. Bytes come out in the order they went in.
 */
import type { TempFile } from "../runtime/types.ts";
import { releaseTail } from "./release.ts";

/** Largest piece read back from the file at once. */
const FILE_READ = 65536;

/**
 * A piece that is an eighth or less of a buffer this big is copied before it waits: memory
 * held is then at most 8x the bytes counted against the limit, not a read buffer up to 16x
 * bigger. Bigger pieces are held as they are (a 64 KiB upload is copied once, into its
 * packet's write, not twice).
 */
const SHRINK_FROM = 65536;
const SHRINK_RATIO = 8;

/** Opens the temporary file when the memory is full. */
export type OpenTempFile = () => TempFile;

/** Bytes waiting in every spool of the process: in memory and in temp files (a gauge). */
export const SPOOLED = { memory: 0, file: 0 };

/** The queue. */
export class Spool {
  readonly #memoryLimit: number;
  readonly #fileLimit: number;
  readonly #open: OpenTempFile;
  #chunks: Uint8Array[] = [];
  #first = 0;
  #memory = 0;
  #file: TempFile | undefined;
  /** File bytes written and read back: the file holds [fileRead, fileWritten). */
  #fileWritten = 0;
  #fileRead = 0;
  /** Bytes appended in all. */
  total = 0;
  /**
   * The pieces in memory are socket reads, or their last bytes, whose earlier bytes are
   * used up: once a piece is copied, its whole buffer can be given back (release.ts).
   */
  readsFree = false;

  constructor(memoryLimit: number, fileLimit: number, open: OpenTempFile) {
    this.#memoryLimit = memoryLimit;
    this.#fileLimit = fileLimit;
    this.#open = open;
  }

  /**
   * `bytes`, or a copy of them when they are a small part of a big read buffer: the buffer
   * is then not held for them (and goes back to its pool when the spool holds reads).
   */
  #compact(bytes: Uint8Array): Uint8Array {
    const held = bytes.buffer.byteLength;
    if (held < SHRINK_FROM || held < SHRINK_RATIO * bytes.length) return bytes;
    const copy = bytes.slice();
    if (this.readsFree) releaseTail(bytes);
    return copy;
  }

  /** Bytes in the queue. */
  get size(): number {
    return this.#memory + this.#fileWritten - this.#fileRead;
  }

  /** Bytes held in memory. */
  get memory(): number {
    return this.#memory;
  }

  /** The queue can take `length` more bytes (memory, or file room). */
  fits(length: number): boolean {
    if (this.#fileWritten === this.#fileRead && this.#memory + length <= this.#memoryLimit) {
      return true;
    }
    return this.#fileWritten - this.#fileRead + length <= this.#fileLimit;
  }

  /**
   * Queues `bytes` (owned by the spool from now on). Throws what the file throws (disk
   * full); the caller checks `fits()` first for its own limits.
   */
  push(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.total += bytes.length;
    // once bytes wait in the file, later ones follow them there: order is kept
    if (this.#fileWritten === this.#fileRead && this.#memory + bytes.length <= this.#memoryLimit) {
      this.#chunks.push(this.#compact(bytes));
      this.#memory += bytes.length;
      SPOOLED.memory += bytes.length;
      return;
    }
    this.#file ??= this.#open();
    this.#file.write(bytes, this.#fileWritten);
    this.#fileWritten += bytes.length;
    SPOOLED.file += bytes.length;
  }

  /** The next bytes, without removing them; null when empty. */
  peek(): Uint8Array | null {
    if (this.#first < this.#chunks.length) return this.#chunks[this.#first]!;
    if (this.#fileRead === this.#fileWritten) return null;
    // memory is empty: the file's bytes come next; read a piece back into memory
    const piece = new Uint8Array(Math.min(FILE_READ, this.#fileWritten - this.#fileRead));
    const n = this.#file!.read(piece, this.#fileRead);
    if (n <= 0) throw new RangeError("The temporary file ended early");
    this.#fileRead += n;
    SPOOLED.file -= n;
    SPOOLED.memory += n;
    if (this.#fileRead === this.#fileWritten) {
      // drained: the file is written from its start again
      this.#fileRead = 0;
      this.#fileWritten = 0;
    }
    const bytes = n === piece.length ? piece : piece.subarray(0, n);
    this.#chunks.push(bytes);
    this.#memory += bytes.length;
    return bytes;
  }

  /** Removes `count` bytes from the front (at most the length `peek()` returned). */
  consume(count: number): void {
    const head = this.#chunks[this.#first]!;
    this.#memory -= count;
    SPOOLED.memory -= count;
    if (count < head.length) {
      this.#chunks[this.#first] = head.subarray(count);
      return;
    }
    this.#chunks[this.#first] = EMPTY;
    this.#first++;
    if (this.#first === this.#chunks.length) {
      this.#chunks = [];
      this.#first = 0;
    }
  }

  /** Frees memory and closes the file. */
  dispose(): void {
    SPOOLED.memory -= this.#memory;
    SPOOLED.file -= this.#fileWritten - this.#fileRead;
    this.#chunks = [];
    this.#first = 0;
    this.#memory = 0;
    this.#file?.close();
    this.#file = undefined;
    this.#fileRead = 0;
    this.#fileWritten = 0;
  }
}

const EMPTY = new Uint8Array(0);
