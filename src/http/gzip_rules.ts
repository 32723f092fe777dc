/**
 * Which responses `http-auto-gzip` compresses and how their head changes (spec §2.8): the
 * same rules for HTTP/1.1 heads (client_head.ts) and HTTP/2 fields (h2_fields.ts).
 */
import { RESPONSE_FIELDS, type ResponseHead } from "../uwsgi/response_head.ts";

/** Marked by the app (`uWSGI-Encoding: gzip`), not sized, not encoded already, with a body. */
export function gzipEligible(head: ResponseHead): boolean {
  return head.uwsgiGzip && head.contentLength < 0 && !head.chunked && !head.contentEncoding &&
    head.status >= 200 && head.status !== 204 && head.status !== 304;
}

/** The Vary value sent: the backend's, with Accept-Encoding added to an eligible response's. */
export function gzipVary(head: ResponseHead, eligible: boolean): string | undefined {
  const vary = head.vary;
  if (!eligible || /(^|,)\s*(accept-encoding|\*)\s*(,|$)/i.test(vary ?? "")) return vary;
  return vary === undefined ? "Accept-Encoding" : `${vary}, Accept-Encoding`;
}

/**
 * Field i of the head (one of the gzip control fields) is Content-Encoding, which is kept;
 * uWSGI-Encoding (an instruction to the router) and Vary (sent rewritten) are not.
 */
export function isContentEncoding(src: Uint8Array, i: number): boolean {
  const start = RESPONSE_FIELDS[i * 4]!;
  return RESPONSE_FIELDS[i * 4 + 1]! - start === 16 && (src[start]! | 0x20) === 99;
}
