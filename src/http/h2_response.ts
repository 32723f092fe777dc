/**
 * An HTTP/2 response: the fields of the backend's head (gzip decided as for HTTP/1.1), then
 * the body, buffered like HTTP/1.1's (memory, then a temp file, so the backend is read at
 * its own pace) or held to a small mark when unbuffered or gzipped, and END_STREAM.
 */
import type { Http2Stream } from "../runtime/types.ts";
import type { ResponseHead } from "../uwsgi/response_head.ts";
import { acceptsGzip, GzipStream } from "./gzip.ts";
import { gzipEligible } from "./gzip_rules.ts";
import { h2ResponseHeaders } from "./h2_fields.ts";
import { H2Sink } from "./h2_sink.ts";
import { type BufferLimits, OutQueue } from "./out_queue.ts";
import type { ServerContext } from "./server_context.ts";

/** A response body up to this size that came whole with its head is sent at once. */
const WHOLE_LIMIT = 16384;

/** The request's side of a response. */
export interface H2Asked {
  method: string;
  acceptEncoding: string | undefined;
  requestId: string | undefined;
}

/**
 * Sends the client's head for the backend's `head`; `first` holds the body bytes that came
 * with it. Resolves to the body to write them and the rest to, or to null and the bytes sent
 * when END_STREAM went already (no body: HEAD, 1xx, 204, 304; or a small body that came
 * whole, sent with the head in one send). Throws what node:http2 refuses (a head HTTP/2
 * cannot carry).
 */
export function startResponse(
  ctx: ServerContext,
  stream: Http2Stream,
  asked: H2Asked,
  head: ResponseHead,
  first: Uint8Array | null,
  owner: H2BodyOwner,
): { body: H2Body | null; sent: number } {
  const config = ctx.config;
  const status = head.status;
  const bodiless = asked.method === "HEAD" || status < 200 || status === 204 || status === 304;
  // HEAD gets the fields its GET would have, Content-Encoding too, and no body
  const encoded = config.autoGzip && gzipEligible(head) && acceptsGzip(asked.acceptEncoding);
  const gzip = encoded && !bodiless;
  const extra = config.addHeaders;
  const headers = h2ResponseHeaders(
    head,
    asked.requestId === undefined ? extra : [...extra, ["X-Request-Id", asked.requestId]],
    { auto: config.autoGzip, gzip: encoded },
  );
  stream.respond(headers, { endStream: bodiless });
  if (bodiless) return { body: null, sent: 0 };
  const size = first?.length ?? 0;
  if (!gzip && first !== null && head.contentLength === size && size <= WHOLE_LIMIT) {
    stream.end(first);
    return { body: null, sent: size };
  }
  const buffering = config.responseBuffering && !head.noBuffering && !head.eventStream;
  return { body: new H2Body(stream, ctx.responseLimits, { buffering, gzip }, owner), sent: 0 };
}

/** What the body tells its request. */
export interface H2BodyOwner {
  /** The backend may send again (it was told to pause). */
  backendMayGo(): void;
  /** The backend's response is all here and bytes wait for the client: (re)start its timeout. */
  clientBehind(): void;
  /** Every byte went to the stream, and END_STREAM. */
  bodySent(): void;
  /** The body could not be buffered (the temp file failed). */
  bodyFailed(cause: string): void;
}

export class H2Body {
  readonly #stream: Http2Stream;
  readonly #owner: H2BodyOwner;
  readonly #sink: H2Sink;
  readonly #out: OutQueue;
  #gzip: GzipStream | null = null;
  /** The backend's response is complete: what waits in #out is the client's to take. */
  #complete = false;
  #disposed = false;

  constructor(
    stream: Http2Stream,
    limits: BufferLimits,
    options: { buffering: boolean; gzip: boolean },
    owner: H2BodyOwner,
  ) {
    this.#stream = stream;
    this.#owner = owner;
    this.#sink = new H2Sink(stream);
    const out = this.#out = new OutQueue(this.#sink, limits, false);
    out.buffering = options.buffering && !options.gzip;
    if (options.gzip) {
      // each piece is compressed and flushed at once; the backend waits while it is
      const idle = () => out.open && owner.backendMayGo();
      this.#gzip = new GzipStream((bytes) => out.write(bytes), idle);
    }
    stream.on("drain", () => this.#drained());
  }

  /** Body bytes of the backend; false when it should pause. */
  write(bytes: Uint8Array): boolean {
    const out = this.#out;
    const gzip = this.#gzip;
    if (gzip !== null) {
      gzip.write(bytes);
      return !gzip.busy && out.open;
    }
    try {
      return out.write(bytes);
    } catch (error) {
      this.#owner.bodyFailed(`the response could not be buffered: ${(error as Error).message}`);
      return true;
    }
  }

  /** The backend's response is complete: END_STREAM once the client has taken it all. */
  end(): void {
    const gzip = this.#gzip;
    if (gzip !== null) {
      // the last compressed bytes come later; dispose() destroys the compressor before that
      gzip.end(() => {
        this.#gzip = null;
        this.end();
      });
      return;
    }
    this.#complete = true;
    if (this.#out.size > 0) this.#owner.clientBehind();
    else this.#finish();
  }

  /** Drops what waits and the compressor (the request ended early). */
  dispose(): void {
    this.#disposed = true;
    this.#out.dispose();
    this.#gzip?.destroy();
  }

  /** The stream takes bytes again: what waits goes; the backend resumes below the mark. */
  #drained(): void {
    if (this.#disposed) return;
    this.#sink.drained();
    const empty = this.#out.flush();
    if (!this.#complete) {
      if (this.#out.open) this.#owner.backendMayGo();
    } else if (!empty) {
      this.#owner.clientBehind();
    } else {
      this.#finish();
    }
  }

  #finish(): void {
    this.#stream.end();
    this.#owner.bodySent();
  }
}
