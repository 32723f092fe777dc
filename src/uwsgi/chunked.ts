/** A streaming decoder for `Transfer-Encoding: chunked` bodies (backends that chunk). */

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

/** Feeds chunked bytes in, gets body pieces out; `done` after the last chunk and trailers. */
export class ChunkedDecoder {
  #state = State.Size;
  #remaining = 0;
  #digits = 0;
  #trailerLineLength = 0;

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
          if (c === 10) this.#afterSize();
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
          if (c === 10) {
            if (this.#trailerLineLength === 0) this.#state = State.Done;
            this.#trailerLineLength = 0;
          } else if (c !== 13) {
            this.#trailerLineLength++;
          }
          i++;
          break;
      }
    }
    this.consumed = i;
    return out;
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
