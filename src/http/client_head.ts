/**
 * The client's response head for a backend's head, and how the body is framed towards the
 * client (spec §2.6-2.7, §11 #9, #11, #20). Header lines are copied byte for byte from the
 * backend's head; only hop-by-hop and framing fields are dropped and the edge's own added.
 */
import { SCRATCH } from "./scratch.ts";
import { gzipEligible, gzipVary, isContentEncoding } from "./gzip_rules.ts";
import { RESPONSE_FIELDS, RESPONSE_ROLES, type ResponseHead } from "../uwsgi/response_head.ts";
import {
  ROLE_ACCEL,
  ROLE_CONTENT_LENGTH,
  ROLE_GZIP_CONTROL,
  ROLE_HOP,
} from "../uwsgi/response_fields.ts";

/** How the body travels to the client. */
export type ClientFraming =
  /** no body at all (HEAD, 1xx, 204, 304) */
  | "none"
  /** exactly Content-Length bytes, as the backend framed them */
  | "length"
  /** chunked by the edge (sizeless or chunked backend bodies, HTTP/1.1 clients) */
  | "chunk"
  /** a sizeless body ended by closing the connection */
  | "close";

/** What the request side contributes to the decision. */
export interface ClientSide {
  /** The request was HEAD: no body goes out whatever the head says. */
  headOnly: boolean;
  /** The client spoke HTTP/1.1. */
  http11: boolean;
  /** The connection may stay open after this response (as far as the request goes). */
  keepAlive: boolean;
  /** `add-header` lines, encoded ("Name: value\r\n" each). */
  addHeaders: Uint8Array;
  /** The X-Request-Id line's value (undefined: no line). */
  requestId: string | undefined;
  /** The Date line to add when the backend sent none. */
  date: Uint8Array;
  /** `http-auto-gzip` is on. */
  autoGzip: boolean;
  /** The client's Accept-Encoding accepts gzip. */
  acceptsGzip: boolean;
}

/** The head (at HEAD_OUT[0, headLength)) and how to send the body. */
export interface ClientResponse {
  headLength: number;
  framing: ClientFraming;
  /** Body bytes announced by Content-Length (framing "length"). */
  contentLength: number;
  /** The connection stays open after the body. */
  keepAlive: boolean;
  /** The body is gzipped by the edge; framing is "chunk" or "close". */
  gzip: boolean;
}

/** Where `clientHead()` writes (the shared scratch buffer); read it before the next call. */
export let HEAD_OUT = SCRATCH;
let at = 0;

function ascii(text: string): void {
  for (let i = 0; i < text.length; i++) HEAD_OUT[at + i] = text.charCodeAt(i);
  at += text.length;
}

function bytes(source: Uint8Array, start: number, end: number): void {
  const n = end - start;
  if (n <= 128) {
    for (let i = 0; i < n; i++) HEAD_OUT[at + i] = source[start + i]!;
  } else {
    HEAD_OUT.set(source.subarray(start, end), at);
  }
  at += n;
}

/** Bytes of a byte string. */
export function latin1(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

/** "HTTP/1.1 " + the backend's status code and reason ("Unknown" when it had none). */
function statusLine(backend: ResponseHead): void {
  ascii("HTTP/1.1 ");
  if (backend.cgiReason !== undefined || backend.reasonEnd === backend.reasonStart) {
    ascii(`${backend.status} ${backend.cgiReason || "Unknown"}\r\n`);
    return;
  }
  ascii(String(backend.status));
  HEAD_OUT[at++] = 32;
  bytes(backend.bytes, backend.reasonStart, backend.reasonEnd);
  HEAD_OUT[at++] = 13;
  HEAD_OUT[at++] = 10;
}

/** Decides the framing of a response. */
function framingOf(backend: ResponseHead, client: ClientSide): ClientFraming {
  const status = backend.status;
  if (client.headOnly || status < 200 || status === 204 || status === 304) return "none";
  if (backend.contentLength >= 0) return "length";
  return client.http11 && client.keepAlive ? "chunk" : "close";
}

/** Builds the client's head for a backend head into HEAD_OUT. */
export function clientHead(backend: ResponseHead, client: ClientSide): ClientResponse {
  const id = client.requestId;
  const room = backend.bodyStart + client.addHeaders.length + (id?.length ?? 0) + 512;
  HEAD_OUT = room > SCRATCH.length ? new Uint8Array(room) : SCRATCH;
  at = 0;
  statusLine(backend);
  const src = backend.bytes;
  const eligible = client.autoGzip && gzipEligible(backend);
  const framing = framingOf(backend, client);
  // an eligible response to HEAD says Content-Encoding as its GET would (RFC 9110 §9.3.2)
  const encoded = eligible && client.acceptsGzip;
  const gzip = encoded && framing !== "none";
  for (let i = 0; i < backend.count; i++) {
    const role = RESPONSE_ROLES[i]!;
    if ((role & (ROLE_HOP | ROLE_ACCEL)) !== 0) continue;
    // uWSGI-Encoding is an instruction to the router: acted on here, never forwarded
    if (client.autoGzip && (role & ROLE_GZIP_CONTROL) !== 0) {
      if (!isContentEncoding(src, i)) continue;
    }
    if (role === ROLE_CONTENT_LENGTH && backend.chunked) continue;
    const f = i * 4;
    bytes(src, RESPONSE_FIELDS[f]!, RESPONSE_FIELDS[f + 1]!);
    HEAD_OUT[at++] = 58;
    HEAD_OUT[at++] = 32;
    bytes(src, RESPONSE_FIELDS[f + 2]!, RESPONSE_FIELDS[f + 3]!);
    HEAD_OUT[at++] = 13;
    HEAD_OUT[at++] = 10;
  }
  if (client.autoGzip) {
    const vary = gzipVary(backend, eligible);
    if (vary !== undefined) ascii(`Vary: ${vary}\r\n`);
    if (encoded) ascii("Content-Encoding: gzip\r\n");
  }
  if (!backend.hasDate) bytes(client.date, 0, client.date.length);
  bytes(client.addHeaders, 0, client.addHeaders.length);
  if (id !== undefined) {
    ascii("X-Request-Id: ");
    ascii(id);
    HEAD_OUT[at++] = 13;
    HEAD_OUT[at++] = 10;
  }
  const keepAlive = client.keepAlive && !backend.connectionClose && framing !== "close";
  if (framing === "chunk") ascii("Transfer-Encoding: chunked\r\n");
  if (!keepAlive) ascii("Connection: close\r\n");
  else if (!client.http11) ascii("Connection: keep-alive\r\n");
  HEAD_OUT[at++] = 13;
  HEAD_OUT[at++] = 10;
  return {
    headLength: at,
    framing,
    contentLength: Math.max(0, backend.contentLength),
    keepAlive,
    gzip,
  };
}

/** The head as its own bytes (error pages, tests). */
export function headBytes(response: ClientResponse): Uint8Array {
  return HEAD_OUT.slice(0, response.headLength);
}

/** Reason phrases of the statuses the edge produces itself. */
export const STATUS_TEXT: Record<number, string> = {
  200: "OK",
  404: "Not Found",
  400: "Bad Request",
  408: "Request Timeout",
  413: "Content Too Large",
  417: "Expectation Failed",
  431: "Request Header Fields Too Large",
  499: "Client Closed Request",
  501: "Not Implemented",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
  505: "HTTP Version Not Supported",
};

/** A `Date` header line for the edge's own answers (RFC 9110 §6.6.1: an origin sends one). */
export function httpDate(): string {
  return `Date: ${new Date().toUTCString()}\r\n`;
}

/** An answer of the edge's own, with a short plain-text body. */
export function errorResponse(
  status: number,
  keepAlive: boolean,
  extra = "",
): Uint8Array {
  const reason = STATUS_TEXT[status] ?? "Error";
  const body = `${status} ${reason}\n`;
  return latin1(
    `HTTP/1.1 ${status} ${reason}\r\n${httpDate()}Content-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${body.length}\r\n${extra}${
        keepAlive ? "" : "Connection: close\r\n"
      }\r\n${body}`,
  );
}
