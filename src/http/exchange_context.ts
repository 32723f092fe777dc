/** What an exchange (one request to a backend) reports to, and what exchanges share. */
import type { ConnectAddress, ConnectEvents } from "../runtime/types.ts";
import type { ResponseHead } from "../uwsgi/response_head.ts";
import type { Deadlines } from "./deadlines.ts";
import type { Dispatcher } from "./dispatcher.ts";
import type { RequestHead } from "./request_head.ts";
import type { Spool } from "./spool.ts";

/** The request an exchange takes to a backend. */
export interface ExchangeRequest {
  /** The request; its Host is the routing key (else `hostname`). */
  head: RequestHead;
  hostname: string;
  /** The client's address (hash balancing). */
  client: string;
  /** The uwsgi packet (its modifiers set from the node's when the config leaves them 0). */
  packet: Uint8Array;
  /** A buffered body, or null. */
  body: Spool | null;
  /** The owner streams the body (or a tunnel's client side) with `send`/`endBody`. */
  streaming: boolean;
  /** A WebSocket upgrade: a 101 makes the exchange a tunnel. */
  upgrade: boolean;
}

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
