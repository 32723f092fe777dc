/**
 * Streaming gzip for `http-auto-gzip`: every backend piece is compressed and flushed at
 * once (Z_SYNC_FLUSH), so a server-sent-events stream never stalls in the compressor.
 * node:zlib is used because Web CompressionStream cannot flush; Deno and Bun both have it.
 * Callbacks, not promises: the engine pauses the backend while a piece is compressed.
 */
import process from "node:process";
import type * as Zlib from "node:zlib";

// loaded on first use: a proxy that never gzips does not carry node:zlib (~7 MB of RSS)
let zlib: typeof Zlib | undefined;

/** One gzip member, written piece by piece. */
export class GzipStream {
  readonly #gzip = (zlib ??= process.getBuiltinModule("node:zlib")).createGzip();
  #out: Uint8Array[] = [];
  #busy = false;
  readonly #queue: Uint8Array[] = [];
  #ending: (() => void) | undefined;
  readonly #output: (bytes: Uint8Array) => void;
  readonly #idle: () => void;

  /** `output` gets compressed bytes in order; `idle` runs when all input was flushed. */
  constructor(output: (bytes: Uint8Array) => void, idle: () => void) {
    this.#output = output;
    this.#idle = idle;
    this.#gzip.on("data", (data: Uint8Array) => this.#out.push(data));
  }

  /** Compressing: more input waits (the caller pauses its source). */
  get busy(): boolean {
    return this.#busy;
  }

  /** Compresses and flushes `bytes`. */
  write(bytes: Uint8Array): void {
    if (this.#busy) {
      this.#queue.push(bytes);
      return;
    }
    this.#busy = true;
    this.#gzip.write(bytes);
    this.#gzip.flush(zlib!.constants.Z_SYNC_FLUSH, () => this.#flushed());
  }

  /** Ends the member (deflate end, CRC32 and size); `done` runs after the last output. */
  end(done: () => void): void {
    if (this.#busy) {
      this.#ending = done;
      return;
    }
    this.#gzip.once("end", () => {
      this.#emit();
      done();
    });
    this.#gzip.end();
  }

  /** Frees the compressor without finishing (the client or backend went away). */
  destroy(): void {
    this.#queue.length = 0;
    this.#ending = undefined;
    this.#gzip.destroy();
  }

  #flushed(): void {
    this.#busy = false;
    this.#emit();
    const next = this.#queue.shift();
    if (next !== undefined) {
      this.write(next);
      return;
    }
    const ending = this.#ending;
    if (ending) {
      this.#ending = undefined;
      this.end(ending);
      return;
    }
    this.#idle();
  }

  #emit(): void {
    const parts = this.#out;
    if (parts.length === 0) return;
    this.#out = [];
    for (const part of parts) this.#output(part);
  }
}

/** True when an Accept-Encoding value accepts gzip (a `gzip` or `*` token not at q=0). */
export function acceptsGzip(value: string | undefined): boolean {
  if (!value) return false;
  for (const item of value.split(",")) {
    const [coding, ...params] = item.trim().toLowerCase().split(";");
    if (coding !== "gzip" && coding !== "x-gzip" && coding !== "*") continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    if (q === undefined || Number(q.slice(2)) > 0) return true;
  }
  return false;
}
