/**
 * An HTTP/1.x request's body on its way in from the client, decoded by its framing
 * (BodyReader), then either buffered whole before a backend is chosen (a chunked body, or
 * `http-request-buffering`: in memory up to `http-body-buffer-size`, then a temp file) or
 * streamed to the backend as it comes. A buffered body's client has `http-timeout` between
 * reads.
 */
import { BodyReader, type BodySink } from "./body_reader.ts";
import { CONTINUE } from "./edge_answers.ts";
import { RequestError, type RequestHead } from "./request_head.ts";
import { type RequestHost, T_BODY } from "./request_host.ts";
import { Spool } from "./spool.ts";

/** Who takes the body: the request. */
export interface BodyOwner {
  /** A streamed piece for the backend; false when the client should pause. */
  bodyStreamed(piece: Uint8Array): boolean;
  /** A streamed body was read whole. */
  bodyEnded(): void;
  /** A buffered body was read whole: `received` bytes, in `spool` (the owner's now). */
  bodyBuffered(spool: Spool, received: number): void;
  /** The body is malformed (400) or larger than `http-max-body` (413): the edge answers. */
  answerError(status: number, cause: string): void;
}

/** The body of one request. */
export class RequestBody implements BodySink {
  readonly #reader: BodyReader;
  /** Where a buffered body waits; null when it is streamed (or once handed over). */
  #spool: Spool | null;
  readonly #host: RequestHost;
  readonly #owner: BodyOwner;
  /** The body waits whole before a backend is chosen. */
  readonly buffered: boolean;

  constructor(host: RequestHost, head: RequestHead, owner: BodyOwner) {
    const ctx = host.ctx;
    const config = ctx.config;
    this.#host = host;
    this.#owner = owner;
    this.#reader = new BodyReader(head.chunked ? -1 : head.contentLength, config.maxBody);
    this.buffered = head.chunked || config.requestBuffering;
    this.#spool = this.buffered
      ? new Spool(config.bodyBufferSize, Infinity, ctx.openTempFile)
      : null;
  }

  /** `100 Continue` to a client that waits for it before its body (`http-manage-expect`). */
  sayContinue(head: RequestHead): void {
    const host = this.#host;
    if (
      head.http11 && head.expect !== undefined && host.ctx.config.manageExpect > 0 &&
      host.input.bytes === null
    ) {
      host.out.write(CONTINUE);
    }
  }

  /** The whole body was read. */
  get done(): boolean {
    return this.#reader.done;
  }

  /** Takes body bytes from the connection's input. */
  read(): void {
    const reader = this.#reader;
    try {
      reader.take(this.#host.input, this);
    } catch (error) {
      if (!(error instanceof RequestError)) throw error;
      return this.#owner.answerError(error.status, error.message);
    }
    if (!reader.done) {
      if (this.buffered) this.#host.setTimer(T_BODY, this.#host.ctx.exchanges.timeoutMs);
    } else if (!this.buffered) {
      this.#owner.bodyEnded();
    } else {
      this.#host.clearTimer();
      const spool = this.#spool!;
      this.#spool = null;
      this.#owner.bodyBuffered(spool, reader.received);
    }
  }

  /** A decoded piece: into the spool, or to the backend. */
  bodyPiece(piece: Uint8Array): void {
    if (this.#spool !== null) this.#spool.push(piece);
    else if (!this.#owner.bodyStreamed(piece)) this.#host.pauseRead();
  }

  /** Frees a spool not handed over (the request ended early). */
  dispose(): void {
    this.#spool?.dispose();
    this.#spool = null;
  }
}
