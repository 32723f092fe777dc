/**
 * A parsed request head -> the uwsgi packet uWSGI's router would send (spec §1.6-1.8),
 * written byte by byte into one reused buffer: no var strings, no intermediate arrays.
 * `requestVars()` + `encodePacket()` (src/uwsgi/) are the readable reference it is tested
 * against.
 */
import { HEADER_SIZE, MAX_VARS_SIZE } from "../uwsgi/packet.ts";
import {
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
  type RequestHead,
} from "./request_head.ts";
import { writePathInfo } from "./packet_path.ts";
import { findByte } from "../bytes.ts";

/** What stays the same for every request of a listener. */
export interface PacketTemplate {
  modifier1: number;
  modifier2: number;
  /** SCRIPT_NAME, SERVER_NAME (unless taken from Host), SERVER_PORT, UWSGI_ROUTER. */
  fixed: Uint8Array;
  /** `http-server-name-as-http-host`: SERVER_NAME follows HTTP_HOST. */
  serverNameAsHost: boolean;
  /** `http-var` entries, encoded. */
  extra: Uint8Array;
}

/** What is particular to the request beyond its head. */
export interface PacketFacts {
  /** REMOTE_ADDR and REMOTE_PORT values. */
  remoteAddr: string;
  remotePort: string;
  /** HTTPS=on (a TLS listener, or a trusted proxy's X-Forwarded-Proto: https). */
  https: boolean;
  /** The request id, sent as HTTP_X_REQUEST_ID (undefined: none). */
  requestId: string | undefined;
  /** The client's own X-Request-Id is replaced by `requestId`. */
  dropRequestId: boolean;
  /** Drop the client's X-Forwarded-For/-Proto and send these instead (when defined). */
  replaceForwarded: boolean;
  forwardedFor: string | undefined;
  forwardedProto: string | undefined;
  /** More vars appended after the headers (request id, ...). */
  more: ReadonlyArray<readonly [string, string]>;
}

/** Facts with nothing known yet (forwardingFacts() fills them in per request). */
export function emptyFacts(https = false): PacketFacts {
  return {
    remoteAddr: "",
    remotePort: "",
    https,
    requestId: undefined,
    dropRequestId: false,
    replaceForwarded: false,
    forwardedFor: undefined,
    forwardedProto: undefined,
    more: [],
  };
}

/** The vars block never exceeds 64 KiB; the slack lets a too-long one be measured, not overrun. */
const OUT = new Uint8Array(HEADER_SIZE + MAX_VARS_SIZE + 4 * 65536 + 64);
const MERGED = new Uint8Array(MAX_FIELDS);
let at = 0;

function u16(n: number): void {
  OUT[at] = n & 0xff;
  OUT[at + 1] = (n >> 8) & 0xff;
  at += 2;
}

const utf8 = new TextEncoder();

/** A length-prefixed string: one byte per char, UTF-8 when it has wider chars. */
function text(value: string): void {
  const n = value.length;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c > 255) {
      const bytes = utf8.encode(value);
      u16(bytes.length);
      copy(bytes, 0, bytes.length);
      return;
    }
    OUT[at + 2 + i] = c;
  }
  u16(n);
  at += n;
}

function copy(bytes: Uint8Array, start: number, end: number): void {
  const n = end - start;
  if (n <= 128) {
    for (let i = 0; i < n; i++) OUT[at + i] = bytes[start + i]!;
  } else {
    OUT.set(bytes.subarray(start, end), at);
  }
  at += n;
}

function pair(key: string, value: string): void {
  text(key);
  text(value);
}

/** Encodes constant vars (a template's `fixed` and `extra` blocks). */
export function encodeVars(vars: ReadonlyArray<readonly [string, string]>): Uint8Array {
  at = 0;
  for (const [key, value] of vars) pair(key, value);
  return OUT.slice(0, at);
}

/**
 * Content-Type and Content-Length keep no HTTP_ prefix (spec §1.7); their underscore
 * spellings never get here (the parser drops them).
 */
function unprefixed(bytes: Uint8Array, start: number, end: number): boolean {
  const n = end - start;
  if (n !== 12 && n !== 14) return false;
  const name = n === 12 ? "content-type" : "content-length";
  for (let i = 0; i < n; i++) {
    const c = bytes[start + i]!;
    if ((c >= 65 && c <= 90 ? c | 0x20 : c) !== name.charCodeAt(i)) return false;
  }
  return true;
}

/** The var key of a header name: HTTP_ + upper case, "-" -> "_". */
function headerKey(bytes: Uint8Array, start: number, end: number): void {
  const plain = unprefixed(bytes, start, end);
  u16(end - start + (plain ? 0 : 5));
  if (!plain) {
    OUT[at] = 72;
    OUT[at + 1] = 84;
    OUT[at + 2] = 84;
    OUT[at + 3] = 80;
    OUT[at + 4] = 95;
    at += 5;
  }
  for (let i = start; i < end; i++) {
    const c = bytes[i]!;
    OUT[at++] = c === 45 ? 95 : c >= 97 && c <= 122 ? c - 32 : c;
  }
}

/**
 * Same name, case ignored. Unlike uWSGI, "X-A" and "X_A" are not merged: with
 * http-underscores-in-headers both are passed as they came.
 */
function sameName(bytes: Uint8Array, a: number, b: number): boolean {
  const aStart = FIELDS[a * 4]!;
  const bStart = FIELDS[b * 4]!;
  const n = FIELDS[a * 4 + 1]! - aStart;
  if (FIELDS[b * 4 + 1]! - bStart !== n) return false;
  for (let i = 0; i < n; i++) {
    let x = bytes[aStart + i]!;
    let y = bytes[bStart + i]!;
    if (x >= 65 && x <= 90) x |= 0x20;
    if (y >= 65 && y <= 90) y |= 0x20;
    if (x !== y) return false;
  }
  return true;
}

/** Writes one header var, with the values of later same-named fields joined by ", ". */
function header(head: RequestHead, i: number, skip: number): void {
  const bytes = head.bytes;
  const f = i * 4;
  headerKey(bytes, FIELDS[f]!, FIELDS[f + 1]!);
  const lengthAt = at;
  at += 2;
  const valueStart = at;
  copy(bytes, FIELDS[f + 2]!, FIELDS[f + 3]!);
  const hash = FIELD_HASHES[i]!;
  for (let j = i + 1; j < head.count; j++) {
    if (FIELD_HASHES[j] !== hash || (FIELD_ROLES[j]! & skip) !== 0 || !sameName(bytes, i, j)) {
      continue;
    }
    MERGED[j] = 1;
    OUT[at] = 44;
    OUT[at + 1] = 32;
    at += 2;
    copy(bytes, FIELDS[j * 4 + 2]!, FIELDS[j * 4 + 3]!);
  }
  const n = at - valueStart;
  OUT[lengthAt] = n & 0xff;
  OUT[lengthAt + 1] = (n >> 8) & 0xff;
}

/**
 * The packet (header + vars) of `head`; throws RangeError when the vars exceed 65535
 * bytes. `protocol` overrides SERVER_PROTOCOL (HTTP/2 requests).
 */
export function requestPacket(
  head: RequestHead,
  template: PacketTemplate,
  facts: PacketFacts,
  protocol?: string,
): Uint8Array {
  const bytes = head.bytes;
  at = HEADER_SIZE;
  text("REQUEST_METHOD");
  u16(head.methodEnd - head.start);
  copy(bytes, head.start, head.methodEnd);
  const q = findByte(bytes, 63, head.targetStart, head.targetEnd);
  if (q >= 0) {
    text("PATH_INFO");
    at = writePathInfo(bytes, head.targetStart, q, OUT, at);
    text("REQUEST_URI");
    u16(head.targetEnd - head.targetStart);
    copy(bytes, head.targetStart, head.targetEnd);
    text("QUERY_STRING");
    u16(head.targetEnd - q - 1);
    copy(bytes, q + 1, head.targetEnd);
  } else {
    text("REQUEST_URI");
    u16(head.targetEnd - head.targetStart);
    copy(bytes, head.targetStart, head.targetEnd);
    text("PATH_INFO");
    at = writePathInfo(bytes, head.targetStart, head.targetEnd, OUT, at);
    pair("QUERY_STRING", "");
  }
  pair("SERVER_PROTOCOL", protocol ?? (head.http11 ? "HTTP/1.1" : "HTTP/1.0"));
  copy(template.fixed, 0, template.fixed.length);
  if (facts.https) pair("HTTPS", "on");
  pair("REMOTE_ADDR", facts.remoteAddr);
  pair("REMOTE_PORT", facts.remotePort);

  let skip = FIELD_DROPPED;
  if (head.chunked) skip |= FIELD_TRANSFER_ENCODING;
  if (facts.replaceForwarded) skip |= FIELD_X_FORWARDED;
  if (facts.dropRequestId) skip |= FIELD_REQUEST_ID;
  for (let i = 0; i < head.count; i++) MERGED[i] = 0;
  let length = false;
  for (let i = 0; i < head.count; i++) {
    const role = FIELD_ROLES[i]!;
    if ((role & skip) !== 0 || MERGED[i] === 1) continue;
    if (role === FIELD_CONTENT_LENGTH) {
      // repeated or listed lengths were checked equal: the backend gets one number
      if (!length) pair("CONTENT_LENGTH", String(head.contentLength));
      length = true;
      continue;
    }
    header(head, i, skip);
    if (template.serverNameAsHost && (role & FIELD_HOST) !== 0) {
      text("SERVER_NAME");
      u16(FIELDS[i * 4 + 3]! - FIELDS[i * 4 + 2]!);
      copy(bytes, FIELDS[i * 4 + 2]!, FIELDS[i * 4 + 3]!);
    }
  }
  if (facts.forwardedFor !== undefined) pair("HTTP_X_FORWARDED_FOR", facts.forwardedFor);
  if (facts.forwardedProto !== undefined) pair("HTTP_X_FORWARDED_PROTO", facts.forwardedProto);
  if (facts.dropRequestId && facts.requestId !== undefined) {
    pair("HTTP_X_REQUEST_ID", facts.requestId);
  }
  for (const [key, value] of facts.more) pair(key, value);
  if (at + template.extra.length <= OUT.length) copy(template.extra, 0, template.extra.length);
  const size = at - HEADER_SIZE;
  if (size > MAX_VARS_SIZE) {
    throw new RangeError(`The uwsgi var block is ${size} bytes, more than ${MAX_VARS_SIZE}`);
  }
  OUT[0] = template.modifier1;
  OUT[1] = size & 0xff;
  OUT[2] = size >> 8;
  OUT[3] = template.modifier2;
  return OUT.slice(0, at);
}

/** `packet` with one more var at its end (CONTENT_LENGTH of a de-chunked body). */
export function withVar(packet: Uint8Array, key: string, value: string): Uint8Array {
  const size = packet[1]! | (packet[2]! << 8);
  const added = 4 + key.length + value.length;
  if (size + added > MAX_VARS_SIZE) {
    throw new RangeError(
      `The uwsgi var block is ${size + added} bytes, more than ${MAX_VARS_SIZE}`,
    );
  }
  OUT.set(packet, 0);
  at = packet.length;
  pair(key, value);
  OUT[1] = (size + added) & 0xff;
  OUT[2] = (size + added) >> 8;
  return OUT.slice(0, at);
}
