/**
 * What a request's access log line and counters need: its timing (whole and upstream),
 * its id, its client; written once, whichever way the request ends.
 */
import type { RequestHead } from "./request_head.ts";
import type { ServerContext } from "./server_context.ts";

/** The record of one request. */
export class RequestLog {
  /** The request's id (returned as X-Request-Id), when ids are on. */
  requestId: string | undefined;
  readonly peer: { address: string; port: string };
  readonly #ctx: ServerContext;
  readonly #head: RequestHead;
  readonly #started: number;
  /** When the exchange began and its backend was done (ms; access logs only). */
  #dispatchedAt = 0;
  #upstreamMs = -1;
  #written = false;

  constructor(ctx: ServerContext, head: RequestHead, address: string, port: string) {
    this.#ctx = ctx;
    this.#head = head;
    this.peer = { address, port };
    this.#started = ctx.clock();
  }

  /** The exchange with a backend begins. */
  dispatched(): void {
    if (this.#ctx.config.logging) this.#dispatchedAt = this.#ctx.clock();
  }

  /** The backend's part is over: its time goes to the access log. */
  upstreamDone(): void {
    if (this.#dispatchedAt > 0 && this.#upstreamMs < 0) {
      this.#upstreamMs = this.#ctx.clock() - this.#dispatchedAt;
    }
  }

  /** Logs what went wrong (`rest` follows the method and target), unless `quiet` is set. */
  problem(level: "error" | "warn", rest: string): void {
    const ctx = this.#ctx;
    if (!ctx.config.quiet) ctx.logger[level](`${this.#head.method} ${this.#head.target}${rest}`);
  }

  /** Counts the request and writes its access log line (the first call only). */
  write(status: number, bytes: number, node: string): void {
    if (this.#written) return;
    this.#written = true;
    const ctx = this.#ctx;
    const ms = ctx.clock() - this.#started;
    ctx.counters.end(status, bytes, node, ms);
    if (!ctx.config.logging) return;
    const head = this.#head;
    ctx.logger.access({
      id: this.requestId,
      client: this.peer.address,
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
  idLine(): string {
    return this.requestId === undefined ? "" : `X-Request-Id: ${this.requestId}\r\n`;
  }
}
