/**
 * One HTTP/1.x client connection, driven by socket events: request heads are parsed as
 * bytes arrive, bodies read (buffered or streamed), each request handed to an Exchange,
 * and its response framed back; requests are answered in order (pipelining) and the
 * connection kept alive when both sides allow it. Owns the client-side timeouts.
 */
import { concatBytes } from "../bytes.ts";
import type { AcceptInfo, StreamEvents, StreamSocket } from "../runtime/types.ts";
import type { ResponseHead } from "../uwsgi/response_head.ts";
import { BodyReader } from "./body_reader.ts";
import { errorResponse, httpDate, latin1 } from "./client_head.ts";
import type { Timed } from "./deadlines.ts";
import { Exchange, type ExchangeOwner } from "./exchange.ts";
import { OutQueue } from "./out_queue.ts";
import { readProxyHeader } from "./proxy_protocol.ts";
import {
  findHeadEnd,
  MAX_REQUEST_HEAD,
  parseRequestHead,
  RequestError,
  type RequestHead,
} from "./request_head.ts";
import { forwardingFacts } from "./forwarding.ts";
import { emptyFacts, type PacketFacts, requestPacket, withVar } from "./request_packet.ts";
import { type RelayOwner, ResponseRelay } from "./response_relay.ts";
import type { ServerContext } from "./server_context.ts";
import { Spool } from "./spool.ts";

const CONTINUE = latin1("HTTP/1.1 100 Continue\r\n\r\n");
/** Pipelined bytes held while a request is served before reading pauses. */
const MAX_PIPELINED = 65536;
/** A closing connection waits this long for the client's FIN before it is reset. */
const LINGER_MS = 5000;
/** Why a request whose client sent its FIN is not waited for when shutting down. */
const LEFT_AT_SHUTDOWN = "before its response, and the edge is shutting down";
const DEFAULT_IDLE_SECONDS = 60;

const HEAD = 0;
const BODY = 1;
const EXCHANGE = 2;
const TUNNEL = 3;
const CLOSING = 4;
const CLOSED = 5;

const T_IDLE = 1;
const T_HEAD = 2;
const T_BODY = 3;
const T_SEND = 4;
const T_LINGER = 5;

/** The connection. */
export class ClientConnection implements StreamEvents, ExchangeOwner, RelayOwner, Timed {
  deadline = 0;
  #timer = 0;
  #state = HEAD;
  readonly #socket: StreamSocket;
  readonly #ctx: ServerContext;
  #remoteAddr: string;
  #remotePort: string;
  #proxyHeader: boolean;
  /** Client bytes not consumed yet: #input[#start, length). */
  #input: Uint8Array | null = null;
  #start = 0;
  #scanned = 0;
  #readPaused = false;
  /** The client sent FIN. */
  #ended = false;
  /** Inside the parse loop: finished requests let it go on instead of recursing. */
  #parsing = false;
  readonly #out: OutQueue;
  // the request in flight
  #head: RequestHead | null = null;
  #keepAlive = false;
  #body: BodyReader | null = null;
  #spool: Spool | null = null;
  #packet: Uint8Array | null = null;
  #exchange: Exchange | null = null;
  #relay: ResponseRelay | null = null;
  #started = 0;
  /** Bytes the backend sent through a tunnel (WebSocket) so far. */
  #tunnelled = 0;
  /** The request's id (returned as X-Request-Id), when ids are on. */
  #requestId: string | undefined;
  /** When the exchange began and its backend was done (ms; access logs only). */
  #dispatchedAt = 0;
  #upstreamMs = -1;
  /** The socket's peer is a trusted proxy (its forwarding headers are believed). */
  readonly #socketTrusted: boolean;

  constructor(socket: StreamSocket, ctx: ServerContext, info: AcceptInfo) {
    this.#socket = socket;
    this.#ctx = ctx;
    this.#remoteAddr = info.peer.address;
    this.#remotePort = String(info.peer.port);
    this.#proxyHeader = ctx.config.proxyProtocol;
    this.#socketTrusted = ctx.forwarding.trusted?.has(info.peer.address) ?? false;
    this.#out = new OutQueue(socket, ctx.responseLimits, info.writesCopy);
    ctx.deadlines.add(this);
    ctx.connections.add(this);
    this.#setTimer(T_IDLE, this.#idleMs());
  }

  // --- socket events ---------------------------------------------------------------

  data(bytes: Uint8Array): void {
    const state = this.#state;
    if (state >= CLOSING) return;
    if (state === TUNNEL) {
      if (!this.#exchange!.send(bytes)) this.#pauseRead();
      return;
    }
    if (this.#input === null) {
      this.#input = bytes;
      this.#start = 0;
    } else {
      this.#input = concatBytes([this.#input.subarray(this.#start), bytes]);
      this.#scanned -= this.#start;
      this.#start = 0;
    }
    if (state === HEAD) this.#parseLoop();
    else if (this.#body !== null && !this.#body.done) this.#readBody();
    else if (this.#input.length - this.#start > MAX_PIPELINED) this.#pauseRead();
  }

  drain(): void {
    if (this.#state >= CLOSED) return;
    if (!this.#out.flush()) {
      this.#setTimer(T_SEND, this.#ctx.exchanges.timeoutMs);
      return;
    }
    if (this.#state === CLOSING) {
      this.#socket.end();
      this.#setTimer(T_LINGER, LINGER_MS);
      return;
    }
    const relay = this.#relay;
    if (relay !== null && relay.complete) this.#finishRequest(relay.keepAlive);
    else this.#exchange?.resume();
  }

  end(): void {
    this.#ended = true;
    switch (this.#state) {
      case HEAD:
        this.#close();
        return;
      case BODY:
        this.#clientGone("during its body");
        return;
      case EXCHANGE:
        if (this.#body !== null && !this.#body.done) this.#clientGone("during its body");
        // a half-close keeps its response, except when shutting down: the client may be gone
        else if (this.#ctx.draining && this.#relay === null) this.#clientGone(LEFT_AT_SHUTDOWN);
        return;
      case TUNNEL:
        this.#exchange!.endBody();
        return;
    }
  }

  closed(_error?: Error): void {
    if (this.#state === CLOSED) return;
    const inFlight = this.#head !== null;
    const tunnel = this.#state === TUNNEL;
    this.#state = CLOSED;
    this.deadline = 0;
    this.#exchange?.abort();
    if (inFlight) {
      this.#logAccess(
        tunnel ? 101 : this.#relay?.status ?? 499,
        tunnel ? this.#tunnelled : this.#relay?.sent ?? 0,
        this.#exchange?.node?.name ?? "-",
      );
    }
    this.#cleanup();
    this.#out.dispose();
    this.#ctx.deadlines.delete(this);
    this.#ctx.connections.delete(this);
  }

  timedOut(): void {
    const timer = this.#timer;
    this.#timer = 0;
    switch (timer) {
      case T_IDLE:
        this.#close();
        return;
      case T_HEAD:
        this.#answerError(408, "the request head was not complete in http-headers-timeout");
        return;
      case T_BODY:
        this.#answerError(
          408,
          `the request body made no progress for ${this.#ctx.exchanges.timeoutMs / 1000} s`,
        );
        return;
      case T_SEND:
        this.#abortRequest(
          `the client read nothing for ${this.#ctx.exchanges.timeoutMs / 1000} s`,
          undefined,
          true,
        );
        return;
      case T_LINGER:
        this.#terminate();
        return;
    }
  }

  /** Graceful shutdown: an idle connection closes now, a busy one after its response. */
  drainConnection(): void {
    if (this.#state === HEAD && this.#head === null && this.#input === null) this.#close();
    else if (this.#state === EXCHANGE && this.#ended && this.#relay === null) {
      this.#clientGone(LEFT_AT_SHUTDOWN);
    }
  }

  // --- requests --------------------------------------------------------------------

  #parseLoop(): void {
    if (this.#parsing) return;
    this.#parsing = true;
    try {
      while (this.#state === HEAD && this.#input !== null && !this.#readPaused) {
        if (!this.#nextHead()) break;
      }
    } finally {
      this.#parsing = false;
    }
  }

  /** Parses the next head if it is all there and starts its request; false to wait. */
  #nextHead(): boolean {
    const input = this.#input!;
    // the PROXY header comes first (a v2 one starts with CRLFs)
    if (this.#proxyHeader && !this.#readProxy(input)) return false;
    let start = this.#start;
    // empty lines before a request line are ignored (RFC 9112 §2.2)
    while (start < input.length && (input[start] === 13 || input[start] === 10)) start++;
    this.#start = start;
    if (start === input.length) {
      this.#input = null;
      this.#scanned = 0;
      return false;
    }
    const end = findHeadEnd(input, this.#start, this.#scanned, input.length);
    if (end < 0) {
      if (input.length - this.#start > MAX_REQUEST_HEAD) {
        this.#answerError(431, `a request head larger than ${MAX_REQUEST_HEAD} bytes`);
        return false;
      }
      this.#scanned = input.length;
      if (this.#timer !== T_HEAD) {
        this.#setTimer(T_HEAD, this.#ctx.config.headersTimeout * 1000);
      }
      return false;
    }
    let head: RequestHead;
    try {
      head = parseRequestHead(input, this.#start, end, !this.#ctx.config.underscoresInHeaders);
    } catch (error) {
      if (!(error instanceof RequestError)) throw error;
      this.#answerError(error.status, error.message);
      return false;
    }
    this.#start = end;
    this.#scanned = end;
    if (end === input.length) {
      this.#input = null;
      this.#scanned = 0;
    }
    this.#startRequest(head);
    return true;
  }

  /** Consumes the PROXY header; false while more bytes are needed (or on an error). */
  #readProxy(input: Uint8Array): boolean {
    try {
      const header = readProxyHeader(input, this.#start, input.length);
      if (header === null) {
        if (this.#timer !== T_HEAD) {
          this.#setTimer(T_HEAD, this.#ctx.config.headersTimeout * 1000);
        }
        return false;
      }
      this.#start += header.length;
      this.#scanned = this.#start;
      if (header.client) {
        this.#remoteAddr = header.client.address;
        this.#remotePort = String(header.client.port);
      }
      this.#proxyHeader = false;
      return true;
    } catch (error) {
      if (!(error instanceof RequestError)) throw error;
      this.#answerError(error.status, error.message);
      return false;
    }
  }

  #startRequest(head: RequestHead): void {
    const ctx = this.#ctx;
    const config = ctx.config;
    this.#head = head;
    this.#timer = 0;
    this.deadline = 0;
    this.#started = ctx.clock();
    this.#requestId = undefined;
    this.#upstreamMs = -1;
    this.#keepAlive = !ctx.draining && !this.#ended &&
      (head.http11 ? !head.close : head.keepAlive);
    ctx.counters.begin();
    if (ctx.listener.redirectPort !== undefined) {
      this.#redirect(head);
      return;
    }
    if (config.healthPath !== "" && this.#isHealthCheck(head)) {
      this.#answerHealth(head);
      return;
    }
    const upgrade = head.upgradeTo === "websocket" && config.websockets;
    // the id first: the edge's own answers carry it too
    const facts = this.#facts(head);
    if (head.expect !== undefined && config.manageExpect > 0 && !this.#checkExpect(head)) return;
    if (config.maxBody > 0 && head.contentLength > config.maxBody) {
      this.#answerError(413, `Content-Length ${head.contentLength} over http-max-body`);
      return;
    }
    let packet: Uint8Array;
    try {
      packet = requestPacket(head, ctx.template, facts);
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      this.#answerError(431, error.message);
      return;
    }
    const varsSize = packet.length - 4;
    if (varsSize > config.bufferSize) {
      this.#answerError(
        431,
        `the request vars are ${varsSize} bytes, more than buffer-size ${config.bufferSize} of the backends`,
      );
      return;
    }
    this.#packet = packet;
    if (!head.hasBody) {
      this.#dispatch(null, false, upgrade);
      return;
    }
    this.#body = new BodyReader(head.chunked ? -1 : head.contentLength, config.maxBody);
    if (this.#sendContinue(head)) this.#out.write(CONTINUE);
    if (head.chunked || config.requestBuffering) {
      this.#state = BODY;
      this.#spool = new Spool(config.bodyBufferSize, Infinity, ctx.openTempFile);
    } else {
      this.#dispatch(null, true, false);
    }
    this.#readBody();
  }

  /** The vars that depend on the connection (REMOTE_*, HTTPS, X-Forwarded-*, the id). */
  #facts(head: RequestHead): PacketFacts {
    const peer = { address: this.#remoteAddr, port: this.#remotePort };
    const facts = forwardingFacts(head, peer, this.#socketTrusted, this.#ctx.forwarding, FACTS);
    this.#requestId = facts.requestId;
    return facts;
  }

  /** `Expect`: 417 for anything but 100-continue, 413 above http-manage-expect N. */
  #checkExpect(head: RequestHead): boolean {
    const config = this.#ctx.config;
    if (head.expect!.trim().toLowerCase() !== "100-continue") {
      this.#answerError(417, `unsupported Expect "${head.expect}"`);
      return false;
    }
    if (config.manageExpect > 1 && head.contentLength > config.manageExpect) {
      this.#answerError(
        413,
        `Content-Length ${head.contentLength} over http-manage-expect ${config.manageExpect}`,
      );
      return false;
    }
    return true;
  }

  /** The client waits for 100 Continue before its body (none arrived yet). */
  #sendContinue(head: RequestHead): boolean {
    return head.http11 && head.expect !== undefined && this.#ctx.config.manageExpect > 0 &&
      this.#input === null;
  }

  /** Where body pieces go: the spool of a buffered request (one function per connection). */
  readonly #toSpool = (piece: Uint8Array): void => this.#spool!.push(piece);
  /** ... or the backend of a streamed one, reading waiting while it is busy. */
  readonly #toBackend = (piece: Uint8Array): void => {
    if (!this.#exchange!.send(piece)) this.#pauseRead();
  };

  /** Takes body bytes from the input: into the spool, or to the backend. */
  #readBody(): void {
    const input = this.#input;
    const body = this.#body!;
    if (input !== null) {
      let taken: number;
      try {
        taken = body.feed(
          input,
          this.#start,
          input.length,
          this.#state === BODY ? this.#toSpool : this.#toBackend,
        );
      } catch (error) {
        if (!(error instanceof RequestError)) throw error;
        this.#answerError(error.status, error.message);
        return;
      }
      this.#start += taken;
      if (this.#start === input.length) {
        this.#input = null;
        this.#scanned = 0;
      } else {
        this.#scanned = this.#start;
      }
    }
    if (!body.done) {
      if (this.#state === BODY) this.#setTimer(T_BODY, this.#ctx.exchanges.timeoutMs);
      return;
    }
    if (this.#state === EXCHANGE) {
      this.#exchange!.endBody();
      return;
    }
    // buffered: the whole body is here, the backend gets it with its real length
    this.#timer = 0;
    this.deadline = 0;
    if (this.#head!.chunked) {
      try {
        this.#packet = withVar(this.#packet!, "CONTENT_LENGTH", String(body.received));
      } catch (error) {
        this.#answerError(431, (error as Error).message);
        return;
      }
    }
    const spool = this.#spool;
    this.#spool = null;
    this.#dispatch(spool, false, false);
  }

  #dispatch(body: Spool | null, streaming: boolean, upgrade: boolean): void {
    const head = this.#head!;
    this.#state = EXCHANGE;
    const exchange = new Exchange(this.#ctx.exchanges, this, {
      head,
      hostname: this.#ctx.hostname,
      client: this.#remoteAddr,
      packet: this.#packet!,
      body,
      streaming: streaming || upgrade,
      upgrade,
    });
    this.#exchange = exchange;
    this.#packet = null;
    this.#dispatchedAt = this.#ctx.config.logging ? this.#ctx.clock() : 0;
    exchange.start();
  }

  /** `http-to-https`: 301 to the same URI on https with the configured port (spec §2.12). */
  #redirect(head: RequestHead): void {
    const ctx = this.#ctx;
    const host = (head.host ?? ctx.hostname).replace(/:\d*$/, "");
    const port = ctx.listener.redirectPort ? `:${ctx.listener.redirectPort}` : "";
    const path = head.target.startsWith("/") ? head.target : "/";
    const reusable = this.#keepAlive && !head.hasBody;
    this.#out.write(latin1(
      `HTTP/1.1 301 Moved Permanently\r\n${httpDate()}Location: https://${host}${port}${path}\r\n` +
        `Content-Length: 0\r\n${reusable ? "" : "Connection: close\r\n"}\r\n`,
    ));
    this.#logAccess(301, 0, "https");
    this.#finishRequest(reusable, true);
  }

  /** A load balancer's `http-health-path` request (GET or HEAD, query ignored). */
  #isHealthCheck(head: RequestHead): boolean {
    const path = this.#ctx.config.healthPath;
    const target = head.target;
    return (target === path || target.startsWith(path + "?")) &&
      (head.isHead || head.method === "GET");
  }

  /** Answers a health check here: 200 when a node may take requests, else 503. */
  #answerHealth(head: RequestHead): void {
    const ready = this.#ctx.ready();
    const status = ready ? 200 : 503;
    const body = ready ? "ok\n" : "no node is usable\n";
    const reusable = this.#keepAlive && !head.hasBody;
    this.#out.write(latin1(
      `HTTP/1.1 ${status} ${ready ? "OK" : "Service Unavailable"}\r\n${httpDate()}` +
        `Content-Type: text/plain\r\nContent-Length: ${body.length}\r\nCache-Control: no-store\r\n` +
        `${reusable ? "" : "Connection: close\r\n"}\r\n${head.isHead ? "" : body}`,
    ));
    this.#logAccess(status, 0, "health");
    this.#finishRequest(reusable, true);
  }

  // --- the exchange's events -------------------------------------------------------

  responseHead(head: ResponseHead, body: Uint8Array | null, start: number, end: number): void {
    if (head.status === 101) {
      this.#startTunnel(head, body === null ? null : body.subarray(start, end));
      return;
    }
    this.#relay = new ResponseRelay(
      this.#ctx,
      this.#out,
      this.#head!,
      this.#keepAlive,
      this,
      this.#requestId,
    );
    try {
      this.#relay.start(head, body, start, end);
    } catch (error) {
      this.#abortRequest(`the response could not be buffered: ${(error as Error).message}`);
    }
  }

  responseBody(bytes: Uint8Array): boolean {
    if (this.#state === TUNNEL) {
      this.#tunnelled += bytes.length;
      return this.#out.write(bytes);
    }
    try {
      return this.#relay!.body(bytes);
    } catch (error) {
      this.#abortRequest(`the response could not be buffered: ${(error as Error).message}`);
      return false;
    }
  }

  responseEnd(): void {
    this.#upstreamDone();
    if (this.#state === TUNNEL) {
      this.#logAccess(101, this.#tunnelled, this.#exchange?.node?.name ?? "-");
      this.#head = null;
      this.#close();
      return;
    }
    this.#relay!.end();
  }

  failed(status: number, cause: string, node: string): void {
    const ctx = this.#ctx;
    const head = this.#head!;
    if (!ctx.config.quiet) {
      const where = node === "-" ? "" : `node ${node}: `;
      ctx.logger.error(`${head.method} ${head.target} => ${status}: ${where}${cause}`);
    }
    // an unread body would be taken for the next request: close then
    const reusable = this.#keepAlive && (this.#body === null || this.#body.done);
    const retry = status === 503 ? `Retry-After: ${RETRY_AFTER_S}\r\n` : "";
    this.#upstreamDone();
    this.#out.write(errorResponse(status, reusable, retry + this.#idLine()));
    this.#logAccess(status, 0, node);
    this.#finishRequest(reusable, true);
  }

  aborted(cause: string, node: string): void {
    this.#upstreamDone();
    this.#abortRequest(cause, node);
  }

  requestDrained(): void {
    this.#resumeRead();
  }

  relayComplete(): void {
    if (this.#out.size === 0) this.#finishRequest(this.#relay!.keepAlive);
    else this.#setTimer(T_SEND, this.#ctx.exchanges.timeoutMs);
  }

  relayWritable(): void {
    this.#exchange?.resume();
  }

  #startTunnel(head: ResponseHead, rest: Uint8Array | null): void {
    this.#state = TUNNEL;
    this.#tunnelled = 0;
    this.#timer = 0;
    this.deadline = 0;
    this.#out.buffering = false;
    const raw = head.bytes.subarray(0, head.bodyStart);
    this.#out.write(rest === null ? raw.slice() : concatBytes([raw, rest]));
    const input = this.#input;
    this.#input = null;
    if (input !== null && this.#start < input.length) {
      this.#exchange!.send(input.subarray(this.#start));
    }
    if (this.#ended) this.#exchange!.endBody();
  }

  // --- endings ---------------------------------------------------------------------

  /** The request is over: log it, then the next one (or close). */
  #finishRequest(reusable: boolean, logged = false): void {
    const relay = this.#relay;
    if (!logged && relay !== null) {
      this.#logAccess(relay.status, relay.sent, this.#exchange?.node?.name ?? "-");
    }
    this.#cleanup();
    this.#head = null;
    if (!reusable || this.#ended || this.#ctx.draining) {
      this.#close();
      return;
    }
    this.#state = HEAD;
    this.#setTimer(T_IDLE, this.#idleMs());
    this.#resumeRead();
    this.#parseLoop();
  }

  /** Something broke mid-request: cut the client and free the backend. */
  /**
   * Something broke mid-request: the backend is let go and the client cut off. What was
   * written still reaches it, then a FIN without the body's end (no last chunk, fewer
   * bytes than Content-Length): a truncated response never looks complete. `hard` resets
   * at once (a client that reads nothing, or is gone).
   */
  #abortRequest(cause: string, node = this.#exchange?.node?.name ?? "-", hard = false): void {
    const head = this.#head;
    const ctx = this.#ctx;
    if (head !== null) {
      if (!ctx.config.quiet) {
        ctx.logger.error(`${head.method} ${head.target} via ${node}: ${cause}`);
      }
      this.#logAccess(this.#relay?.status ?? 499, this.#relay?.sent ?? 0, node);
      this.#head = null;
    }
    this.#exchange?.abort();
    if (hard || this.#ended) this.#terminate();
    else this.#close();
  }

  /** The client left in the middle of its body: its business, not an error of the edge. */
  #clientGone(when: string): void {
    const head = this.#head;
    if (head !== null) {
      this.#ctx.logger.info(`${head.method} ${head.target}: the client closed ${when}`);
      this.#logAccess(499, 0, this.#exchange?.node?.name ?? "-");
      this.#head = null;
    }
    this.#exchange?.abort();
    this.#terminate();
  }

  /** The edge answers the request itself with an error, then closes. */
  #answerError(status: number, cause: string): void {
    const ctx = this.#ctx;
    const head = this.#head;
    if (!ctx.config.quiet) {
      ctx.logger.warn(`${head?.method ?? "-"} ${head?.target ?? "-"} => ${status}: ${cause}`);
    }
    this.#exchange?.abort();
    this.#out.write(errorResponse(status, false, this.#idLine()));
    if (head !== null) this.#logAccess(status, 0);
    this.#head = null;
    this.#close();
  }

  /** Closes after what is queued: FIN, then a reset if the client lingers. */
  #close(): void {
    if (this.#state >= CLOSING) return;
    this.#state = CLOSING;
    this.#cleanup();
    this.#input = null;
    if (this.#out.size > 0) {
      // the rest is written by drain(); the linger timer bounds it
      this.#setTimer(T_LINGER, this.#ctx.exchanges.timeoutMs);
      return;
    }
    this.#socket.end();
    this.#setTimer(T_LINGER, LINGER_MS);
  }

  #terminate(): void {
    if (this.#state === CLOSED) return;
    this.#socket.terminate();
    this.closed();
  }

  /** Frees what the request held (not the connection). */
  #cleanup(): void {
    this.#relay?.dispose();
    this.#relay = null;
    this.#spool?.dispose();
    this.#spool = null;
    this.#body = null;
    this.#exchange = null;
    this.#packet = null;
  }

  // --- helpers ---------------------------------------------------------------------

  #logAccess(status: number, bytes: number, node = "-"): void {
    const ctx = this.#ctx;
    const ms = ctx.clock() - this.#started;
    ctx.counters.end(status, bytes, node, ms);
    const head = this.#head;
    if (!ctx.config.logging || head === null) return;
    ctx.logger.access({
      id: this.#requestId,
      client: this.#remoteAddr,
      method: head.method,
      uri: head.target,
      status,
      bytes,
      ms,
      node,
      upstreamMs: this.#upstreamMs,
    });
  }

  /** The X-Request-Id line of the edge's own answers. */
  #idLine(): string {
    return this.#requestId === undefined ? "" : `X-Request-Id: ${this.#requestId}\r\n`;
  }

  /** The backend's part is over: its time goes to the access log. */
  #upstreamDone(): void {
    if (this.#dispatchedAt > 0 && this.#upstreamMs < 0) {
      this.#upstreamMs = this.#ctx.clock() - this.#dispatchedAt;
    }
  }

  #idleMs(): number {
    const keepalive = this.#ctx.config.keepalive;
    return (keepalive > 1 ? keepalive : DEFAULT_IDLE_SECONDS) * 1000;
  }

  #setTimer(kind: number, ms: number): void {
    this.#timer = kind;
    this.deadline = this.#ctx.deadlines.now + ms;
  }

  #pauseRead(): void {
    if (this.#readPaused) return;
    this.#readPaused = true;
    this.#socket.pause();
  }

  #resumeRead(): void {
    if (!this.#readPaused) return;
    this.#readPaused = false;
    this.#socket.resume();
  }
}

/** Seconds a 503 (queue full or timed out) asks the client to wait. */
const RETRY_AFTER_S = 1;
/** Reused for every packet: requestPacket() reads it at once. */
const FACTS = emptyFacts();
