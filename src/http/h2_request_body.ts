/**
 * An HTTP/2 request's body on its way in: buffered whole before a backend is chosen (HTTP/2
 * bodies may come without a length), or, with `http-request-buffering` off and a length
 * known, streamed to the backend as it comes. Checked against `http-max-body` and against
 * its Content-Length.
 */
import type { Http2Stream } from "../runtime/types.ts";
import type { RequestHead } from "./request_head.ts";
import type { ServerContext } from "./server_context.ts";
import { Spool } from "./spool.ts";

/** What the body needs of its request (H2Request). */
export interface H2BodyTaker {
  /** The request is over (answered, failed or gone): the body's events are ignored. */
  readonly over: boolean;
  /** The body is buffered in `body`, or starts streaming (`streaming`), or there is none. */
  dispatch(body: Spool | null, streaming: boolean): void;
  /** Streamed bytes for the backend; false when the client should wait. */
  send(piece: Uint8Array): boolean;
  /** A streamed body ended. */
  endBody(): void;
  /** Buffering: body bytes came (the request's http-timeout starts again), or all did. */
  bodyProgress(complete: boolean): void;
  failed(status: number, cause: string, node: string): void;
}

/** Reads the body of `stream`, then dispatches the request through `taker`. */
export function readH2Body(
  ctx: ServerContext,
  stream: Http2Stream,
  head: RequestHead,
  taker: H2BodyTaker,
): void {
  const config = ctx.config;
  const bodiless = stream.endAfterHeaders;
  if (bodiless || (!config.requestBuffering && head.contentLength >= 0)) {
    if (!bodiless && config.maxBody > 0 && head.contentLength > config.maxBody) {
      return taker.failed(413, "a body over http-max-body", "-");
    }
    // after the frames read with it: a stream the client resets at once (a rapid reset
    // flood) then never reaches a backend
    queueMicrotask(() => {
      if (taker.over || stream.destroyed) return;
      taker.dispatch(null, !bodiless);
      if (!bodiless && !taker.over) streamBody(stream, head.contentLength, taker);
    });
    return;
  }
  const spool = new Spool(config.bodyBufferSize, Infinity, ctx.openTempFile);
  taker.bodyProgress(false);
  stream.on("data", (piece) => {
    if (taker.over) return;
    taker.bodyProgress(false);
    if (config.maxBody > 0 && spool.total + piece.length > config.maxBody) {
      spool.dispose();
      taker.failed(413, "a body over http-max-body", "-");
      return;
    }
    spool.push(piece);
  });
  stream.on("end", () => {
    if (taker.over) return;
    taker.bodyProgress(true);
    if (head.contentLength >= 0 && spool.total !== head.contentLength) {
      spool.dispose();
      taker.failed(400, "a body shorter or longer than its Content-Length", "-");
      return;
    }
    taker.dispatch(spool, false);
  });
}

/** Body bytes go to the backend as they come; the client waits while it is behind. */
function streamBody(stream: Http2Stream, length: number, taker: H2BodyTaker): void {
  let received = 0;
  stream.on("data", (piece) => {
    if (taker.over) return;
    received += piece.length;
    if (received > length) return taker.failed(400, "a body longer than its Content-Length", "-");
    if (!taker.send(piece)) stream.pause();
  });
  stream.on("end", () => {
    if (taker.over) return;
    if (received < length) return taker.failed(400, "a body shorter than its Content-Length", "-");
    taker.endBody();
  });
}
