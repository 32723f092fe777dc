/**
 * One request of an HTTP/1.x client connection, from its parsed head to the end of its
 * response: the edge's own answers, the uwsgi packet, the body (its RequestBody), the
 * Exchange with a backend, the response relay or a WebSocket tunnel, and the access log
 * line. The connection (its `RequestHost`) owns the socket, the input, the
 * timers and what happens after the request.
 */
import type { ResponseHead } from "../uwsgi/response_head.ts";
import { errorResponse } from "./client_head.ts";
import { admitRequest, ownAnswer } from "./edge_answers.ts";
import { Exchange } from "./exchange.ts";
import type { ExchangeOwner } from "./exchange_context.ts";
import { forwardingFacts } from "./forwarding.ts";
import type { RequestHead } from "./request_head.ts";
import { emptyFacts, withVar } from "./request_packet.ts";
import { type RelayOwner, ResponseRelay } from "./response_relay.ts";
import type { ServerContext } from "./server_context.ts";
import { type BodyOwner, RequestBody } from "./request_body.ts";
import type { Spool } from "./spool.ts";
import { TunnelRelay } from "./tunnel_relay.ts";
import { BODY, EXCHANGE, type RequestHost, T_SEND, TUNNEL } from "./request_host.ts";
import { RequestLog } from "./request_log.ts";

/** Seconds a 503 (queue full or timed out) asks the client to wait. */
const RETRY_AFTER_S = 1;
/** Reused for every packet: requestPacket() reads it at once. */
const FACTS = emptyFacts();

/** The request. */
export class ClientRequest implements ExchangeOwner, RelayOwner, BodyOwner {
  readonly head: RequestHead;
  readonly #host: RequestHost;
  readonly #ctx: ServerContext;
  readonly #log: RequestLog;
  readonly #keepAlive: boolean;
  #body: RequestBody | null = null;
  #packet: Uint8Array | null = null;
  #exchange: Exchange | null = null;
  #relay: ResponseRelay | TunnelRelay | null = null;

  constructor(host: RequestHost, head: RequestHead, client: string, port: string) {
    const ctx = host.ctx;
    this.head = head;
    this.#host = host;
    this.#ctx = ctx;
    this.#log = new RequestLog(ctx, head, client, port);
    this.#keepAlive = !ctx.draining && !host.ended &&
      (head.http11 ? !head.close : head.keepAlive);
  }

  /** The body is still being read from the client. */
  get bodyPending(): boolean {
    return this.#body !== null && !this.#body.done;
  }

  /** Answers, or starts the exchange (trusted: the peer's forwarding headers count). */
  start(trusted: boolean): void {
    const head = this.head;
    const ctx = this.#ctx;
    const config = ctx.config;
    ctx.counters.begin();
    const reusable = this.#keepAlive && !head.hasBody;
    const own = ownAnswer(ctx, head, reusable);
    if (own !== null) return this.#answer(own.bytes, own.status, own.node, reusable);
    // the id first: the edge's own answers carry it too
    const facts = forwardingFacts(head, this.#log.peer, trusted, ctx.forwarding, FACTS);
    this.#log.requestId = facts.requestId;
    const packet = admitRequest(head, config, ctx.template, facts);
    if (!(packet instanceof Uint8Array)) return this.answerError(packet.status, packet.cause);
    this.#packet = packet;
    if (!head.hasBody) {
      this.#dispatch(null, false, head.upgradeTo === "websocket" && config.websockets);
      return;
    }
    const body = this.#body = new RequestBody(this.#host, head, this);
    body.sayContinue(head);
    if (body.buffered) this.#host.enter(BODY);
    else this.#dispatch(null, true, false);
    this.readBody();
  }

  /** Takes body bytes from the input: into the spool, or to the backend. */
  readBody(): void {
    // the request may have ended already: a streamed body's backend refused it at once
    this.#body?.read();
  }

  // --- the body's events -----------------------------------------------------------

  bodyStreamed(piece: Uint8Array): boolean {
    return this.#exchange!.send(piece);
  }

  bodyEnded(): void {
    this.#exchange!.endBody();
  }

  /** The whole body is here: the backend gets it with its real length. */
  bodyBuffered(spool: Spool, received: number): void {
    if (this.head.chunked) {
      try {
        this.#packet = withVar(this.#packet!, "CONTENT_LENGTH", String(received));
      } catch (error) {
        spool.dispose();
        return this.answerError(431, (error as Error).message);
      }
    }
    // the head's strings taken, the reads holding the body are used up once it is copied
    this.head.settle();
    spool.readsFree = true;
    this.#dispatch(spool, false, false);
  }

  #dispatch(body: Spool | null, streaming: boolean, upgrade: boolean): void {
    this.#host.enter(EXCHANGE);
    const exchange = new Exchange(this.#ctx.exchanges, this, {
      head: this.head,
      hostname: this.#ctx.hostname,
      client: this.#log.peer.address,
      packet: this.#packet!,
      body,
      streaming: streaming || upgrade,
      upgrade,
    });
    this.#exchange = exchange;
    this.#packet = null;
    this.#log.dispatched();
    exchange.start();
  }

  /** An answer of the edge's own (a redirect, a health check): logged, the request done. */
  #answer(bytes: Uint8Array, status: number, node: string, reusable: boolean): void {
    this.#host.out.write(bytes);
    this.#log.write(status, 0, node);
    this.#dispose();
    this.#host.requestDone(reusable);
  }

  // --- the connection's events -----------------------------------------------------

  /** Client bytes for a tunnel; false = pause reading until the backend drains. */
  tunnelSend(bytes: Uint8Array): boolean {
    return this.#exchange!.send(bytes);
  }

  /** The client sent its FIN. */
  clientEnded(): void {
    if (this.#relay instanceof TunnelRelay) this.#exchange!.endBody();
    else if (this.bodyPending) this.clientGone("during its body");
    // a half-close keeps its response, except when shutting down: the client may be gone
    else if (this.#ctx.draining && this.#relay === null) this.clientGone(LEFT_AT_SHUTDOWN);
  }

  /** Graceful shutdown: a client that sent its FIN and has no response yet is let go. */
  drainRequest(): void {
    if (this.#relay === null) this.clientGone(LEFT_AT_SHUTDOWN);
  }

  /** The client socket can take bytes again. */
  writable(): void {
    const relay = this.#relay;
    if (relay !== null && relay.complete) this.#done(relay.keepAlive);
    else this.#exchange?.resume();
  }

  /** The client socket closed under the request. */
  socketClosed(): void {
    this.#exchange?.abort();
    this.#log.write(this.#relay?.status ?? 499, this.#relay?.sent ?? 0, this.#node());
    this.#dispose();
  }

  // --- the exchange's events -------------------------------------------------------

  responseHead(head: ResponseHead, body: Uint8Array | null, start: number, end: number): void {
    if (head.status === 101) {
      this.#startTunnel(head, body === null ? null : body.subarray(start, end));
      return;
    }
    const out = this.#host.out;
    const id = this.#log.requestId;
    // an answer before the whole (streamed) body: the rest of it would be read as the next
    // request, so this connection ends with the response
    const keepAlive = this.#keepAlive && !this.bodyPending;
    this.#relay = new ResponseRelay(this.#ctx, out, this.head, keepAlive, this, id);
    try {
      this.#relay.start(head, body, start, end);
    } catch (error) {
      this.abort(`the response could not be buffered: ${(error as Error).message}`);
    }
  }

  responseBody(bytes: Uint8Array): boolean {
    try {
      return this.#relay!.body(bytes);
    } catch (error) {
      this.abort(`the response could not be buffered: ${(error as Error).message}`);
      return false;
    }
  }

  responseEnd(): void {
    this.#log.upstreamDone();
    this.#relay!.end();
  }

  failed(status: number, cause: string, node: string): void {
    this.#log.problem("error", ` => ${status}: ${node === "-" ? "" : `node ${node}: `}${cause}`);
    // an unread body would be taken for the next request: close then
    const reusable = this.#keepAlive && !this.bodyPending;
    const retry = status === 503 ? `Retry-After: ${RETRY_AFTER_S}\r\n` : "";
    this.#log.upstreamDone();
    this.#answer(
      errorResponse(status, reusable, retry + this.#log.idLine()),
      status,
      node,
      reusable,
    );
  }

  aborted(cause: string, node: string): void {
    this.#log.upstreamDone();
    this.abort(cause, node);
  }

  requestDrained(): void {
    this.#host.resumeRead();
  }

  relayComplete(): void {
    if (this.#host.out.size === 0) this.#done(this.#relay!.keepAlive);
    else this.#host.setTimer(T_SEND, this.#ctx.exchanges.timeoutMs);
  }

  relayWritable(): void {
    this.#exchange?.resume();
  }

  #startTunnel(head: ResponseHead, rest: Uint8Array | null): void {
    const host = this.#host;
    host.enter(TUNNEL);
    host.clearTimer();
    const tunnel = new TunnelRelay(host.out, this);
    this.#relay = tunnel;
    tunnel.start(head, rest);
    const early = host.input.takeRest();
    if (early !== null) this.#exchange!.send(early);
    if (host.ended) this.#exchange!.endBody();
  }

  // --- endings ---------------------------------------------------------------------

  /** The response went out whole: logged, then the connection goes on. */
  #done(reusable: boolean): void {
    const relay = this.#relay!;
    this.#log.write(relay.status, relay.sent, this.#node());
    this.#dispose();
    this.#host.requestDone(reusable);
  }

  /**
   * Something broke mid-request: the backend is let go and the client cut off. What was
   * written still reaches it, then a FIN without the body's end (no last chunk, fewer
   * bytes than Content-Length): a truncated response never looks complete. `hard` resets
   * at once (a client that reads nothing, or is gone).
   */
  abort(cause: string, node = this.#node(), hard = false): void {
    this.#log.problem("error", ` via ${node}: ${cause}`);
    this.#log.write(this.#relay?.status ?? 499, this.#relay?.sent ?? 0, node);
    this.#exchange?.abort();
    this.#dispose();
    if (hard || this.#host.ended) this.#host.terminate();
    else this.#host.close();
  }

  /** The client left in the middle of its body: its business, not an error of the edge. */
  clientGone(when: string): void {
    this.#ctx.logger.info(`${this.head.method} ${this.head.target}: the client closed ${when}`);
    this.#log.write(499, 0, this.#node());
    this.#exchange?.abort();
    this.#dispose();
    this.#host.terminate();
  }

  /** The edge answers the request itself with an error, then closes. */
  answerError(status: number, cause: string): void {
    this.#log.problem("warn", ` => ${status}: ${cause}`);
    this.#exchange?.abort();
    this.#host.out.write(errorResponse(status, false, this.#log.idLine()));
    this.#log.write(status, 0, "-");
    this.#dispose();
    this.#host.close();
  }

  /** Frees what the request holds. */
  #dispose(): void {
    this.#relay?.dispose();
    this.#relay = null;
    this.#body?.dispose();
    this.#body = null;
    this.#exchange = null;
    this.#packet = null;
  }

  #node(): string {
    return this.#exchange?.node?.name ?? "-";
  }
}

/** Why a request whose client sent its FIN is not waited for when shutting down. */
const LEFT_AT_SHUTDOWN = "before its response, and the edge is shutting down";
