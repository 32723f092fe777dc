/**
 * Header fields between HTTP/2 and the engine: a stream's request fields become an
 * HTTP/1.1 head (parsed by the same parser as every request), and a backend's response
 * head becomes the header object node:http2 sends.
 */
import { RESPONSE_FIELDS, RESPONSE_ROLES, type ResponseHead } from "../uwsgi/response_head.ts";
import {
  ROLE_ACCEL,
  ROLE_CONTENT_LENGTH,
  ROLE_GZIP_CONTROL,
  ROLE_HOP,
} from "../uwsgi/response_fields.ts";
import { latin1 } from "./client_head.ts";
import { gzipEligible, gzipVary, isContentEncoding } from "./gzip_rules.ts";
import { byteString, RequestError } from "./request_head.ts";

/** The request line's parts, for the access log. */
export interface H2Target {
  method: string;
  uri: string;
}

/** What would end a header line early in the HTTP/1.1 form. */
const LINE_BREAK = /[\r\n\0]/;

/** Fields HTTP/2 forbids in requests (RFC 9113, 8.2.2): their HTTP/1.1 meaning would apply. */
const CONNECTION_SPECIFIC = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
]);

/**
 * The HTTP/1.1 head of a stream's fields (name, value, ... as received). `:authority` is the
 * Host; cookie crumbs are joined into one Cookie field again (RFC 9113, 8.2.3). Throws
 * RequestError 400 for what HTTP/2 does not allow in a request.
 */
export function http1Head(fields: string[], target: H2Target): Uint8Array {
  let method = "";
  let path = "";
  let authority = "";
  let host = "";
  let cookie = "";
  let lines = "";
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i]!;
    const value = fields[i + 1]!;
    if (LINE_BREAK.test(name) || LINE_BREAK.test(value)) {
      throw new RequestError(400, `A line break in the HTTP/2 header field ${name}`);
    }
    if (name.charCodeAt(0) === 58) {
      if (name === ":method") method = value;
      else if (name === ":path") path = value;
      else if (name === ":authority") authority = value;
    } else if (name === "cookie") {
      cookie = cookie === "" ? value : `${cookie}; ${value}`;
    } else if (name === "host") {
      host = value;
    } else if (CONNECTION_SPECIFIC.has(name)) {
      throw new RequestError(400, `The connection-specific field ${name} in an HTTP/2 request`);
    } else {
      lines += `${name}: ${value}\r\n`;
    }
  }
  target.method = method;
  // CONNECT has no :path: its target is the authority, as in HTTP/1.1
  target.uri = path !== "" ? path : authority;
  let head = `${method} ${target.uri} HTTP/1.1\r\n`;
  if (authority !== "" || host !== "") head += `Host: ${authority || host}\r\n`;
  if (cookie !== "") head += `Cookie: ${cookie}\r\n`;
  return latin1(`${head}${lines}\r\n`);
}

/** What `http-auto-gzip` does to a response: nothing (off), or rewrite its fields and gzip. */
export interface H2Gzip {
  /** `http-auto-gzip` is on: uWSGI-Encoding is dropped and Vary rewritten. */
  auto: boolean;
  /** The edge gzips this body, or would (HEAD): Content-Encoding: gzip is added. */
  gzip: boolean;
}

/**
 * The response header object of a backend's head: hop-by-hop and X-Accel fields dropped,
 * names in lower case, repeated ones as arrays, `extra` after them, and the gzip fields
 * as for HTTP/1.1.
 */
export function h2ResponseHeaders(
  head: ResponseHead,
  extra: Array<[string, string]>,
  gzip: H2Gzip,
): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = { ":status": String(head.status) };
  const bytes = head.bytes;
  for (let i = 0; i < head.count; i++) {
    const role = RESPONSE_ROLES[i]!;
    if ((role & (ROLE_HOP | ROLE_ACCEL)) !== 0) continue;
    if (role === ROLE_CONTENT_LENGTH && head.chunked) continue;
    if (gzip.auto && (role & ROLE_GZIP_CONTROL) !== 0 && !isContentEncoding(bytes, i)) continue;
    const f = i * 4;
    add(
      headers,
      byteString(bytes, RESPONSE_FIELDS[f]!, RESPONSE_FIELDS[f + 1]!).toLowerCase(),
      byteString(bytes, RESPONSE_FIELDS[f + 2]!, RESPONSE_FIELDS[f + 3]!),
    );
  }
  if (gzip.auto) {
    const vary = gzipVary(head, gzipEligible(head));
    if (vary !== undefined) headers.vary = vary;
    if (gzip.gzip) headers["content-encoding"] = "gzip";
  }
  for (const [name, value] of extra) add(headers, name.toLowerCase(), value);
  return headers;
}

function add(headers: Record<string, string | string[]>, name: string, value: string): void {
  const seen = headers[name];
  if (seen === undefined) headers[name] = value;
  else if (Array.isArray(seen)) seen.push(value);
  else headers[name] = [seen, value];
}
