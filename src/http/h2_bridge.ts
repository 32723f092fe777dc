/**
 * HTTP/2 requests (HTTPS listeners, ALPN h2) through the same engine: each stream's head is
 * rewritten as an HTTP/1.1 head and parsed by the same parser (same validation, same
 * vars, SERVER_PROTOCOL "HTTP/2.0"), its body buffered, and the Exchange's response
 * written back through node:http2's compatibility API, with its back-pressure.
 */
import type { Http2Handler } from "../runtime/types.ts";
import {
  RESPONSE_FIELDS,
  RESPONSE_ROLES,
  type ResponseHead,
  ROLE_ACCEL,
  ROLE_CONTENT_LENGTH,
  ROLE_HOP,
} from "../uwsgi/response_head.ts";
import { latin1, STATUS_TEXT } from "./client_head.ts";
import { Exchange, type ExchangeOwner } from "./exchange.ts";
import { RequestError, type RequestHead } from "./request_head.ts";
import { parseRequestHead } from "./request_parser.ts";
import { forwardingFacts } from "./forwarding.ts";
import { emptyFacts, requestPacket, withVar } from "./request_packet.ts";
import type { ServerContext } from "./server_context.ts";
import { Spool } from "./spool.ts";

/** The part of node:http2's compat request the bridge uses. */
interface H2Request {
  method: string;
  url: string;
  rawHeaders: string[];
  headers: Record<string, string | string[] | undefined>;
  socket: { remoteAddress?: string; remotePort?: number };
  stream: { endAfterHeaders: boolean };
  on(event: string, listener: (...args: never[]) => void): void;
  pause(): void;
  resume(): void;
}

/** The part of node:http2's compat response the bridge uses. */
interface H2Response {
  writeHead(status: number, headers: Record<string, string | string[]>): void;
  write(bytes: Uint8Array): boolean;
  end(bytes?: Uint8Array): void;
  on(event: string, listener: () => void): void;
  once(event: string, listener: () => void): void;
  stream: { close(code?: number): void };
  writableFinished: boolean;
}

/** node:http2's INTERNAL_ERROR: a stream cut off mid-response. */
const NGHTTP2_INTERNAL_ERROR = 2;

/** The node:http2 request handler of an HTTPS listener. */
export function http2Handler(ctx: ServerContext): Http2Handler {
  return (request: H2Request, response: H2Response) => new H2Stream(ctx, request, response);
}

/** The head of an HTTP/2 request as HTTP/1.1 bytes. */
function http1Head(request: H2Request): Uint8Array {
  const authority = request.headers[":authority"];
  let text = `${request.method} ${request.url} HTTP/1.1\r\n`;
  if (typeof authority === "string") text += `Host: ${authority}\r\n`;
  const raw = request.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.startsWith(":") || (authority !== undefined && name === "host")) continue;
    text += `${name}: ${raw[i + 1]}\r\n`;
  }
  return latin1(text + "\r\n");
}

/** One HTTP/2 stream, from request to response. */
class H2Stream implements ExchangeOwner {
  readonly #ctx: ServerContext;
  readonly #request: H2Request;
  readonly #response: H2Response;
  #head: RequestHead | null = null;
  #exchange: Exchange | null = null;
  #status = 0;
  #sent = 0;
  #done = false;
  #requestId: string | undefined;
  readonly #started: number;

  constructor(ctx: ServerContext, request: H2Request, response: H2Response) {
    this.#ctx = ctx;
    this.#request = request;
    this.#response = response;
    this.#started = ctx.clock();
    ctx.counters.begin();
    response.on("close", () => {
      if (!this.#done) this.#end(this.#status || 499, "the client closed the stream");
    });
    let head: RequestHead;
    try {
      const bytes = http1Head(request);
      head = parseRequestHead(bytes, 0, bytes.length, !ctx.config.underscoresInHeaders);
    } catch (error) {
      if (!(error instanceof RequestError)) throw error;
      this.failed(error.status, error.message, "-");
      return;
    }
    this.#head = head;
    this.#readBody(head);
  }

  /** Buffers the body (HTTP/2 bodies may come without a length), then dispatches. */
  #readBody(head: RequestHead): void {
    const config = this.#ctx.config;
    if (this.#request.stream.endAfterHeaders) {
      this.#dispatch(null);
      return;
    }
    const spool = new Spool(config.bodyBufferSize, Infinity, this.#ctx.openTempFile);
    this.#request.on("data", (piece: Uint8Array) => {
      if (this.#done) return;
      if (config.maxBody > 0 && spool.total + piece.length > config.maxBody) {
        spool.dispose();
        this.failed(413, "a body over http-max-body", "-");
        return;
      }
      spool.push(piece);
    });
    this.#request.on("end", () => {
      if (this.#done) return;
      if (head.contentLength >= 0 && spool.total !== head.contentLength) {
        spool.dispose();
        this.failed(400, "a body shorter or longer than its Content-Length", "-");
        return;
      }
      this.#dispatch(spool);
    });
  }

  #dispatch(body: Spool | null): void {
    const ctx = this.#ctx;
    const head = this.#head!;
    const socket = this.#request.socket;
    const remoteAddr = socket.remoteAddress ?? "0.0.0.0";
    let packet: Uint8Array;
    try {
      const peer = { address: remoteAddr, port: String(socket.remotePort ?? 0) };
      const trusted = ctx.forwarding.trusted?.has(remoteAddr) ?? false;
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
      client: remoteAddr,
      packet,
      body,
      streaming: false,
      upgrade: false,
    });
    this.#exchange.start();
  }

  responseHead(head: ResponseHead, body: Uint8Array | null, start: number, end: number): void {
    this.#status = head.status;
    const headers: Record<string, string | string[]> = {};
    const add = (name: string, value: string) => {
      const seen = headers[name];
      headers[name] = seen === undefined
        ? value
        : [...(Array.isArray(seen) ? seen : [seen]), value];
    };
    const bytes = head.bytes;
    for (let i = 0; i < head.count; i++) {
      const role = RESPONSE_ROLES[i]!;
      if ((role & (ROLE_HOP | ROLE_ACCEL)) !== 0) continue;
      if (role === ROLE_CONTENT_LENGTH && head.chunked) continue;
      const f = i * 4;
      add(
        text(bytes, RESPONSE_FIELDS[f]!, RESPONSE_FIELDS[f + 1]!).toLowerCase(),
        text(bytes, RESPONSE_FIELDS[f + 2]!, RESPONSE_FIELDS[f + 3]!),
      );
    }
    for (const [name, value] of this.#ctx.config.addHeaders) add(name.toLowerCase(), value);
    if (this.#requestId !== undefined) add("x-request-id", this.#requestId);
    try {
      this.#response.writeHead(head.status, headers);
    } catch (error) {
      this.aborted(
        `the backend sent a header HTTP/2 cannot carry: ${(error as Error).message}`,
        "-",
      );
      return;
    }
    if (body !== null) this.responseBody(body.subarray(start, end));
  }

  responseBody(bytes: Uint8Array): boolean {
    this.#sent += bytes.length;
    if (this.#response.write(bytes)) return true;
    this.#response.once("drain", () => this.#exchange?.resume());
    return false;
  }

  responseEnd(): void {
    this.#response.end();
    this.#end(this.#status, undefined);
  }

  failed(status: number, cause: string, node: string): void {
    const ctx = this.#ctx;
    if (!ctx.config.quiet) {
      ctx.logger.error(`${this.#request.method} ${this.#request.url} => ${status}: ${cause}`);
    }
    if (this.#done) return;
    const reason = STATUS_TEXT[status] ?? "Error";
    const headers: Record<string, string> = { "content-type": "text/plain; charset=utf-8" };
    if (status === 503) headers["retry-after"] = "1";
    if (this.#requestId !== undefined) headers["x-request-id"] = this.#requestId;
    this.#response.writeHead(status, headers);
    this.#response.end(latin1(`${status} ${reason}\n`));
    this.#status = status;
    this.#end(status, undefined, node);
  }

  aborted(cause: string, node: string): void {
    this.#response.stream.close(NGHTTP2_INTERNAL_ERROR);
    this.#end(this.#status || 502, cause, node);
  }

  requestDrained(): void {}

  #end(status: number, cause: string | undefined, node = this.#exchange?.node?.name ?? "-") {
    if (this.#done) return;
    this.#done = true;
    this.#exchange?.abort();
    const ctx = this.#ctx;
    if (cause && !ctx.config.quiet && status !== 499) {
      ctx.logger.error(`${this.#request.method} ${this.#request.url} via ${node}: ${cause}`);
    }
    const ms = ctx.clock() - this.#started;
    ctx.counters.end(status, this.#sent, node, ms);
    if (!ctx.config.logging) return;
    ctx.logger.access({
      id: this.#requestId,
      client: this.#request.socket.remoteAddress ?? "0.0.0.0",
      method: this.#request.method,
      uri: this.#request.url,
      status,
      bytes: this.#sent,
      ms,
      node,
      upstreamMs: -1,
    });
  }
}

function text(bytes: Uint8Array, start: number, end: number): string {
  let out = "";
  for (let i = start; i < end; i++) out += String.fromCharCode(bytes[i]!);
  return out;
}
