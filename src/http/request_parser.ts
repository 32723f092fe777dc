/**
 * The client's HTTP/1.x request head, parsed in one pass over the raw bytes. Strict where
 * laxness enables request smuggling or ambiguity (RFC 9112: spaces before ":", obsolete
 * line folding, bare CR, NUL and other controls, conflicting framing, Transfer-Encoding in
 * HTTP/1.0, missing or repeated Host), liberal where uWSGI users rely on it (bare LF line
 * ends). Throws RequestError with the status the edge answers.
 */
import {
  byteString,
  FIELD_CONTENT_LENGTH,
  FIELD_DROPPED,
  FIELD_HASHES,
  FIELD_HOST,
  FIELD_REQUEST_ID,
  FIELD_ROLES,
  FIELD_TRANSFER_ENCODING,
  FIELD_X_FORWARDED,
  FIELDS,
  MAX_FIELDS,
  RequestError,
  RequestHead,
} from "./request_head.ts";
import { checkFraming, checkHost } from "./request_rules.ts";
import { TCHAR } from "../uwsgi/tchar.ts";

const CR = 13;
const LF = 10;
const SP = 32;
const HTAB = 9;
const COLON = 58;

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
  SEEN.hosts = 0;
  SEEN.length = undefined;
  SEEN.transfer = undefined;
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
      role = knownField(head, nameStart, nameEnd, valueStart, valueEnd);
    }
    FIELD_ROLES[count] = role;
    count++;
  }
  head.count = count;
  checkHost(head, SEEN.hosts);
  checkFraming(head, SEEN.length, SEEN.transfer);
  if (!head.upgrade) head.upgradeTo = undefined;
  return head;
}

/** What the field loop gathers for the rules checked after it (one parse at a time). */
const SEEN = {
  hosts: 0,
  length: undefined as string | undefined,
  transfer: undefined as string | undefined,
};

/**
 * Learns what the engine needs from a field the edge knows by name; returns its role
 * (0 for a plain header).
 */
function knownField(
  head: RequestHead,
  nameStart: number,
  nameEnd: number,
  valueStart: number,
  valueEnd: number,
): number {
  const bytes = head.bytes;
  switch (nameEnd - nameStart) {
    case 4:
      if (!lowerEquals(bytes, nameStart, "host")) return 0;
      if (++SEEN.hosts === 1) {
        head.hostStart = valueStart;
        head.hostEnd = valueEnd;
      }
      return FIELD_HOST;
    case 6:
      if (lowerEquals(bytes, nameStart, "expect")) {
        head.expect = byteString(bytes, valueStart, valueEnd);
      }
      return 0;
    case 7:
      if (lowerEquals(bytes, nameStart, "upgrade")) {
        head.upgradeTo = byteString(bytes, valueStart, valueEnd).toLowerCase();
      }
      return 0;
    case 10:
      if (lowerEquals(bytes, nameStart, "connection")) {
        connectionTokens(head, byteString(bytes, valueStart, valueEnd));
      }
      return 0;
    case 12:
      if (!lowerEquals(bytes, nameStart, "x-request-id")) return 0;
      head.requestId = byteString(bytes, valueStart, valueEnd);
      return FIELD_REQUEST_ID;
    case 14:
      if (!lowerEquals(bytes, nameStart, "content-length")) return 0;
      SEEN.length = joined(SEEN.length, byteString(bytes, valueStart, valueEnd));
      return FIELD_CONTENT_LENGTH;
    case 15:
      if (lowerEquals(bytes, nameStart, "accept-encoding")) {
        head.acceptEncoding = byteString(bytes, valueStart, valueEnd);
      } else if (lowerEquals(bytes, nameStart, "x-forwarded-for")) {
        head.forwardedFor = joined(head.forwardedFor, byteString(bytes, valueStart, valueEnd));
        return FIELD_X_FORWARDED;
      }
      return 0;
    case 17:
      if (lowerEquals(bytes, nameStart, "transfer-encoding")) {
        SEEN.transfer = joined(SEEN.transfer, byteString(bytes, valueStart, valueEnd));
        return FIELD_TRANSFER_ENCODING;
      }
      if (!lowerEquals(bytes, nameStart, "x-forwarded-proto")) return 0;
      head.forwardedProto = byteString(bytes, valueStart, valueEnd);
      return FIELD_X_FORWARDED;
  }
  return 0;
}

/** Repeated fields as one comma-separated list (RFC 9110 §5.3). */
function joined(list: string | undefined, value: string): string {
  return list === undefined ? value : `${list}, ${value}`;
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
