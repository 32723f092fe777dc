/**
 * HTTP/2 requests (HTTPS listeners, ALPN h2) through the same engine: each stream's fields
 * are rewritten as an HTTP/1.1 head and parsed by the same parser (same validation, same
 * vars, SERVER_PROTOCOL "HTTP/2.0"), its body read (h2_request_body.ts), and the
 * Exchange's response written back on node:http2's core stream API (its compatibility
 * layer costs twice the time per request), through the same buffering as HTTP/1.1
 * responses (h2_response.ts).
 */
import type { Http2Handler, Http2Stream, Peer } from "../runtime/types.ts";
import type { ResponseHead } from "../uwsgi/response_head.ts";
import { latin1, STATUS_TEXT } from "./client_head.ts";
import { Exchange } from "./exchange.ts";
import type { ExchangeOwner } from "./exchange_context.ts";
import { forwardingFacts } from "./forwarding.ts";
import { type H2Target, http1Head } from "./h2_fields.ts";
import { type H2Body, type H2BodyOwner, startResponse } from "./h2_response.ts";
import { RequestError, type RequestHead } from "./request_head.ts";
import { emptyFacts, requestPacket, withVar } from "./request_packet.ts";
import { parseRequestHead } from "./request_parser.ts";
import type { Timed } from "./deadlines.ts";
import type { ServerContext } from "./server_context.ts";
import type { Spool } from "./spool.ts";
import { type H2BodyTaker, readH2Body } from "./h2_request_body.ts";

/** HTTP/2's NO_ERROR (a response sent before the whole body came: stop sending it). */
const NGHTTP2_NO_ERROR = 0;
/** HTTP/2's INTERNAL_ERROR: a stream cut off mid-response. */
const NGHTTP2_INTERNAL_ERROR = 2;

/** What the stream's http-timeout waits for: nothing, body bytes, the client to read. */
const WAIT_NONE = 0;
const WAIT_BODY = 1;
const WAIT_CLIENT = 2;

/** The stream handler of an HTTPS listener. */
export function http2Handler(ctx: ServerContext): Http2Handler {
  return (stream, fields, peer) => void new H2Request(ctx, stream, fields, peer);
}

/** One HTTP/2 stream, from request to response. */
class H2Request implements ExchangeOwner, H2BodyOwner, H2BodyTaker, Timed {
  readonly #ctx: ServerContext;
  readonly #stream: Http2Stream;
  readonly #peer: Peer;
  readonly #target: H2Target = { method: "-", uri: "-" };
  #head: RequestHead | null = null;
  #exchange: Exchange | null = null;
  #status = 0;
  #sent = 0;
  /** The response body on its way to the client (when it did not go with the head). */
  #body: H2Body | null = null;
  /** WAIT_*: what the deadline (http-timeout) is for. */
  #waiting = WAIT_NONE;
  deadline = 0;
  #done = false;
  #requestId: string | undefined;
  readonly #started: number;

  constructor(ctx: ServerContext, stream: Http2Stream, fields: string[], peer: Peer) {
    this.#ctx = ctx;
    this.#stream = stream;
    this.#peer = peer;
    this.#started = ctx.clock();
    ctx.counters.begin();
    // a reset stream emits "error" before "close": the close says it all
    stream.on("error", () => {});
    stream.on("close", () => {
      if (!this.#done) this.#end(this.#status || 499, "the client closed the stream");
    });
    let head: RequestHead;
    try {
      const bytes = http1Head(fields, this.#target);
      head = parseRequestHead(bytes, 0, bytes.length, !ctx.config.underscoresInHeaders);
    } catch (error) {
      if (!(error instanceof RequestError)) throw error;
      this.failed(error.status, error.message, "-");
      return;
    }
    this.#head = head;
    readH2Body(ctx, stream, head, this);
  }

  // --- the body's side ------------------------------------------------------------

  get over(): boolean {
    return this.#done;
  }

  send(piece: Uint8Array): boolean {
    return this.#exchange!.send(piece);
  }

  endBody(): void {
    this.#exchange!.endBody();
  }

  bodyProgress(complete: boolean): void {
    this.#wait(complete ? WAIT_NONE : WAIT_BODY);
  }

  dispatch(body: Spool | null, streaming: boolean): void {
    const ctx = this.#ctx;
    const head = this.#head!;
    const address = this.#peer.address;
    let packet: Uint8Array;
    try {
      const peer = { address, port: String(this.#peer.port) };
      const trusted = ctx.forwarding.trusted?.has(address) ?? false;
      const facts = forwardingFacts(head, peer, trusted, ctx.forwarding, emptyFacts(true));
      this.#requestId = facts.requestId;
      packet = requestPacket(head, ctx.template, facts, "HTTP/2.0");
      if (body !== null && head.contentLength < 0) {
        packet = withVar(packet, "CONTENT_LENGTH", String(body.total));
      }
    } catch (error) {
      body?.dispose();
      this.failed(431, (error as Error).message, "-");
      return;
    }
    this.#exchange = new Exchange(ctx.exchanges, this, {
      head,
      hostname: ctx.hostname,
      client: address,
      packet,
      body,
      streaming,
      upgrade: false,
    });
    this.#exchange.start();
  }

  responseHead(head: ResponseHead, body: Uint8Array | null, start: number, end: number): void {
    const first = body === null ? null : body.subarray(start, end);
    const asked = {
      method: this.#target.method,
      acceptEncoding: this.#head!.acceptEncoding,
      requestId: this.#requestId,
    };
    try {
      const response = startResponse(this.#ctx, this.#stream, asked, head, first, this);
      this.#body = response.body;
      this.#sent = response.sent;
    } catch (error) {
      // node:http2 refuses what HTTP/2 cannot carry (a field twice that must be single)
      const cause = `the backend sent a head HTTP/2 cannot carry: ${(error as Error).message}`;
      return this.failed(502, cause, this.#node);
    }
    this.#status = head.status;
    if (first !== null) this.responseBody(first);
  }

  /** Body bytes for the client; false when the backend should pause (the queue is full). */
  responseBody(bytes: Uint8Array): boolean {
    const body = this.#body;
    if (body === null || this.#done) return true;
    this.#sent += bytes.length;
    return body.write(bytes);
  }

  /** The backend's response is complete: done once the client has taken it all. */
  responseEnd(): void {
    if (this.#body !== null) this.#body.end();
    else this.#end(this.#status, undefined);
  }

  backendMayGo(): void {
    this.#exchange?.resume();
  }

  clientBehind(): void {
    this.#wait(WAIT_CLIENT);
  }

  bodySent(): void {
    this.#end(this.#status, undefined);
  }

  bodyFailed(cause: string): void {
    this.aborted(cause, this.#node);
  }

  /** Starts (again) or, with WAIT_NONE, stops the stream's http-timeout. */
  #wait(what: number): void {
    const deadlines = this.#ctx.exchanges.deadlines;
    if (what === WAIT_NONE) {
      if (this.#waiting !== WAIT_NONE) deadlines.delete(this);
    } else {
      if (this.#waiting === WAIT_NONE) deadlines.add(this);
      this.deadline = deadlines.now + this.#ctx.exchanges.timeoutMs;
    }
    this.#waiting = what;
  }

  timedOut(): void {
    const seconds = this.#ctx.exchanges.timeoutMs / 1000;
    if (this.#waiting === WAIT_BODY) {
      this.failed(408, `the request body made no progress for ${seconds} s`, "-");
    } else if (this.#waiting === WAIT_CLIENT) {
      this.aborted(`the client read nothing for ${seconds} s`, this.#node);
    }
  }

  failed(status: number, cause: string, node: string): void {
    const ctx = this.#ctx;
    if (!ctx.config.quiet) {
      ctx.logger.error(`${this.#target.method} ${this.#target.uri} => ${status}: ${cause}`);
    }
    if (this.#done) return;
    const stream = this.#stream;
    if (stream.destroyed) return this.#end(499, undefined, node);
    if (stream.headersSent) return this.aborted(cause, node);
    const headers: Record<string, string> = {
      ":status": String(status),
      "content-type": "text/plain; charset=utf-8",
    };
    if (status === 503) headers["retry-after"] = "1";
    if (this.#requestId !== undefined) headers["x-request-id"] = this.#requestId;
    try {
      stream.respond(headers);
      stream.end(latin1(`${status} ${STATUS_TEXT[status] ?? "Error"}\n`));
      // the rest of the body is not wanted: the client is told once the answer is out (not
      // after an app's whole answer to a streamed body, #end: curl 7.88 spins on it)
      if (!stream.endAfterHeaders && !stream.readableEnded) {
        stream.on("finish", () => stream.close(NGHTTP2_NO_ERROR));
      }
    } catch {
      // the client reset the stream and its close event is still to come
      return this.#end(499, undefined, node);
    }
    this.#status = status;
    this.#end(status, undefined, node);
  }

  aborted(cause: string, node: string): void {
    if (!this.#stream.destroyed) this.#stream.close(NGHTTP2_INTERNAL_ERROR);
    this.#end(this.#status || 502, cause, node);
  }

  /** The backend took what was streamed: the client may send more. */
  requestDrained(): void {
    this.#stream.resume();
  }

  /** The backend node's name for the log ("-" before one was chosen). */
  get #node(): string {
    return this.#exchange?.node?.name ?? "-";
  }

  #end(status: number, cause: string | undefined, node = this.#node) {
    if (this.#done) return;
    this.#done = true;
    this.#wait(WAIT_NONE);
    this.#body?.dispose();
    this.#exchange?.abort();
    // a streamed body paused for the backend: the rest is taken (and dropped), or the
    // client would wait on flow control for ever
    if (!this.#stream.destroyed) this.#stream.resume();
    const ctx = this.#ctx;
    const { method, uri } = this.#target;
    if (cause && !ctx.config.quiet && status !== 499) {
      ctx.logger.error(`${method} ${uri} via ${node}: ${cause}`);
    }
    const ms = ctx.clock() - this.#started;
    ctx.counters.end(status, this.#sent, node, ms);
    if (!ctx.config.logging) return;
    ctx.logger.access({
      id: this.#requestId,
      client: this.#peer.address,
      method,
      uri,
      status,
      bytes: this.#sent,
      ms,
      node,
      upstreamMs: -1,
    });
  }
}
