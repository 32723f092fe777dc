/**
 * One HTTP/1.x client connection, driven by socket events: request heads are parsed as
 * bytes arrive, each handed to a ClientRequest (its body, exchange and response), and
 * requests are answered in order (pipelining), the connection kept alive when both sides
 * allow it. Owns the socket, the unread input, the timers and the connection's end.
 */
import type { AcceptInfo, StreamEvents, StreamSocket } from "../runtime/types.ts";
import { errorResponse } from "./client_head.ts";
import { ClientInput } from "./client_input.ts";
import { ClientRequest } from "./client_request.ts";
import { EXCHANGE, type RequestHost, T_BODY, T_SEND, TUNNEL } from "./request_host.ts";
import type { Timed } from "./deadlines.ts";
import { OutQueue } from "./out_queue.ts";
import { readProxyHeader } from "./proxy_protocol.ts";
import { MAX_REQUEST_HEAD, RequestError, type RequestHead } from "./request_head.ts";
import { findHeadEnd, parseRequestHead } from "./request_parser.ts";
import type { ServerContext } from "./server_context.ts";

/** Pipelined bytes held while a request is served before reading pauses. */
const MAX_PIPELINED = 65536;
/** A closing connection waits this long for the client's FIN before it is reset. */
const LINGER_MS = 5000;
const DEFAULT_IDLE_SECONDS = 60;

// phases: HEAD, then those of a request (BODY, EXCHANGE, TUNNEL), then the end
const HEAD = 0;
const CLOSING = 4;
const CLOSED = 5;

// timers: besides a request's T_BODY and T_SEND
const T_IDLE = 1;
const T_HEAD = 2;
const T_LINGER = 5;

/** The connection. */
export class ClientConnection implements StreamEvents, RequestHost, Timed {
  deadline = 0;
  readonly ctx: ServerContext;
  readonly out: OutQueue;
  readonly input = new ClientInput();
  /** The client sent FIN. */
  ended = false;
  #timer = 0;
  #state = HEAD;
  readonly #socket: StreamSocket;
  #remoteAddr: string;
  #remotePort: string;
  #proxyHeader: boolean;
  /** The socket's peer is a trusted proxy (its forwarding headers are believed). */
  readonly #socketTrusted: boolean;
  #readPaused = false;
  /** Inside the parse loop: finished requests let it go on instead of recursing. */
  #parsing = false;
  #request: ClientRequest | null = null;

  constructor(socket: StreamSocket, ctx: ServerContext, info: AcceptInfo) {
    this.#socket = socket;
    this.ctx = ctx;
    this.#remoteAddr = info.peer.address;
    this.#remotePort = String(info.peer.port);
    this.#proxyHeader = ctx.config.proxyProtocol;
    this.#socketTrusted = ctx.forwarding.trusted?.has(info.peer.address) ?? false;
    this.out = new OutQueue(socket, ctx.responseLimits, info.writesCopy);
    ctx.deadlines.add(this);
    ctx.connections.add(this);
    this.setTimer(T_IDLE, this.#idleMs());
  }

  // --- socket events ---------------------------------------------------------------

  data(bytes: Uint8Array): void {
    const state = this.#state;
    if (state >= CLOSING) return;
    if (state === TUNNEL) {
      if (!this.#request!.tunnelSend(bytes)) this.pauseRead();
      return;
    }
    this.input.append(bytes);
    if (state === HEAD) this.#parseLoop();
    else if (this.#request!.bodyPending) this.#request!.readBody();
    else if (this.input.pending > MAX_PIPELINED) this.pauseRead();
  }

  drain(): void {
    if (this.#state >= CLOSED) return;
    if (!this.out.flush()) {
      this.setTimer(T_SEND, this.ctx.exchanges.timeoutMs);
      return;
    }
    if (this.#state === CLOSING) {
      this.#socket.end();
      this.setTimer(T_LINGER, LINGER_MS);
      return;
    }
    this.#request?.writable();
  }

  end(): void {
    this.ended = true;
    if (this.#state === HEAD) this.#close();
    else if (this.#state < CLOSING) this.#request!.clientEnded();
  }

  closed(_error?: Error): void {
    if (this.#state === CLOSED) return;
    this.#state = CLOSED;
    this.deadline = 0;
    const request = this.#request;
    this.#request = null;
    request?.socketClosed();
    this.input.clear();
    this.out.dispose();
    this.ctx.deadlines.delete(this);
    this.ctx.connections.delete(this);
  }

  timedOut(): void {
    const timer = this.#timer;
    this.#timer = 0;
    const seconds = this.ctx.exchanges.timeoutMs / 1000;
    if (timer === T_IDLE) this.#close();
    else if (timer === T_HEAD) {
      this.#answerError(408, "the request head was not complete in http-headers-timeout");
    } else if (timer === T_BODY) {
      this.#request?.answerError(408, `the request body made no progress for ${seconds} s`);
    } else if (timer === T_SEND) {
      const cause = `the client read nothing for ${seconds} s`;
      if (this.#request !== null) this.#request.abort(cause, undefined, true);
      else this.terminate();
    } else if (timer === T_LINGER) this.terminate();
  }

  /** Graceful shutdown: an idle connection closes now, a busy one after its response. */
  drainConnection(): void {
    if (this.#state === HEAD && this.input.bytes === null) this.#close();
    else if (this.#state === EXCHANGE && this.ended) this.#request!.drainRequest();
  }

  // --- requests --------------------------------------------------------------------

  #parseLoop(): void {
    if (this.#parsing) return;
    this.#parsing = true;
    try {
      while (this.#state === HEAD && this.input.bytes !== null && !this.#readPaused) {
        if (!this.#nextHead()) break;
      }
    } finally {
      this.#parsing = false;
    }
  }

  /** Parses the next head if it is all there and starts its request; false to wait. */
  #nextHead(): boolean {
    const input = this.input;
    // the PROXY header comes first (a v2 one starts with CRLFs)
    if (this.#proxyHeader && !this.#readProxy()) return false;
    const bytes = input.bytes!;
    let start = input.start;
    // empty lines before a request line are ignored (RFC 9112 §2.2)
    while (start < bytes.length && (bytes[start] === 13 || bytes[start] === 10)) start++;
    if (start === bytes.length) {
      input.clear();
      return false;
    }
    input.start = start;
    const end = findHeadEnd(bytes, start, input.scanned, bytes.length);
    if (end < 0) {
      if (bytes.length - start > MAX_REQUEST_HEAD) {
        this.#answerError(431, `a request head larger than ${MAX_REQUEST_HEAD} bytes`);
        return false;
      }
      input.scanned = bytes.length;
      this.#awaitHead();
      return false;
    }
    let head: RequestHead;
    try {
      head = parseRequestHead(bytes, start, end, !this.ctx.config.underscoresInHeaders);
    } catch (error) {
      if (!(error instanceof RequestError)) throw error;
      this.#answerError(error.status, error.message);
      return false;
    }
    input.consumeTo(end);
    this.clearTimer();
    const request = new ClientRequest(this, head, this.#remoteAddr, this.#remotePort);
    this.#request = request;
    request.start(this.#socketTrusted);
    return true;
  }

  /** Consumes the PROXY header; false while more bytes are needed (or on an error). */
  #readProxy(): boolean {
    const input = this.input;
    try {
      const header = readProxyHeader(input.bytes!, input.start, input.bytes!.length);
      if (header === null) {
        this.#awaitHead();
        return false;
      }
      input.consumeTo(input.start + header.length);
      if (header.client) {
        this.#remoteAddr = header.client.address;
        this.#remotePort = String(header.client.port);
      }
      this.#proxyHeader = false;
      return input.bytes !== null;
    } catch (error) {
      if (!(error instanceof RequestError)) throw error;
      this.#answerError(error.status, error.message);
      return false;
    }
  }

  /** A head is on its way: http-headers-timeout runs from its first byte. */
  #awaitHead(): void {
    if (this.#timer !== T_HEAD) this.setTimer(T_HEAD, this.ctx.config.headersTimeout * 1000);
  }

  /** A broken head: the edge answers with an error, then closes. */
  #answerError(status: number, cause: string): void {
    if (!this.ctx.config.quiet) this.ctx.logger.warn(`- - => ${status}: ${cause}`);
    this.out.write(errorResponse(status, false, ""));
    this.#close();
  }

  // --- the request's host ----------------------------------------------------------

  enter(phase: number): void {
    this.#state = phase;
  }

  requestDone(reusable: boolean): void {
    this.#request = null;
    if (!reusable || this.ended || this.ctx.draining) {
      this.#close();
      return;
    }
    this.#state = HEAD;
    this.setTimer(T_IDLE, this.#idleMs());
    this.resumeRead();
    this.#parseLoop();
  }

  close(): void {
    this.#request = null;
    this.#close();
  }

  terminate(): void {
    this.#request = null;
    if (this.#state === CLOSED) return;
    this.#socket.terminate();
    this.closed();
  }

  setTimer(kind: number, ms: number): void {
    this.#timer = kind;
    this.deadline = this.ctx.deadlines.now + ms;
  }

  clearTimer(): void {
    this.#timer = 0;
    this.deadline = 0;
  }

  pauseRead(): void {
    if (this.#readPaused) return;
    this.#readPaused = true;
    this.#socket.pause();
  }

  resumeRead(): void {
    if (!this.#readPaused) return;
    this.#readPaused = false;
    this.#socket.resume();
  }

  // --- endings ---------------------------------------------------------------------

  /** Closes after what is queued: FIN, then a reset if the client lingers. */
  #close(): void {
    if (this.#state >= CLOSING) return;
    this.#state = CLOSING;
    this.input.clear();
    // what the client still sends is read and dropped until the linger timer: unread bytes
    // at close() would make the kernel reset the connection under the last response
    this.resumeRead();
    if (this.out.size > 0) {
      // the rest is written by drain(); the linger timer bounds it
      this.setTimer(T_LINGER, this.ctx.exchanges.timeoutMs);
      return;
    }
    this.#socket.end();
    this.setTimer(T_LINGER, LINGER_MS);
  }

  #idleMs(): number {
    return idleMs(this.ctx.config.keepalive);
  }
}

/** How long an idle client connection stays (`http-keepalive` N > 1, else the default). */
export function idleMs(keepalive: number): number {
  return (keepalive > 1 ? keepalive : DEFAULT_IDLE_SECONDS) * 1000;
}
