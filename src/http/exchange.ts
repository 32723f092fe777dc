/**
 * One request/response exchange with a backend over the uwsgi protocol, driven by socket
 * events: wait for a node (dispatcher), connect, write the packet and the body, parse the
 * raw HTTP response head, then hand the body to the owner, decoded, until its framing says
 * it is complete or the backend closes. Owns the backend-side timeouts.
 */
import type { ConnectAddress, ConnectEvents, StreamSocket } from "../runtime/types.ts";
import type { ResponseHead } from "../uwsgi/response_head.ts";
import type { Deadlines, Timed } from "./deadlines.ts";
import type { Dispatcher, Granted, Ticket } from "./dispatcher.ts";
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
import type { Spool } from "./spool.ts";

/** What an exchange reports to the request's side. */
export interface ExchangeOwner {
  /**
   * The response head (1xx skipped) and the decoded body bytes that came with it:
   * body[start, end) (body is null when there were none).
   */
  responseHead(head: ResponseHead, body: Uint8Array | null, start: number, end: number): void;
  /** More decoded body bytes (raw ones in a tunnel); false = pause until `resume()`. */
  responseBody(bytes: Uint8Array): boolean;
  /** The response is complete (or a tunnel's backend side ended). */
  responseEnd(): void;
  /** Nothing of a response came: answer `status` (502, 503, 504). */
  failed(status: number, cause: string, node: string): void;
  /** The exchange broke after it began: the client must be cut off. */
  aborted(cause: string, node: string): void;
  /** The backend took every body byte given so far (streamed bodies). */
  requestDrained(): void;
}

/** What exchanges share in a router process. */
export interface ExchangeContext {
  dispatcher: Dispatcher;
  connect(address: ConnectAddress, owner: ConnectEvents): void;
  /** Backend sockets copy what `write()` takes (SCRATCH can be written from). */
  writesCopy: boolean;
  deadlines: Deadlines;
  /** http-timeout, http-connect-timeout, the queue timeout and the tunnel timeout, in ms. */
  timeoutMs: number;
  connectTimeoutMs: number;
  queueTimeoutMs: number;
  tunnelTimeoutMs: number;
  /** modifier1/2 forced by the config (0 = take the node's). */
  modifier1: number;
  modifier2: number;
}

/** uWSGI's default buffer-size: larger var blocks are dropped by its workers. */
const UWSGI_DEFAULT_BUFFER_SIZE = 4096;

const QUEUED = 0;
const CONNECTING = 1;
const WAITING = 2;
const BODY = 3;
const TUNNEL = 4;
const DONE = 5;

/** A connect attempt: events of an attempt given up on (timed out) close its socket. */
class Attempt implements ConnectEvents {
  current = true;
  constructor(readonly exchange: Exchange) {}
  opened(socket: StreamSocket): void {
    if (this.current) this.exchange.opened(socket);
    else socket.terminate();
  }
  connectFailed(error: Error & { code?: string }): void {
    if (this.current) this.exchange.connectFailed(error);
  }
  data(bytes: Uint8Array): void {
    if (this.current) this.exchange.data(bytes);
  }
  drain(): void {
    if (this.current) this.exchange.drain();
  }
  end(): void {
    if (this.current) this.exchange.end();
  }
  closed(error?: Error): void {
    if (this.current) this.exchange.closed(error);
  }
}

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
    request: {
      /** The request; its Host is the routing key (else `hostname`). */
      head: RequestHead;
      hostname: string;
      client: string;
      packet: Uint8Array;
      body: Spool | null;
      streaming: boolean;
      upgrade: boolean;
    },
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
    const why = error ? `: ${error.message}` : "";
    switch (this.#state) {
      case WAITING: {
        const inside = this.#response.partialHead;
        this.#fail(
          502,
          (inside
            ? "the backend closed the connection inside the response head"
            : "the backend closed the connection without a response") + why + this.#hint(),
        );
        return;
      }
      case BODY:
        if (error || this.#response.unfinished) {
          this.#abort(`the backend closed the connection before the response ended${why}`);
        } else {
          this.#complete();
        }
        return;
      case TUNNEL:
        if (error) this.#abort(`the backend connection failed${why}`);
        else this.#complete();
        return;
    }
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
      case WAITING:
        if (!this.#bodyEnded) {
          this.#abort(`the request body stalled for ${ctx.timeoutMs / 1000} s`);
        } else {
          this.#fail(504, `no answer for ${ctx.timeoutMs / 1000} s before the response head`);
        }
        return;
      case BODY:
        // paused: the backend waits for the client, which took nothing meanwhile
        this.#abort(
          this.#paused
            ? `the client read nothing for ${ctx.timeoutMs / 1000} s`
            : `no data from the backend for ${ctx.timeoutMs / 1000} s`,
        );
        return;
      case TUNNEL:
        this.#abort(`the tunnel was silent for ${ctx.tunnelTimeoutMs / 1000} s`);
        return;
    }
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

  /** A hint for a backend that closed at once on a big request. */
  #hint(): string {
    const varsSize = this.#packet.length - 4;
    return varsSize > UWSGI_DEFAULT_BUFFER_SIZE
      ? ` (the request vars were ${varsSize} bytes: a uWSGI backend drops requests larger than its buffer-size, 4096 by default)`
      : "";
  }
}
