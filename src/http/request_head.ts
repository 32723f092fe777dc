/**
 * The client's HTTP/1.x request head, parsed in one pass over the raw bytes. Strict where
 * laxness enables request smuggling or ambiguity (RFC 9112: spaces before ":", obsolete
 * line folding, bare CR, NUL and other controls, conflicting framing, Transfer-Encoding in
 * HTTP/1.0, missing or repeated Host), liberal where uWSGI users rely on it (bare LF line
 * ends). Header fields are kept as offsets into the bytes; the vars writer copies them.
 */

/** Longest request head accepted (as uWSGI's router: 64 KiB); longer -> 431. */
export const MAX_REQUEST_HEAD = 65535;
/** Most header fields in one request (Apache's LimitRequestFields); more -> 431. */
export const MAX_FIELDS = 256;
/** Longest Host value (uWSGI's router refuses longer ones). */
const MAX_HOST = 255;

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

  /** The Host value (undefined when absent). */
  get host(): string | undefined {
    if (this.hostStart < 0) return undefined;
    return this.#host ??= byteString(this.bytes, this.hostStart, this.hostEnd);
  }
}

const CR = 13;
const LF = 10;
const SP = 32;
const HTAB = 9;
const COLON = 58;

/** RFC 9110 tchar: the bytes of methods and header names. */
const TCHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") {
  TCHAR[c.charCodeAt(0)] = 1;
}

/**
 * Index just past the blank line ending the head that starts at `start`, or -1 if it is
 * not there yet. `from` is where new bytes begin (earlier ones were scanned already).
 */
export function findHeadEnd(
  bytes: Uint8Array,
  start: number,
  from: number,
  length: number,
): number {
  let i = Math.max(start, from - 3);
  while (i < length) {
    i = bytes.indexOf(LF, i);
    if (i < 0 || i >= length) return -1;
    const next = bytes[i + 1];
    if (i + 1 < length && next === LF) return i + 2;
    if (i + 2 < length && next === CR && bytes[i + 2] === LF) return i + 3;
    i++;
  }
  return -1;
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

/** `bytes[start, start + text.length)` equals `text` (lower case ASCII) ignoring case. */
function lowerEquals(bytes: Uint8Array, start: number, text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = bytes[start + i]!;
    if ((c >= 65 && c <= 90 ? c | 0x20 : c) !== text.charCodeAt(i)) return false;
  }
  return true;
}

function requestLineError(bytes: Uint8Array, start: number, end: number): RequestError {
  let lineEnd = start;
  while (lineEnd < end && bytes[lineEnd] !== CR && bytes[lineEnd] !== LF) lineEnd++;
  return new RequestError(
    400,
    `Malformed request line: "${byteString(bytes, start, Math.min(lineEnd, start + 100))}"`,
  );
}

/** Parses the request line; returns the offset of the first header line. */
function parseRequestLine(head: RequestHead): number {
  const { bytes, start, end } = head;
  let i = start;
  while (i < end && TCHAR[bytes[i]!] === 1) i++;
  if (i === start || bytes[i] !== SP) throw requestLineError(bytes, start, end);
  head.methodEnd = i;
  head.isHead = i - start === 4 && bytes[start] === 72 && bytes[start + 1] === 69 &&
    bytes[start + 2] === 65 && bytes[start + 3] === 68;
  const targetStart = ++i;
  // the target: visible bytes only (no spaces, controls or DEL); obs-text passes
  while (i < end && bytes[i]! > SP && bytes[i] !== 0x7f) i++;
  if (i === targetStart || bytes[i] !== SP) throw requestLineError(bytes, start, end);
  head.targetStart = targetStart;
  head.targetEnd = i;
  const v = i + 1;
  let lineEnd = v;
  while (lineEnd < end && bytes[lineEnd] !== CR && bytes[lineEnd] !== LF) lineEnd++;
  const isHttp = lineEnd - v === 8 && bytes[v] === 72 && bytes[v + 1] === 84 &&
    bytes[v + 2] === 84 && bytes[v + 3] === 80 && bytes[v + 4] === 47 && bytes[v + 6] === 46;
  const major = bytes[v + 5]! - 48;
  const minor = bytes[v + 7]! - 48;
  if (!isHttp || major < 0 || major > 9 || minor < 0 || minor > 9) {
    throw requestLineError(bytes, start, end);
  }
  if (major !== 1 || minor > 1) {
    throw new RequestError(505, `Unsupported protocol version "${byteString(bytes, v, lineEnd)}"`);
  }
  head.http11 = minor === 1;
  return lineEndNext(bytes, lineEnd, end);
}

/** Offset after the line ending at `at` (CRLF or LF); a bare CR is refused. */
function lineEndNext(bytes: Uint8Array, at: number, end: number): number {
  if (bytes[at] === LF) return at + 1;
  if (at + 1 < end && bytes[at + 1] === LF) return at + 2;
  throw new RequestError(400, "A bare CR in the request head");
}

/**
 * Parses the head in `bytes[start, end)` (`end` from `findHeadEnd`). Fields go to FIELDS;
 * `dropUnderscores` drops those whose name has an underscore (nginx's default). Throws
 * RequestError.
 */
export function parseRequestHead(
  bytes: Uint8Array,
  start: number,
  end: number,
  dropUnderscores = true,
): RequestHead {
  const head = new RequestHead(bytes, start, end);
  let i = parseRequestLine(head);
  let count = 0;
  let hosts = 0;
  let lengthText: string | undefined;
  let transfer: string | undefined;
  while (i < end) {
    const c = bytes[i]!;
    if (c === CR || c === LF) break; // the blank line
    if (c === SP || c === HTAB) {
      throw new RequestError(400, "Obsolete header line folding is not accepted");
    }
    const nameStart = i;
    let hash = 0;
    let underscore = false;
    while (i < end && TCHAR[bytes[i]!] === 1) {
      let b = bytes[i]!;
      if (b >= 65 && b <= 90) b |= 0x20;
      else if (b === 95) underscore = true;
      hash = (Math.imul(hash, 31) + b) | 0;
      i++;
    }
    const nameEnd = i;
    if (nameEnd === nameStart || bytes[i] !== COLON) {
      let lineEnd = i;
      while (lineEnd < end && bytes[lineEnd] !== LF) lineEnd++;
      const line = byteString(bytes, nameStart, Math.min(lineEnd, nameStart + 100));
      throw new RequestError(400, `Malformed header line: "${line.replace(/\r$/, "")}"`);
    }
    i++;
    while (bytes[i] === SP || bytes[i] === HTAB) i++;
    const valueStart = i;
    let b = bytes[i]!;
    // field-value: visible bytes, SP, HTAB and obs-text; CR only before LF
    while (b !== LF && b !== CR) {
      if ((b < SP && b !== HTAB) || b === 0x7f) {
        throw new RequestError(400, `A control byte (${b}) in a header value`);
      }
      b = bytes[++i]!;
    }
    let valueEnd = i;
    while (valueEnd > valueStart && (bytes[valueEnd - 1] === SP || bytes[valueEnd - 1] === HTAB)) {
      valueEnd--;
    }
    i = lineEndNext(bytes, i, end);
    if (count === MAX_FIELDS) {
      throw new RequestError(431, `More than ${MAX_FIELDS} header fields`);
    }
    const at = count * 4;
    FIELDS[at] = nameStart;
    FIELDS[at + 1] = nameEnd;
    FIELDS[at + 2] = valueStart;
    FIELDS[at + 3] = valueEnd;
    FIELD_HASHES[count] = hash;
    let role = 0;
    if (underscore && (dropUnderscores || forgesFraming(bytes, nameStart, nameEnd))) {
      role = FIELD_DROPPED;
      head.underscored++;
    } else {
      switch (nameEnd - nameStart) {
        case 4:
          if (lowerEquals(bytes, nameStart, "host")) {
            role = FIELD_HOST;
            if (++hosts === 1) {
              head.hostStart = valueStart;
              head.hostEnd = valueEnd;
            }
          }
          break;
        case 6:
          if (lowerEquals(bytes, nameStart, "expect")) {
            head.expect = byteString(bytes, valueStart, valueEnd);
          }
          break;
        case 7:
          if (lowerEquals(bytes, nameStart, "upgrade")) {
            head.upgradeTo = byteString(bytes, valueStart, valueEnd).toLowerCase();
          }
          break;
        case 10:
          if (lowerEquals(bytes, nameStart, "connection")) {
            connectionTokens(head, byteString(bytes, valueStart, valueEnd));
          }
          break;
        case 12:
          if (lowerEquals(bytes, nameStart, "x-request-id")) {
            role = FIELD_REQUEST_ID;
            head.requestId = byteString(bytes, valueStart, valueEnd);
          }
          break;
        case 14:
          if (lowerEquals(bytes, nameStart, "content-length")) {
            role = FIELD_CONTENT_LENGTH;
            const value = byteString(bytes, valueStart, valueEnd);
            lengthText = lengthText === undefined ? value : `${lengthText}, ${value}`;
          }
          break;
        case 15:
          if (lowerEquals(bytes, nameStart, "accept-encoding")) {
            head.acceptEncoding = byteString(bytes, valueStart, valueEnd);
          } else if (lowerEquals(bytes, nameStart, "x-forwarded-for")) {
            role = FIELD_X_FORWARDED;
            const value = byteString(bytes, valueStart, valueEnd);
            head.forwardedFor = head.forwardedFor === undefined
              ? value
              : `${head.forwardedFor}, ${value}`;
          }
          break;
        case 17:
          if (lowerEquals(bytes, nameStart, "transfer-encoding")) {
            role = FIELD_TRANSFER_ENCODING;
            const value = byteString(bytes, valueStart, valueEnd);
            transfer = transfer === undefined ? value : `${transfer}, ${value}`;
          } else if (lowerEquals(bytes, nameStart, "x-forwarded-proto")) {
            role = FIELD_X_FORWARDED;
            head.forwardedProto = byteString(bytes, valueStart, valueEnd);
          }
          break;
      }
    }
    FIELD_ROLES[count] = role;
    count++;
  }
  head.count = count;
  checkHost(head, hosts);
  framing(head, lengthText, transfer);
  if (!head.upgrade) head.upgradeTo = undefined;
  return head;
}

/**
 * Content_Length and Content_Type would become the CONTENT_LENGTH and CONTENT_TYPE vars:
 * dropped even when underscores are allowed.
 */
function forgesFraming(bytes: Uint8Array, start: number, end: number): boolean {
  const n = end - start;
  if (n !== 12 && n !== 14) return false;
  const name = n === 12 ? "content_type" : "content_length";
  for (let i = 0; i < n; i++) {
    const c = bytes[start + i]!;
    if ((c >= 65 && c <= 90 ? c | 0x20 : c) !== name.charCodeAt(i)) return false;
  }
  return true;
}

function connectionTokens(head: RequestHead, value: string): void {
  for (const part of value.split(",")) {
    const token = part.trim().toLowerCase();
    if (token === "close") head.close = true;
    else if (token === "keep-alive") head.keepAlive = true;
    else if (token === "upgrade") head.upgrade = true;
  }
}

/** RFC 9112 §3.2: HTTP/1.1 needs exactly one Host; uWSGI refuses empty and long ones. */
function checkHost(head: RequestHead, hosts: number): void {
  if (hosts > 1) throw new RequestError(400, "More than one Host header");
  if (head.hostStart < 0) {
    if (head.http11) throw new RequestError(400, "An HTTP/1.1 request without a Host header");
    return;
  }
  const length = head.hostEnd - head.hostStart;
  if (length > MAX_HOST) throw new RequestError(400, `A Host longer than ${MAX_HOST} bytes`);
  if (length === 0 || !validHost(head.bytes, head.hostStart, head.hostEnd)) {
    throw new RequestError(400, `An invalid Host "${head.host!.slice(0, 100)}"`);
  }
}

/** No whitespace, "/", "\\", "@" or "," (a Host is host[:port]). */
function validHost(bytes: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = bytes[i]!;
    if (c <= 32 || c === 47 || c === 92 || c === 64 || c === 44) return false;
  }
  return true;
}

/**
 * The body framing (RFC 9112 §6): Transfer-Encoding wins only when it is exactly chunked,
 * in HTTP/1.1, without Content-Length; every ambiguous combination is refused.
 */
function framing(head: RequestHead, length: string | undefined, transfer: string | undefined) {
  if (transfer !== undefined) {
    if (!head.http11) {
      throw new RequestError(400, "Transfer-Encoding in an HTTP/1.0 request");
    }
    if (length !== undefined) {
      throw new RequestError(400, "Both Content-Length and Transfer-Encoding were sent");
    }
    const codings = transfer.toLowerCase().split(",").map((c) => c.trim());
    if (codings.at(-1) !== "chunked") {
      throw new RequestError(400, `Transfer-Encoding "${transfer}" does not end with chunked`);
    }
    if (codings.length > 1) {
      throw new RequestError(501, `Transfer-Encoding "${transfer}" is not supported`);
    }
    head.chunked = true;
    return;
  }
  if (length === undefined) return;
  let value: string | undefined;
  for (const part of length.split(",")) {
    const v = part.trim();
    if (!/^\d{1,15}$/.test(v)) throw new RequestError(400, `Invalid Content-Length "${length}"`);
    if (value !== undefined && Number(value) !== Number(v)) {
      throw new RequestError(400, "Conflicting Content-Length headers");
    }
    value = v;
  }
  head.contentLength = Number(value);
}
