/**
 * A streaming decoder for `Transfer-Encoding: chunked` bodies (clients' requests, backends
 * that chunk). Chunk extensions and trailers are read and dropped, within limits of their
 * own: `http-max-body` counts data only, and without them a client could send endless
 * extension or trailer bytes as one small request (Node.js limits extensions the same way,
 * CVE-2024-22019).
 */
import { TCHAR } from "./tchar.ts";

const enum State {
  Size,
  SizeExt,
  SizeLf,
  Data,
  DataCr,
  DataLf,
  Trailer,
  Done,
}

/** Longest chunk-size line accepted. */
const MAX_SIZE_DIGITS = 16;
/** Most bytes of chunk extensions in one body (all its chunks together). */
export const MAX_EXTENSION_BYTES = 16384;
/** Most bytes of trailer fields after the last chunk (the request head's limit). */
export const MAX_TRAILER_BYTES = 65536;
const LF = 10;
const CR = 13;
const COLON = 58;

/** Feeds chunked bytes in, gets body pieces out; `done` after the last chunk and trailers. */
export class ChunkedDecoder {
  #state = State.Size;
  #remaining = 0;
  #digits = 0;
  #extensionBytes = 0;
  #trailerBytes = 0;
  #trailerLineLength = 0;
  /** The current trailer line's field name has ended with its colon. */
  #trailerNameEnded = false;

  /** Bytes of the last `decode()` input that belonged to the chunked stream. */
  consumed = 0;

  /** True once the terminating chunk and trailers were read. */
  get done(): boolean {
    return this.#state === State.Done;
  }

  /** Decodes `input`; returns the body bytes it held (views into `input`). */
  decode(input: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    let i = 0;
    while (i < input.length && this.#state !== State.Done) {
      const c = input[i]!;
      switch (this.#state) {
        case State.Size: {
          const v = hex(c);
          if (v >= 0) {
            if (++this.#digits > MAX_SIZE_DIGITS) throw new RangeError("A chunk size is too long");
            this.#remaining = this.#remaining * 16 + v;
          } else if (this.#digits > 0 && (c === 59 || c === 32 || c === 9)) {
            this.#state = State.SizeExt;
          } else if (this.#digits > 0 && c === 13) {
            this.#state = State.SizeLf;
          } else if (this.#digits > 0 && c === 10) {
            this.#afterSize();
          } else {
            throw new SyntaxError("A chunk size is malformed");
          }
          i++;
          break;
        }
        case State.SizeExt:
          if (c === LF) this.#afterSize();
          else if (++this.#extensionBytes > MAX_EXTENSION_BYTES) {
            throw new RangeError(`The chunk extensions pass ${MAX_EXTENSION_BYTES} bytes`);
          }
          i++;
          break;
        case State.SizeLf:
          if (c !== 10) throw new SyntaxError("A chunk size line lacks its LF");
          this.#afterSize();
          i++;
          break;
        case State.Data: {
          const n = Math.min(this.#remaining, input.length - i);
          out.push(input.subarray(i, i + n));
          this.#remaining -= n;
          i += n;
          if (this.#remaining === 0) this.#state = State.DataCr;
          break;
        }
        case State.DataCr:
          if (c === 13) this.#state = State.DataLf;
          else if (c === 10) this.#state = State.Size;
          else throw new SyntaxError("A chunk is longer than its size");
          i++;
          break;
        case State.DataLf:
          if (c !== 10) throw new SyntaxError("A chunk lacks its CRLF");
          this.#state = State.Size;
          i++;
          break;
        case State.Trailer:
          this.#trailerByte(c);
          i++;
          break;
      }
    }
    this.consumed = i;
    return out;
  }

  /** One byte of the trailer section: field lines up to an empty line. */
  #trailerByte(c: number): void {
    if (++this.#trailerBytes > MAX_TRAILER_BYTES) {
      throw new RangeError(`The trailers pass ${MAX_TRAILER_BYTES} bytes`);
    }
    if (c === LF) {
      if (this.#trailerLineLength === 0) this.#state = State.Done;
      else if (!this.#trailerNameEnded) throw new SyntaxError("A trailer line is not a field");
      this.#trailerLineLength = 0;
      this.#trailerNameEnded = false;
      return;
    }
    if (c === CR) return;
    this.#trailerLineLength++;
    if (this.#trailerNameEnded) return;
    if (c === COLON && this.#trailerLineLength > 1) this.#trailerNameEnded = true;
    else if (TCHAR[c] !== 1) throw new SyntaxError("A trailer field name is malformed");
  }

  #afterSize(): void {
    this.#digits = 0;
    if (this.#remaining === 0) {
      this.#state = State.Trailer;
      this.#trailerLineLength = 0;
    } else {
      this.#state = State.Data;
    }
  }
}

function hex(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}
