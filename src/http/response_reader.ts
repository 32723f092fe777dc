/**
 * Reads a backend's raw HTTP response as its bytes arrive: the head (interim 1xx heads
 * skipped), then the body decoded by its framing — Content-Length (extra bytes dropped),
 * chunked, or until the backend closes — handed to the exchange's owner. Says after each
 * read what the exchange must do next; owns no socket and no timer.
 */
import { concatBytes } from "../bytes.ts";
import { ChunkedDecoder } from "../uwsgi/chunked.ts";
import { parseResponseHead, type ResponseHead } from "../uwsgi/response_head.ts";
import type { ExchangeOwner } from "./exchange_context.ts";

/** Keep reading. */
export const READ_MORE = 0;
/** The owner takes no more for now: pause the backend until it resumes. */
export const READ_PAUSE = 1;
/** The response is complete. */
export const READ_DONE = 2;
/** A 101 head for an upgrade came: the exchange becomes a tunnel (see `startTunnel`). */
export const READ_TUNNEL = 3;
/** Nothing usable came: answer 502 (`error` says why). */
export const READ_INVALID = 4;
/** The body broke after its head was relayed: cut the client (`error` says why). */
export const READ_BROKEN = 5;
/** The owner ended the exchange while taking bytes: nothing more to do. */
export const READ_STOPPED = 6;

/** The response of one exchange. */
export class ResponseReader {
  /** Why the response is invalid or broken. */
  error = "";
  /** The head went to the owner: body bytes follow. */
  inBody = false;
  /** The exchange ended (the owner aborted it from a callback). */
  stopped = false;
  readonly #owner: ExchangeOwner;
  readonly #headOnly: boolean;
  readonly #upgrade: boolean;
  /** A head that arrived in part (or the whole buffer of a 101 head). */
  #head: Uint8Array | null = null;
  #tunnelHead: ResponseHead | null = null;
  #decoder: ChunkedDecoder | null = null;
  /** Body bytes still expected by Content-Length; -1 = until the backend closes. */
  #remaining = -1;

  /** `headOnly`: a HEAD request (no body follows); `upgrade`: a 101 may come. */
  constructor(owner: ExchangeOwner, headOnly: boolean, upgrade: boolean) {
    this.#owner = owner;
    this.#headOnly = headOnly;
    this.#upgrade = upgrade;
  }

  /** Part of a head came and no more. */
  get partialHead(): boolean {
    return this.#head !== null && !this.inBody;
  }

  /** The body's framing says more is due: a close now truncates it. */
  get unfinished(): boolean {
    return this.#decoder !== null || this.#remaining > 0;
  }

  /** Bytes from the backend; returns one of READ_*. */
  read(bytes: Uint8Array): number {
    return this.inBody ? this.#readBody(bytes) : this.#readHead(bytes);
  }

  /** Hands a 101 head and the bytes after it to the owner (the exchange is a tunnel now). */
  startTunnel(): void {
    const head = this.#tunnelHead!;
    const buffer = this.#head!;
    this.#head = null;
    const more = head.bodyStart < buffer.length;
    this.#owner.responseHead(head, more ? buffer : null, head.bodyStart, buffer.length);
  }

  #readHead(bytes: Uint8Array): number {
    let buffer = this.#head === null ? bytes : concatBytes([this.#head, bytes]);
    while (true) {
      let head: ResponseHead | null;
      try {
        head = parseResponseHead(buffer, buffer.length);
      } catch (error) {
        this.error = `the backend sent an invalid response: ${(error as Error).message}`;
        return READ_INVALID;
      }
      if (head === null) {
        this.#head = buffer;
        return READ_MORE;
      }
      this.#head = null;
      const status = head.status;
      if (status === 101 && this.#upgrade) {
        this.#head = buffer;
        this.#tunnelHead = head;
        return READ_TUNNEL;
      }
      if (status >= 200) return this.#startBody(head, buffer);
      if (status === 101 || status < 100) {
        this.error = `the backend answered with status ${status}`;
        return READ_INVALID;
      }
      // 100 Continue and other interim heads: the real one follows
      if (head.bodyStart === buffer.length) return READ_MORE;
      buffer = buffer.subarray(head.bodyStart);
    }
  }

  /** The head is parsed from `buffer`; its body bytes, if any, follow it there. */
  #startBody(head: ResponseHead, buffer: Uint8Array): number {
    this.inBody = true;
    const owner = this.#owner;
    if (this.#headOnly || head.status === 204 || head.status === 304) {
      owner.responseHead(head, null, 0, 0);
      return this.stopped ? READ_STOPPED : READ_DONE;
    }
    const start = head.bodyStart;
    let end = buffer.length;
    if (head.chunked) {
      this.#decoder = new ChunkedDecoder();
      if (start === end) {
        owner.responseHead(head, null, 0, 0);
        return this.stopped ? READ_STOPPED : READ_MORE;
      }
      const pieces = this.#decode(buffer.subarray(start));
      if (pieces === null) {
        owner.responseHead(head, null, 0, 0);
        return this.stopped ? READ_STOPPED : READ_BROKEN;
      }
      const first = pieces[0];
      owner.responseHead(head, first ?? null, 0, first?.length ?? 0);
      return this.#handOn(pieces, 1, true);
    }
    this.#remaining = head.contentLength;
    if (this.#remaining >= 0 && end - start > this.#remaining) end = start + this.#remaining;
    if (this.#remaining > 0) this.#remaining -= end - start;
    owner.responseHead(head, start < end ? buffer : null, start, end);
    if (this.stopped) return READ_STOPPED;
    return this.#remaining === 0 ? READ_DONE : READ_MORE;
  }

  /** Decodes more body bytes and hands them over. */
  #readBody(bytes: Uint8Array): number {
    if (this.#decoder !== null) {
      const pieces = this.#decode(bytes);
      return pieces === null ? READ_BROKEN : this.#handOn(pieces, 0, true);
    }
    if (this.#remaining >= 0 && bytes.length > this.#remaining) {
      bytes = bytes.subarray(0, this.#remaining);
    }
    if (this.#remaining > 0) this.#remaining -= bytes.length;
    const go = this.#owner.responseBody(bytes);
    if (this.stopped) return READ_STOPPED;
    if (this.#remaining === 0) return READ_DONE;
    return go ? READ_MORE : READ_PAUSE;
  }

  /** Gives the owner the decoded pieces from `from` on (`go`: it took all before). */
  #handOn(pieces: Uint8Array[], from: number, go: boolean): number {
    if (this.stopped) return READ_STOPPED;
    for (let i = from; i < pieces.length; i++) {
      go = this.#owner.responseBody(pieces[i]!) && go;
      if (this.stopped) return READ_STOPPED;
    }
    if (this.#decoder!.done) return READ_DONE;
    return go ? READ_MORE : READ_PAUSE;
  }

  /** The decoded pieces, or null (with `error`) for a bad chunked body. */
  #decode(bytes: Uint8Array): Uint8Array[] | null {
    try {
      return this.#decoder!.decode(bytes);
    } catch (error) {
      this.error = `the backend sent a bad chunked body: ${(error as Error).message}`;
      return null;
    }
  }
}
