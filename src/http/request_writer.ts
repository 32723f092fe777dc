/**
 * Writes a request to its backend in order: the uwsgi packet, then the body — a buffered
 * one from its Spool (a small one in the packet's write), or streamed bytes as they come.
 * What the socket does not take waits here until it drains; bytes streamed before the
 * socket connected wait behind the packet.
 */
import type { StreamSocket } from "../runtime/types.ts";
import { release, releaseTail } from "./release.ts";
import { SCRATCH } from "./scratch.ts";
import type { Spool } from "./spool.ts";

/** Bodies up to this size go out in the packet's write. */
const COALESCE_BODY = 262144;

/** The request side of one exchange. */
export class RequestWriter {
  #socket: StreamSocket | null = null;
  /** A buffered body not written yet. */
  #body: Spool | null;
  /** Bytes the backend did not take yet, in order. */
  #pending: Uint8Array[] | null = null;
  /** The socket copies what write() takes (SCRATCH can be written from). */
  readonly #copies: boolean;

  constructor(body: Spool | null, copies: boolean) {
    this.#body = body;
    this.#copies = copies;
  }

  /** Nothing waits: the backend took all it was given. */
  get idle(): boolean {
    return this.#pending === null && this.#body === null;
  }

  /**
   * The socket is connected: the packet, the buffered body and what was streamed
   * meanwhile go out. True when streamed bytes had been waiting for the connection.
   */
  connected(socket: StreamSocket, packet: Uint8Array): boolean {
    this.#socket = socket;
    const early = this.#pending;
    this.#pending = null;
    const body = this.#body;
    if (body !== null && body.size <= COALESCE_BODY && body.memory === body.size) {
      // the packet and a body in memory leave in one write
      const total = packet.length + body.size;
      const copies = this.#copies && total <= SCRATCH.length;
      const out = withBody(packet, body, copies ? SCRATCH : new Uint8Array(total));
      const n = socket.write(out, 0, total);
      if (n >= 0 && n < total) this.#pending = [copies ? out.slice(n, total) : out.subarray(n)];
      body.dispose();
      this.#body = null;
    } else {
      this.#write(packet);
      if (body !== null) this.#pumpBody();
    }
    if (early === null) return false;
    for (const bytes of early) this.#write(bytes);
    return true;
  }

  /** Streamed bytes; false when they wait (not connected yet, or the socket is full). */
  send(bytes: Uint8Array): boolean {
    if (this.#socket === null) {
      (this.#pending ??= []).push(bytes);
      return false;
    }
    this.#write(bytes);
    return this.#pending === null;
  }

  /** The socket takes bytes again: writes what waits; true once nothing does. */
  drain(): boolean {
    const pending = this.#pending;
    if (pending !== null) {
      while (pending.length > 0) {
        const bytes = pending[0]!;
        const n = this.#socket!.write(bytes);
        if (n < 0) return false;
        if (n < bytes.length) {
          pending[0] = bytes.subarray(n);
          return false;
        }
        pending.shift();
      }
      this.#pending = null;
    }
    if (this.#body !== null) this.#pumpBody();
    return this.idle;
  }

  /** Drops what waits (the exchange ended). */
  dispose(): void {
    this.#body?.dispose();
    this.#body = null;
    this.#pending = null;
  }

  #write(bytes: Uint8Array): void {
    if (this.#pending !== null) {
      this.#pending.push(bytes);
      return;
    }
    const n = this.#socket!.write(bytes);
    if (n >= 0 && n < bytes.length) this.#pending = [bytes.subarray(n)];
  }

  /** Writes the buffered body while the backend takes it. */
  #pumpBody(): void {
    const body = this.#body!;
    if (this.#pending !== null) return;
    while (true) {
      const piece = body.peek();
      if (piece === null) break;
      const n = this.#socket!.write(piece);
      if (n < 0) return;
      body.consume(n);
      if (n < piece.length) return;
      // sent whole and copied: a read's buffer (or one read back from the file) is free
      if (this.#copies) free(body, piece);
    }
    body.dispose();
    this.#body = null;
  }
}

/** The packet and a small in-memory body one after the other in `out`. */
function withBody(packet: Uint8Array, body: Spool, out: Uint8Array): Uint8Array {
  out.set(packet);
  let at = packet.length;
  for (let piece = body.peek(); piece !== null; piece = body.peek()) {
    out.set(piece, at);
    at += piece.length;
    body.consume(piece.length);
    free(body, piece);
  }
  return out;
}

/** A piece of `body` was copied: its read's buffer is given back when nothing else uses it. */
function free(body: Spool, piece: Uint8Array): void {
  // a whole read's buffer: the spool held the only view of it
  if (body.readsFree) releaseTail(piece);
  else release(piece);
}
