/**
 * The client's HTTP/1.x request head as the parser (request_parser.ts) leaves it: the
 * facts the engine needs, with the header fields kept as offsets into the raw bytes in
 * shared tables (FIELDS) that the vars writer copies from; and the RequestError the edge
 * answers a bad request with.
 */

/** Longest request head accepted (as uWSGI's router: 64 KiB); longer -> 431. */
export const MAX_REQUEST_HEAD = 65535;
/** Most header fields in one request (Apache's LimitRequestFields); more -> 431. */
export const MAX_FIELDS = 256;

/** A request the edge answers itself with `status` (400, 413, 431, 501, 505) and closes. */
export class RequestError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = "RequestError";
    this.status = status;
  }
}

/**
 * Offsets of the header fields of the last parsed head: for field i, name at
 * [4i, 4i+1) and value at [4i+2, 4i+3). Shared scratch: read it before the next parse.
 */
export const FIELDS = new Int32Array(MAX_FIELDS * 4);
/** Lower-case name hashes of those fields (equal names, equal hashes). */
export const FIELD_HASHES = new Int32Array(MAX_FIELDS);

/** Field roles the vars writer cares about. */
export const FIELD_DROPPED = 1;
export const FIELD_X_FORWARDED = 2;
export const FIELD_HOST = 4;
export const FIELD_TRANSFER_ENCODING = 8;
export const FIELD_REQUEST_ID = 16;
export const FIELD_CONTENT_LENGTH = 32;
/** Role bits of each field (0 = a plain header). */
export const FIELD_ROLES = new Uint8Array(MAX_FIELDS);

/** What the engine needs to know about a request, besides its fields. */
export class RequestHead {
  /** The bytes holding the head; the head is [start, end), `end` is past the blank line. */
  bytes: Uint8Array;
  start: number;
  end: number;
  /** Offsets of the method (from `start`), the request target and the Host value. */
  methodEnd = 0;
  targetStart = 0;
  targetEnd = 0;
  hostStart = -1;
  hostEnd = -1;
  /** The method is HEAD (no body in the response). */
  isHead = false;
  http11 = true;
  /** Number of fields in FIELDS. */
  count = 0;
  /** Body length from Content-Length; -1 without one. */
  contentLength = -1;
  chunked = false;
  /** Connection tokens. */
  close = false;
  keepAlive = false;
  upgrade = false;
  /** The Upgrade value (lower case), when Connection names upgrade. */
  upgradeTo: string | undefined;
  expect: string | undefined;
  acceptEncoding: string | undefined;
  forwardedFor: string | undefined;
  forwardedProto: string | undefined;
  requestId: string | undefined;
  /** Header fields dropped for an underscore in their name. */
  underscored = 0;

  constructor(bytes: Uint8Array, start: number, end: number) {
    this.bytes = bytes;
    this.start = start;
    this.end = end;
  }

  #method: string | undefined;
  #target: string | undefined;
  #host: string | undefined;

  /** The head is a method without a body by its framing. */
  get hasBody(): boolean {
    return this.chunked || this.contentLength > 0;
  }

  /** The method (decoded when first asked for: the hot path never needs it). */
  get method(): string {
    return this.#method ??= byteString(this.bytes, this.start, this.methodEnd);
  }

  /** The raw request target. */
  get target(): string {
    return this.#target ??= byteString(this.bytes, this.targetStart, this.targetEnd);
  }

  /** Takes the strings still wanted after the request is sent: its bytes may go then. */
  settle(): void {
    // each getter decodes and keeps its string
    void this.method;
    void this.target;
    void this.host;
  }

  /** The Host value (undefined when absent). */
  get host(): string | undefined {
    if (this.hostStart < 0) return undefined;
    return this.#host ??= byteString(this.bytes, this.hostStart, this.hostEnd);
  }
}

/** Bytes as a byte string (one char per byte). */
export function byteString(bytes: Uint8Array, start: number, end: number): string {
  if (end - start <= 64) {
    // short: a loop beats building a view for fromCharCode.apply
    let out = "";
    for (let i = start; i < end; i++) out += String.fromCharCode(bytes[i]!);
    return out;
  }
  let out = "";
  for (let i = start; i < end; i += 4096) {
    out += String.fromCharCode.apply(
      null,
      bytes.subarray(i, Math.min(end, i + 4096)) as unknown as number[],
    );
  }
  return out;
}
