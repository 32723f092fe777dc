/**
 * One request/response exchange with a backend over the uwsgi protocol, driven by socket
 * events: wait for a node (dispatcher), connect, write the packet and the body, parse the
 * raw HTTP response head, then hand the body to the owner, decoded, until its framing says
 * it is complete or the backend closes. Owns the backend-side timeouts.
 */
import type { StreamSocket } from "../runtime/types.ts";
import { HEADER_SIZE } from "../uwsgi/packet.ts";
import { Attempt } from "./connect_attempt.ts";
import type { Timed } from "./deadlines.ts";
import {
  ABORT,
  BODY,
  closedEnding,
  COMPLETE,
  CONNECTING,
  DONE,
  type Ending,
  QUEUED,
  timeoutEnding,
  TUNNEL,
  WAITING,
} from "./exchange_endings.ts";
import type { Ticket } from "./dispatcher.ts";
import type { Granted } from "./node_grant.ts";
import type { ExchangeContext, ExchangeOwner, ExchangeRequest } from "./exchange_context.ts";
import type { RequestHead } from "./request_head.ts";
import { RequestWriter } from "./request_writer.ts";
import {
  READ_BROKEN,
  READ_DONE,
  READ_INVALID,
  READ_PAUSE,
  READ_TUNNEL,
  ResponseReader,
} from "./response_reader.ts";

/** The exchange. */
export class Exchange implements Ticket, Timed {
  // Ticket
  readonly client: string;
  attempts = 0;
  tried: Ticket["tried"] = undefined;
  causes: string[] | undefined = undefined;
  queued = false;
  // Timed
  deadline = 0;

  #state = QUEUED;
  readonly #ctx: ExchangeContext;
  readonly #owner: ExchangeOwner;
  #packet: Uint8Array;
  /** The owner streams the body (`send`/`endBody`); false when it is buffered or empty. */
  #streaming: boolean;
  #bodyEnded: boolean;
  readonly #request: RequestHead;
  readonly #hostname: string;
  #attempt: Attempt | null = null;
  #socket: StreamSocket | null = null;
  node: Granted | null = null;
  readonly #writer: RequestWriter;
  readonly #response: ResponseReader;
  #paused = false;

  constructor(
    ctx: ExchangeContext,
    owner: ExchangeOwner,
    request: ExchangeRequest,
  ) {
    this.#ctx = ctx;
    this.#owner = owner;
    this.#request = request.head;
    this.#hostname = request.hostname;
    this.client = request.client;
    this.#packet = request.packet;
    this.#writer = new RequestWriter(request.body, ctx.writesCopy);
    this.#streaming = request.streaming;
    this.#bodyEnded = !request.streaming;
    this.#response = new ResponseReader(owner, request.head.isHead, request.upgrade);
  }

  /** The routing key: the Host value (decoded only when subscriptions need it). */
  get key(): string {
    return this.#request.host ?? this.#hostname;
  }

  /** Asks for a node; the rest follows from events. */
  start(): void {
    this.#ctx.deadlines.add(this);
    this.#ctx.dispatcher.request(this);
    if (this.queued) this.deadline = this.#ctx.deadlines.now + this.#ctx.queueTimeoutMs;
  }

  /** The exchange is over (answered, failed or aborted). */
  get done(): boolean {
    return this.#state === DONE;
  }

  // --- dispatcher side -------------------------------------------------------------

  granted(node: Granted): void {
    if (this.#state === DONE) {
      this.#ctx.dispatcher.done(node);
      return;
    }
    this.node = node;
    this.#state = CONNECTING;
    this.deadline = this.#ctx.deadlines.now + this.#ctx.connectTimeoutMs;
    const attempt = new Attempt(this);
    this.#attempt = attempt;
    this.#ctx.connect(node.address, attempt);
  }

  refused(status: number, cause: string, node: string): void {
    this.#finish();
    this.#owner.failed(status, cause, node);
  }

  // --- socket events ---------------------------------------------------------------

  opened(socket: StreamSocket): void {
    if (this.#state !== CONNECTING) {
      socket.terminate();
      return;
    }
    this.#socket = socket;
    this.#state = WAITING;
    this.#touch();
    const node = this.node!;
    const packet = this.#packet;
    if (this.#ctx.modifier1 === 0 && node.modifier1 !== 0) packet[0] = node.modifier1;
    if (this.#ctx.modifier2 === 0 && node.modifier2 !== 0) packet[3] = node.modifier2;
    // body bytes streamed while connecting waited: they go after the packet
    const early = this.#writer.connected(socket, packet);
    // send() said "wait" while connecting: say when to go on, if the socket took them all
    if (early && this.#writer.idle && this.#streaming) this.#owner.requestDrained();
  }

  connectFailed(error: Error & { code?: string }): void {
    if (this.#state !== CONNECTING) return;
    this.#attempt = null;
    this.#state = QUEUED;
    const node = this.node!;
    this.node = null;
    this.#ctx.dispatcher.connectFailed(this, node, error);
    if (this.queued) this.deadline = this.#ctx.deadlines.now + this.#ctx.queueTimeoutMs;
  }

  data(bytes: Uint8Array): void {
    const state = this.#state;
    if (state === TUNNEL) {
      this.#touch();
      if (!this.#owner.responseBody(bytes)) this.#pause();
      return;
    }
    if (state !== WAITING && state !== BODY) return;
    this.#touch();
    const response = this.#response;
    const result = response.read(bytes);
    if (response.inBody) this.#state = BODY;
    switch (result) {
      case READ_PAUSE:
        this.#pause();
        return;
      case READ_DONE:
        this.#complete();
        return;
      case READ_TUNNEL:
        this.#state = TUNNEL;
        this.#touch();
        response.startTunnel();
        return;
      case READ_INVALID:
        this.#fail(502, response.error);
        return;
      case READ_BROKEN:
        this.#abort(response.error);
        return;
    }
  }

  drain(): void {
    if (this.#writer.drain() && this.#streaming) {
      if (this.#state === TUNNEL && this.#bodyEnded) this.#socket?.end();
      this.#owner.requestDrained();
    }
  }

  end(): void {
    this.#closedBy(undefined);
  }

  closed(error?: Error): void {
    this.#closedBy(error);
    this.#socket = null;
  }

  #closedBy(error: Error | undefined): void {
    const varsSize = this.#packet.length - HEADER_SIZE;
    this.#end(closedEnding(this.#state, this.#response, varsSize, error));
  }

  timedOut(): void {
    const ctx = this.#ctx;
    switch (this.#state) {
      case QUEUED:
        ctx.dispatcher.cancel(this);
        this.#finish();
        this.#owner.failed(
          503,
          `no node was free for ${ctx.queueTimeoutMs / 1000} s (http-queue-timeout)`,
          "-",
        );
        return;
      case CONNECTING: {
        this.#attempt!.current = false;
        this.connectFailed(
          new Error(`connect timed out after ${ctx.connectTimeoutMs / 1000} s`),
        );
        return;
      }
    }
    this.#end(timeoutEnding(this.#state, ctx, this.#bodyEnded, this.#paused));
  }

  // --- the owner's side ------------------------------------------------------------

  /** Streams more request (or tunnel) bytes; false = hold on until `requestDrained`. */
  send(bytes: Uint8Array): boolean {
    if (this.#state === DONE) return true;
    this.#touch();
    return this.#writer.send(bytes);
  }

  /** The streamed body (or the client side of a tunnel) ended. */
  endBody(): void {
    this.#bodyEnded = true;
    if (this.#state === TUNNEL && this.#writer.idle) this.#socket?.end();
  }

  /** The owner takes body bytes again. */
  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#socket?.resume();
    // the client took bytes: the time without progress starts again
    this.#touch();
  }

  /** The request's side is gone (client closed, error answered): stop everything. */
  abort(): void {
    if (this.#state === DONE) return;
    if (this.#state === QUEUED) this.#ctx.dispatcher.cancel(this);
    if (this.#attempt) this.#attempt.current = false;
    const socket = this.#socket;
    this.#finish();
    socket?.terminate();
  }

  // --- internals -------------------------------------------------------------------

  /** Progress: the time allowed without any (http-timeout, or a tunnel's) starts again. */
  #touch(): void {
    const ctx = this.#ctx;
    this.deadline = ctx.deadlines.now +
      (this.#state === TUNNEL ? ctx.tunnelTimeoutMs : ctx.timeoutMs);
  }

  #pause(): void {
    if (this.#paused) return;
    this.#paused = true;
    this.#socket?.pause();
  }

  /** Ends the exchange: the backend is released before the owner hears of it. */
  #finish(): void {
    if (this.#state === DONE) return;
    this.#state = DONE;
    this.#response.stopped = true;
    this.deadline = 0;
    this.#ctx.deadlines.delete(this);
    this.#writer.dispose();
    if (this.node !== null) this.#ctx.dispatcher.done(this.node);
  }

  #end(ending: Ending | null): void {
    if (ending === null) return;
    if (ending.how === COMPLETE) this.#complete();
    else if (ending.how === ABORT) this.#abort(ending.cause);
    else this.#fail(ending.how, ending.cause);
  }

  #complete(): void {
    const socket = this.#socket;
    this.#finish();
    if (socket?.finish) socket.finish();
    else socket?.end();
    this.#owner.responseEnd();
  }

  /** Ends the exchange first: closing the socket may report events synchronously. */
  #fail(status: number, cause: string): void {
    const node = this.node?.name ?? "-";
    const socket = this.#socket;
    this.#finish();
    socket?.terminate();
    this.#owner.failed(status, cause, node);
  }

  #abort(cause: string): void {
    const node = this.node?.name ?? "-";
    const socket = this.#socket;
    this.#finish();
    socket?.terminate();
    this.#owner.aborted(cause, node);
  }
}
