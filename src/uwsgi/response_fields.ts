/**
 * What the edge does with each header field of a backend's response (relay it, drop it as
 * hop-by-hop, act on it for gzip or buffering) and the facts it learns from it on the way
 * (lengths, chunking, Connection: close, Vary, Date, event streams).
 */
import type { ResponseHead } from "./response_head.ts";

const SP = 32;
const HTAB = 9;

/** Hop-by-hop and framing fields: the edge frames responses itself. */
export const ROLE_HOP = 1;
export const ROLE_CONTENT_LENGTH = 2;
/** uWSGI-Encoding, Vary, Content-Encoding: acted on by http-auto-gzip. */
export const ROLE_GZIP_CONTROL = 4;
/** X-Accel-*: instructions to the proxy, never relayed (as nginx). */
export const ROLE_ACCEL = 8;

/** `bytes[start, end)` as a string, a char per byte. */
export function text(bytes: Uint8Array, start: number, end: number): string {
  let out = "";
  for (let i = start; i < end; i++) out += String.fromCharCode(bytes[i]!);
  return out;
}

/** `bytes[start, end)` is `name` (lower case ASCII), ignoring case. */
export function lowerEquals(bytes: Uint8Array, start: number, end: number, name: string): boolean {
  if (end - start !== name.length) return false;
  for (let i = 0; i < name.length; i++) {
    const c = bytes[start + i]!;
    if ((c >= 65 && c <= 90 ? c | 0x20 : c) !== name.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * Reads a Content-Length value (a list of equal numbers counts as one); a repeated field
 * must agree with the first. Differing or malformed values are refused.
 */
function contentLength(head: ResponseHead, b: Uint8Array, start: number, end: number): void {
  let i = start;
  while (i < end) {
    let n = 0;
    const digits = i;
    while (i < end && b[i]! >= 48 && b[i]! <= 57) n = n * 10 + b[i++]! - 48;
    if (i === digits || i - digits > 15) {
      throw new SyntaxError(`An invalid Content-Length "${text(b, start, end)}"`);
    }
    if (head.contentLength >= 0 && head.contentLength !== n) {
      throw new SyntaxError(`Conflicting Content-Length values "${text(b, start, end)}"`);
    }
    head.contentLength = n;
    while (i < end && (b[i] === SP || b[i] === HTAB)) i++;
    if (i < end && b[i++] !== 44) {
      throw new SyntaxError(`An invalid Content-Length "${text(b, start, end)}"`);
    }
    while (i < end && (b[i] === SP || b[i] === HTAB)) i++;
  }
}

/** `b[start, end)` starts with `prefix` (lower case ASCII), ignoring case. */
function startsLower(b: Uint8Array, start: number, end: number, prefix: string): boolean {
  if (end - start < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) {
    const c = b[start + i]!;
    if ((c >= 65 && c <= 90 ? c | 0x20 : c) !== prefix.charCodeAt(i)) return false;
  }
  return true;
}

/** The value is exactly `word` (lower case ASCII), ignoring case. */
function valueIs(b: Uint8Array, start: number, end: number, word: string): boolean {
  return end - start === word.length && startsLower(b, start, end, word);
}

/** What the edge does with a field, and the facts it learns from it. */
export function fieldRole(
  head: ResponseHead,
  b: Uint8Array,
  ns: number,
  ne: number,
  vs: number,
  ve: number,
): number {
  switch (ne - ns) {
    case 2:
      return lowerEquals(b, ns, ne, "te") ? ROLE_HOP : 0;
    case 4:
      if (lowerEquals(b, ns, ne, "vary")) {
        const value = text(b, vs, ve);
        head.vary = head.vary === undefined ? value : `${head.vary}, ${value}`;
        return ROLE_GZIP_CONTROL;
      }
      if (lowerEquals(b, ns, ne, "date")) head.hasDate = true;
      return 0;
    case 7:
      if (lowerEquals(b, ns, ne, "upgrade")) return ROLE_HOP;
      return lowerEquals(b, ns, ne, "trailer") ? ROLE_HOP : 0;
    case 10:
      if (lowerEquals(b, ns, ne, "connection")) {
        if (/(^|,)\s*close\s*(,|$)/i.test(text(b, vs, ve))) head.connectionClose = true;
        return ROLE_HOP;
      }
      return lowerEquals(b, ns, ne, "keep-alive") ? ROLE_HOP : 0;
    case 12:
      if (lowerEquals(b, ns, ne, "content-type") && startsLower(b, vs, ve, "text/event-stream")) {
        const next = b[vs + 17];
        head.eventStream = vs + 17 === ve || next === 59 || next === SP || next === HTAB;
      }
      return 0;
    case 14:
      if (lowerEquals(b, ns, ne, "content-length")) {
        contentLength(head, b, vs, ve);
        return ROLE_CONTENT_LENGTH;
      }
      if (lowerEquals(b, ns, ne, "uwsgi-encoding")) {
        head.uwsgiGzip = valueIs(b, vs, ve, "gzip");
        return ROLE_GZIP_CONTROL;
      }
      return 0;
    case 16:
      if (lowerEquals(b, ns, ne, "content-encoding")) {
        head.contentEncoding = true;
        return ROLE_GZIP_CONTROL;
      }
      return lowerEquals(b, ns, ne, "proxy-connection") ? ROLE_HOP : 0;
    case 17:
      if (lowerEquals(b, ns, ne, "transfer-encoding")) {
        if (/chunked/i.test(text(b, vs, ve))) head.chunked = true;
        return ROLE_HOP;
      }
      return lowerEquals(b, ns, ne, "x-accel-buffering") ? accel(head, b, vs, ve) : 0;
    default:
      return 0;
  }
}

/** `X-Accel-Buffering`: `no` turns response buffering off for this response. */
function accel(head: ResponseHead, b: Uint8Array, vs: number, ve: number): number {
  head.noBuffering = valueIs(b, vs, ve, "no");
  return ROLE_ACCEL;
}
