/**
 * The backend's response head: a raw HTTP/1.x status line and headers (spec §1.4), or a
 * CGI-style head with a `Status:` header. Parsed in one pass; header fields stay offsets
 * into the bytes so the client's head can be copied from them. Whatever could be relayed
 * ambiguously (bare CR, NUL, a space before ":", folded lines, conflicting lengths) is a
 * SyntaxError: the edge answers 502 and never relays it.
 */

import { fieldRole, lowerEquals, text } from "./response_fields.ts";
import { TCHAR } from "./tchar.ts";

/** Longest response head accepted from a backend. */
export const MAX_RESPONSE_HEAD = 65536;
/** Most header fields taken from a backend. */
export const MAX_RESPONSE_FIELDS = 512;

/** Offsets of the last parsed head's fields: name [4i, 4i+1), value [4i+2, 4i+3). */
export const RESPONSE_FIELDS = new Int32Array(MAX_RESPONSE_FIELDS * 4);
/** Role of each field (a bit set of response_fields.ts' ROLE_*; 0 = relay as it is). */
export const RESPONSE_ROLES = new Uint8Array(MAX_RESPONSE_FIELDS);

/** A parsed response head. */
export class ResponseHead {
  status = 200;
  /** The reason phrase's bytes: [reasonStart, reasonEnd) of `bytes` (CGI heads: `reason`). */
  reasonStart = 0;
  reasonEnd = 0;
  /** The reason of a CGI `Status:` header (status-line reasons stay bytes). */
  cgiReason: string | undefined;
  /** Number of fields in RESPONSE_FIELDS. */
  count = 0;
  /** Offset of the first body byte. */
  bodyStart = 0;
  /** Content-Length; -1 when absent (or dropped for Transfer-Encoding). */
  contentLength = -1;
  chunked = false;
  connectionClose = false;
  /** `uWSGI-Encoding: gzip`. */
  uwsgiGzip = false;
  contentEncoding = false;
  /** Vary values, joined. */
  vary: string | undefined;
  hasDate = false;
  /** Content-Type is text/event-stream: flushed as it comes, never buffered. */
  eventStream = false;
  /** `X-Accel-Buffering: no`. */
  noBuffering = false;

  constructor(readonly bytes: Uint8Array) {}
}

const CR = 13;
const LF = 10;
const SP = 32;
const HTAB = 9;

/** Index just past the blank line ending the head in `bytes[0, length)`, or -1. */
function headEnd(bytes: Uint8Array, length: number): number {
  let i = 0;
  while (i < length) {
    i = bytes.indexOf(LF, i);
    if (i < 0 || i >= length) return -1;
    if (i + 1 < length && bytes[i + 1] === LF) return i + 2;
    if (i + 2 < length && bytes[i + 1] === CR && bytes[i + 2] === LF) return i + 3;
    i++;
  }
  return -1;
}

/** Offset after the line ending at `at`. */
function nextLine(bytes: Uint8Array, at: number): number {
  if (bytes[at] === LF) return at + 1;
  if (bytes[at + 1] === LF) return at + 2;
  throw new SyntaxError("A bare CR in the response head");
}

/** Reads "HTTP/d.d SSS reason"; returns the offset after it, or -1 if it is not one. */
function statusLine(head: ResponseHead, end: number): number {
  const b = head.bytes;
  if (!(b[0] === 72 && b[1] === 84 && b[2] === 84 && b[3] === 80 && b[4] === 47)) return -1;
  let i = 5;
  while (i < end && b[i] !== SP && b[i] !== CR && b[i] !== LF) i++;
  if (b[i] !== SP) throw new SyntaxError("The response status line is malformed");
  const s = i + 1;
  const d0 = b[s]! - 48, d1 = b[s + 1]! - 48, d2 = b[s + 2]! - 48;
  if (d0 < 0 || d0 > 9 || d1 < 0 || d1 > 9 || d2 < 0 || d2 > 9) {
    throw new SyntaxError("The response status line is malformed");
  }
  head.status = d0 * 100 + d1 * 10 + d2;
  i = s + 3;
  if (b[i] !== SP && b[i] !== CR && b[i] !== LF) {
    throw new SyntaxError("The response status line is malformed");
  }
  const reasonStart = b[i] === SP ? i + 1 : i;
  i = reasonStart;
  while (b[i] !== CR && b[i] !== LF) {
    if ((b[i]! < SP && b[i] !== HTAB) || b[i] === 0x7f) {
      throw new SyntaxError("A control byte in the response status line");
    }
    i++;
  }
  head.reasonStart = reasonStart;
  head.reasonEnd = i;
  return nextLine(b, i);
}

/**
 * Parses the head in `bytes[0, length)`; null while it is incomplete. Throws RangeError
 * when it is too long and SyntaxError when it is not a well-formed HTTP response head.
 */
export function parseResponseHead(bytes: Uint8Array, length: number): ResponseHead | null {
  const end = headEnd(bytes, length);
  if (end < 0) {
    if (length >= MAX_RESPONSE_HEAD) {
      throw new RangeError(`The response head is longer than ${MAX_RESPONSE_HEAD} bytes`);
    }
    if (length >= 5 && !plausibleStart(bytes)) {
      throw new SyntaxError("The response does not start with an HTTP status line");
    }
    return null;
  }
  const head = new ResponseHead(bytes);
  let i = statusLine(head, end);
  const cgi = i < 0;
  let status = false;
  if (cgi) i = 0;
  let count = 0;
  while (i < end) {
    if (bytes[i] === CR || bytes[i] === LF) break;
    if (bytes[i] === SP || bytes[i] === HTAB) {
      throw new SyntaxError("A folded line in the response head");
    }
    const nameStart = i;
    while (TCHAR[bytes[i]!] === 1) i++;
    const nameEnd = i;
    if (nameEnd === nameStart || bytes[i] !== 58) {
      throw new SyntaxError(
        `A response header line is malformed: "${text(bytes, nameStart, Math.min(i + 1, end))}"`,
      );
    }
    i++;
    while (bytes[i] === SP || bytes[i] === HTAB) i++;
    const valueStart = i;
    let c = bytes[i]!;
    while (c !== LF && c !== CR) {
      if ((c < SP && c !== HTAB) || c === 0x7f) {
        throw new SyntaxError(`A control byte (${c}) in a response header`);
      }
      c = bytes[++i]!;
    }
    let valueEnd = i;
    while (valueEnd > valueStart && (bytes[valueEnd - 1] === SP || bytes[valueEnd - 1] === HTAB)) {
      valueEnd--;
    }
    i = nextLine(bytes, i);
    if (cgi && lowerEquals(bytes, nameStart, nameEnd, "status")) {
      cgiStatus(head, text(bytes, valueStart, valueEnd));
      status = true;
      continue;
    }
    if (count === MAX_RESPONSE_FIELDS) {
      throw new RangeError(`More than ${MAX_RESPONSE_FIELDS} response header fields`);
    }
    const role = fieldRole(head, bytes, nameStart, nameEnd, valueStart, valueEnd);
    const f = count * 4;
    RESPONSE_FIELDS[f] = nameStart;
    RESPONSE_FIELDS[f + 1] = nameEnd;
    RESPONSE_FIELDS[f + 2] = valueStart;
    RESPONSE_FIELDS[f + 3] = valueEnd;
    RESPONSE_ROLES[count++] = role;
  }
  if (cgi && !status) {
    throw new SyntaxError(
      `The response status line is malformed: "${text(bytes, 0, Math.min(end, 80)).trim()}"`,
    );
  }
  head.count = count;
  head.bodyStart = end;
  // RFC 9112 §6.3: with both, Transfer-Encoding wins and Content-Length is dropped
  if (head.chunked) head.contentLength = -1;
  return head;
}

function cgiStatus(head: ResponseHead, value: string): void {
  const m = /^(\d{3})(?: (.*))?$/.exec(value);
  if (!m) throw new SyntaxError(`A CGI Status header is malformed: "${value}"`);
  head.status = Number(m[1]);
  head.cgiReason = m[2] ?? "";
}

function plausibleStart(bytes: Uint8Array): boolean {
  if (bytes[0] === 72 && bytes[1] === 84 && bytes[2] === 84 && bytes[3] === 80) return true;
  // CGI heads may start with any header; only bytes that cannot be a header name fail
  for (let i = 0; i < 5; i++) if (TCHAR[bytes[i]!] !== 1 && bytes[i] !== 58) return false;
  return true;
}

/** The fields of `head` as name/value strings (HTTP/2 responses, tests). */
export function responseHeaders(head: ResponseHead): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i < head.count; i++) {
    const f = i * 4;
    out.push([
      text(head.bytes, RESPONSE_FIELDS[f]!, RESPONSE_FIELDS[f + 1]!),
      text(head.bytes, RESPONSE_FIELDS[f + 2]!, RESPONSE_FIELDS[f + 3]!),
    ]);
  }
  return out;
}
