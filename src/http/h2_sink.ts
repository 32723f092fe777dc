/**
 * An HTTP/2 stream's response side as the sink an OutQueue writes to, so that HTTP/2
 * responses are buffered like HTTP/1.1 ones (memory, then a temp file: the backend is read
 * as fast as it writes, whatever the client's pace). node:http2 takes every write but says
 * when its buffer is full; from then until "drain" this sink takes nothing.
 */
import type { Http2Stream } from "../runtime/types.ts";
import type { ByteSink } from "./out_queue.ts";

export class H2Sink implements ByteSink {
  readonly #stream: Http2Stream;
  #full = false;

  constructor(stream: Http2Stream) {
    this.#stream = stream;
  }

  write(bytes: Uint8Array, offset = 0, length = bytes.length - offset): number {
    if (this.#stream.destroyed) return -1;
    if (this.#full) return 0;
    const piece = offset === 0 && length === bytes.length
      ? bytes
      : bytes.subarray(offset, offset + length);
    if (!this.#stream.write(piece)) this.#full = true;
    return length;
  }

  /** The stream's "drain": it takes writes again. */
  drained(): void {
    this.#full = false;
  }
}
