/**
 * A request body as it arrives from the client, framed by Content-Length or chunked
 * (decoded here: backends get a plain body and a CONTENT_LENGTH). Bytes after the body
 * belong to the next request and are left where they are.
 */
import { ChunkedDecoder } from "../uwsgi/chunked.ts";
import type { ClientInput } from "./client_input.ts";
import { RequestError } from "./request_head.ts";

/** Where the body's pieces go. */
export interface BodySink {
  bodyPiece(piece: Uint8Array): void;
}

/** The body framing state of one request. */
export class BodyReader {
  readonly #decoder: ChunkedDecoder | null;
  /** Content-Length bytes still expected. */
  #remaining: number;
  readonly #limit: number;
  /** Body bytes read so far (decoded). */
  received = 0;

  /** `length` from Content-Length (-1 for chunked); `limit` = http-max-body (0 = none). */
  constructor(length: number, limit: number) {
    this.#decoder = length < 0 ? new ChunkedDecoder() : null;
    this.#remaining = Math.max(0, length);
    this.#limit = limit;
  }

  /** The whole body was read. */
  get done(): boolean {
    return this.#decoder !== null ? this.#decoder.done : this.#remaining === 0;
  }

  /**
   * Takes the body's bytes from the input, handing each decoded piece to `sink`. Throws
   * RequestError: 400 for a malformed chunked body, 413 past the limit.
   */
  take(input: ClientInput, sink: BodySink): void {
    const bytes = input.bytes;
    if (bytes !== null) input.consumeTo(input.start + this.#feed(bytes, input.start, sink));
  }

  /** Takes body bytes from `bytes[start, length)`; returns how many were the body's. */
  #feed(bytes: Uint8Array, start: number, sink: BodySink): number {
    const end = bytes.length;
    if (this.#decoder === null) {
      const n = Math.min(this.#remaining, end - start);
      if (n === 0) return 0;
      this.#remaining -= n;
      this.received += n;
      sink.bodyPiece(start === 0 && n === end ? bytes : bytes.subarray(start, start + n));
      return n;
    }
    let pieces: Uint8Array[];
    try {
      pieces = this.#decoder.decode(bytes.subarray(start, end));
    } catch (error) {
      throw new RequestError(400, `A malformed chunked body: ${(error as Error).message}`);
    }
    for (const piece of pieces) {
      this.received += piece.length;
      if (this.#limit > 0 && this.received > this.#limit) {
        throw new RequestError(413, `A chunked body over http-max-body (${this.#limit} bytes)`);
      }
      sink.bodyPiece(piece);
    }
    return this.#decoder.consumed;
  }
}
