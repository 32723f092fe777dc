/**
 * One response on its way to an HTTP/1.x client: the head built from the backend's, the
 * body framed (Content-Length as sent, chunked by the edge, or close-delimited), gzipped
 * when `http-auto-gzip` applies, and written through the connection's queue. The head and
 * the first body bytes go out in one write.
 */
import { type ClientFraming, clientHead, HEAD_OUT } from "./client_head.ts";
import type { ResponseHead } from "../uwsgi/response_head.ts";
import { acceptsGzip, GzipStream } from "./gzip.ts";
import type { OutQueue } from "./out_queue.ts";
import type { RequestHead } from "./request_head.ts";
import { release } from "./release.ts";
import { SCRATCH } from "./scratch.ts";
import { dateLine, type ServerContext } from "./server_context.ts";

const LAST_CHUNK = new Uint8Array([48, 13, 10, 13, 10]);
const LAST_CHUNK_AFTER_DATA = new Uint8Array([13, 10, 48, 13, 10, 13, 10]);
/**
 * Body pieces up to this size are copied to go out with their chunk's size line. Joining
 * a bigger piece cost more than the second write (256 KiB streamed in 16 KiB pieces).
 */
const COPY_LIMIT = 16384;
/**
 * A response's first body bytes up to this size are copied to go out with its head: a
 * separate write of the head is a second TCP segment and a second wake-up of the client,
 * which cost more than copying 64 KiB (64 KiB responses: 8-13% less proxy CPU).
 */
const HEAD_COPY_LIMIT = 131072;

/** Who hears of the relay's progress (the connection). */
export interface RelayOwner {
  /** Every byte of the response was handed to the queue. */
  relayComplete(): void;
  /** The relay takes bytes again (the compressor caught up). */
  relayWritable(): void;
}

/** The relay of one response. */
export class ResponseRelay {
  status = 0;
  /** Body bytes of the backend relayed (before gzip and framing). */
  sent = 0;
  keepAlive: boolean;
  /** Every byte was handed to the queue. */
  complete = false;
  #framing: ClientFraming = "none";
  /** A chunk's data went out without its closing CRLF yet. */
  #chunkOpen = false;
  #gzip: GzipStream | null = null;
  readonly #ctx: ServerContext;
  readonly #out: OutQueue;
  readonly #request: RequestHead;
  readonly #owner: RelayOwner;
  readonly #requestId: string | undefined;

  constructor(
    ctx: ServerContext,
    out: OutQueue,
    request: RequestHead,
    keepAlive: boolean,
    owner: RelayOwner,
    requestId: string | undefined,
  ) {
    this.#requestId = requestId;
    this.#ctx = ctx;
    this.#out = out;
    this.#request = request;
    this.keepAlive = keepAlive;
    this.#owner = owner;
  }

  /** Writes the head, with the first body bytes `body[start, end)` in the same write. */
  start(head: ResponseHead, body: Uint8Array | null, start: number, end: number): void {
    const ctx = this.#ctx;
    const config = ctx.config;
    const request = this.#request;
    const response = clientHead(head, {
      headOnly: request.isHead,
      http11: request.http11,
      keepAlive: this.keepAlive,
      addHeaders: ctx.addHeaders,
      requestId: this.#requestId,
      date: dateLine(ctx.deadlines.now),
      autoGzip: config.autoGzip,
      acceptsGzip: config.autoGzip && acceptsGzip(request.acceptEncoding),
    });
    this.status = head.status;
    this.keepAlive = response.keepAlive;
    this.#framing = response.framing;
    const out = this.#out;
    out.buffering = config.responseBuffering && !head.noBuffering && !head.eventStream &&
      !response.gzip;
    let at = response.headLength;
    if (response.gzip) {
      out.writeCopy(HEAD_OUT, at);
      // the source waits while a piece is compressed, and while the client is behind
      this.#gzip = new GzipStream(
        (bytes) => this.#frame(bytes, false),
        () => out.open && this.#owner.relayWritable(),
      );
      if (body !== null) this.body(body.subarray(start, end));
      return;
    }
    const length = body === null || this.#framing === "none" ? 0 : end - start;
    this.sent += length;
    const chunked = this.#framing === "chunk" && length > 0;
    if (chunked) {
      at = sizeLine(HEAD_OUT, at, length);
      this.#chunkOpen = true;
    }
    if (length === 0) {
      out.writeCopy(HEAD_OUT, at);
      return;
    }
    const first = start === 0 && end === body!.length ? body! : body!.subarray(start, end);
    if (out.pairs) {
      // one system call, no copy: a whole read's buffer is free once all of it is sent
      out.writePair(HEAD_OUT, at, first, body);
    } else if (length <= HEAD_COPY_LIMIT && at + length <= HEAD_OUT.length) {
      // the head and the first body bytes leave in one write
      HEAD_OUT.set(first, at);
      // copied, and the backend's head with it: a whole read's buffer is free
      release(body!);
      out.writeCopy(HEAD_OUT, at + length);
    } else {
      // big (or a head too long to leave room): copying costs more than a second write
      out.writeCopy(HEAD_OUT, at);
      out.write(first);
    }
  }

  /** More body bytes; false when the source should pause. */
  body(bytes: Uint8Array): boolean {
    if (this.#framing === "none") return true;
    this.sent += bytes.length;
    const gzip = this.#gzip;
    if (gzip !== null) {
      gzip.write(bytes);
      return !gzip.busy && this.#out.open;
    }
    return this.#frame(bytes, true);
  }

  /** The backend's response is complete. */
  end(): void {
    const gzip = this.#gzip;
    if (gzip !== null) {
      gzip.end(() => this.#last());
      return;
    }
    this.#last();
  }

  /** Frees the compressor (the request ended early). */
  dispose(): void {
    this.#gzip?.destroy();
    this.#gzip = null;
  }

  #last(): void {
    if (this.#framing === "chunk") {
      this.#out.write(this.#chunkOpen ? LAST_CHUNK_AFTER_DATA : LAST_CHUNK);
    }
    this.complete = true;
    this.#owner.relayComplete();
  }

  /**
   * Writes body bytes in the response's framing. A chunk's closing CRLF is sent with the
   * next chunk's size line (or the last chunk), so that a big chunk costs two writes and
   * no copy; small ones are assembled in SCRATCH.
   */
  #frame(bytes: Uint8Array, read: boolean): boolean {
    const out = this.#out;
    if (this.#framing !== "chunk") return read ? out.writeRead(bytes) : out.write(bytes);
    if (bytes.length === 0) return true;
    let at = this.#chunkOpen ? crlf(SCRATCH, 0) : 0;
    this.#chunkOpen = true;
    at = sizeLine(SCRATCH, at, bytes.length);
    if (out.pairs) return out.writePair(SCRATCH, at, bytes, read ? bytes : null);
    if (bytes.length > COPY_LIMIT) {
      out.writeCopy(SCRATCH, at);
      return read ? out.writeRead(bytes) : out.write(bytes);
    }
    SCRATCH.set(bytes, at);
    at += bytes.length;
    // copied: a whole read's buffer is free (after this, bytes is empty)
    if (read) release(bytes);
    return out.writeCopy(SCRATCH, at);
  }
}

/** Writes a chunk-size line at `at`; returns the offset after it. */
function sizeLine(into: Uint8Array, at: number, size: number): number {
  const hex = size.toString(16);
  for (let i = 0; i < hex.length; i++) into[at++] = hex.charCodeAt(i);
  return crlf(into, at);
}

function crlf(into: Uint8Array, at: number): number {
  into[at] = 13;
  into[at + 1] = 10;
  return at + 2;
}
