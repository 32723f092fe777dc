/**
 * Streaming gzip for `http-auto-gzip`: every backend read is compressed and flushed at
 * once (Z_SYNC_FLUSH), so a server-sent-events stream never stalls in the compressor.
 * node:zlib is used because Web CompressionStream cannot flush; Deno and Bun both have it.
 */
import zlib from "node:zlib";
import { concatBytes } from "../bytes.ts";

/** One gzip member, written piece by piece. */
export class GzipWriter {
  readonly #gzip = zlib.createGzip();
  #out: Uint8Array[] = [];
  readonly #ended: Promise<void>;

  constructor() {
    this.#gzip.on("data", (data: Uint8Array) => this.#out.push(data));
    this.#ended = new Promise((resolve, reject) => {
      this.#gzip.on("end", () => resolve());
      this.#gzip.on("error", reject);
    });
  }

  /** Compresses `bytes` and returns everything produced so far, flushed. */
  write(bytes: Uint8Array): Promise<Uint8Array> {
    this.#gzip.write(bytes);
    return new Promise((resolve) => {
      this.#gzip.flush(zlib.constants.Z_SYNC_FLUSH, () => resolve(this.#take()));
    });
  }

  /** Ends the member; returns the last bytes (deflate end, CRC32 and size). */
  async end(): Promise<Uint8Array> {
    this.#gzip.end();
    await this.#ended;
    return this.#take();
  }

  /** Frees the compressor without finishing (the client or backend went away). */
  destroy(): void {
    this.#gzip.destroy();
  }

  #take(): Uint8Array {
    const parts = this.#out;
    this.#out = [];
    return concatBytes(parts);
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
