/**
 * The rules a parsed request head must meet before it goes anywhere: one valid Host
 * (RFC 9112 §3.2, and uWSGI's limits) and one unambiguous body framing (RFC 9112 §6).
 * Each throws RequestError with the status the edge answers.
 */
import { RequestError, type RequestHead } from "./request_head.ts";

/** Longest Host value (uWSGI's router refuses longer ones). */
const MAX_HOST = 255;

/** RFC 9112 §3.2: HTTP/1.1 needs exactly one Host; uWSGI refuses empty and long ones. */
export function checkHost(head: RequestHead, hosts: number): void {
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
export function checkFraming(
  head: RequestHead,
  length: string | undefined,
  transfer: string | undefined,
): void {
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
