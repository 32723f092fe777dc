/**
 * The native engine's response head: what the client gets for a backend's head, and how
 * the body is framed towards it (spec §2.6-2.7 and §11 #9, #11, #20).
 */
import type { ResponseHead } from "../uwsgi/response_head.ts";

/** How the body travels to the client. */
export type ClientFraming =
  /** no body at all (HEAD, 1xx, 204, 304) */
  | "none"
  /** exactly Content-Length bytes, as the backend framed them */
  | "length"
  /** the backend's own chunked stream, relayed as it is (HTTP/1.1 clients) */
  | "relay-chunked"
  /** the backend's chunked stream decoded, close-delimited (HTTP/1.0 clients) */
  | "dechunk-close"
  /** a sizeless body chunked by the edge (HTTP/1.1 clients) */
  | "chunk"
  /** a sizeless body ended by closing the connection */
  | "close";

/** What the request side contributes to the decision. */
export interface ClientSide {
  method: string;
  /** The client spoke HTTP/1.1. */
  http11: boolean;
  /** The connection may stay open after this response (as far as the request goes). */
  keepAlive: boolean;
  /** Headers the edge adds to every response (`add-header`). */
  addHeaders: ReadonlyArray<[string, string]>;
  /** `http-auto-gzip` is on. */
  autoGzip?: boolean;
  /** The client's Accept-Encoding accepts gzip. */
  acceptsGzip?: boolean;
}

/** The head to write and how to send the body. */
export interface ClientResponse {
  head: Uint8Array;
  framing: ClientFraming;
  /** Body bytes announced by Content-Length (framing "length"). */
  contentLength: number;
  /** The connection stays open after the body. */
  keepAlive: boolean;
  /** The body is gzipped by the edge (`http-auto-gzip`); framing is "chunk" or "close". */
  gzip: boolean;
}

/** Response headers the edge never forwards: it frames responses itself. */
export const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
  "trailer",
  "te",
]);

/** Bytes of a byte string. */
export function latin1(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

/** Builds the client's response head for a backend head. */
export function clientResponse(backend: ResponseHead, client: ClientSide): ClientResponse {
  let contentLength = -1;
  let chunked = false;
  let connectionClose = false;
  let uwsgiGzip = false;
  let contentEncoding = false;
  let vary: string | undefined;
  let text = `HTTP/1.1 ${backend.status} ${backend.reason || "Unknown"}\r\n`;
  for (const [name, value] of backend.headers) {
    const lower = name.toLowerCase();
    if (client.autoGzip) {
      // uWSGI-Encoding is an instruction to the router: acted on here, never forwarded
      if (lower === "uwsgi-encoding") {
        uwsgiGzip = value.trim().toLowerCase() === "gzip";
        continue;
      }
      if (lower === "vary") {
        vary = vary === undefined ? value : `${vary}, ${value}`;
        continue;
      }
      if (lower === "content-encoding") contentEncoding = true;
    }
    if (HOP_BY_HOP.has(lower)) {
      if (lower === "transfer-encoding" && /chunked/i.test(value)) chunked = true;
      if (lower === "connection" && /(^|,)\s*close\s*(,|$)/i.test(value)) connectionClose = true;
      continue;
    }
    if (lower === "content-length") {
      if (contentLength >= 0 || !/^\d{1,15}$/.test(value)) {
        // duplicate or malformed lengths cannot be trusted: relay close-delimited
        contentLength = -2;
        continue;
      }
      contentLength = Number(value);
    }
    text += `${name}: ${value}\r\n`;
  }
  const status = backend.status;
  // gzip-eligible: marked by the app, not sized, not encoded already (spec §2.8)
  const eligible = uwsgiGzip && contentLength === -1 && !chunked && !contentEncoding &&
    status >= 200 && status !== 204 && status !== 304;
  const gzip = eligible && client.acceptsGzip === true;
  if (eligible && !/(^|,)\s*(accept-encoding|\*)\s*(,|$)/i.test(vary ?? "")) {
    vary = vary === undefined ? "Accept-Encoding" : `${vary}, Accept-Encoding`;
  }
  if (vary !== undefined) text += `Vary: ${vary}\r\n`;
  if (gzip) text += "Content-Encoding: gzip\r\n";
  for (const [name, value] of client.addHeaders) text += `${name}: ${value}\r\n`;

  let framing: ClientFraming;
  if (client.method === "HEAD" || status < 200 || status === 204 || status === 304) {
    framing = "none";
  } else if (chunked) {
    framing = client.http11 ? "relay-chunked" : "dechunk-close";
  } else if (contentLength >= 0) {
    framing = "length";
  } else {
    framing = client.http11 && client.keepAlive ? "chunk" : "close";
  }
  if (contentLength === -2) {
    text = text.replace(/^content-length:.*\r\n/gim, "");
    contentLength = -1;
  }
  const keepAlive = client.keepAlive && !connectionClose && framing !== "close" &&
    framing !== "dechunk-close";
  if (framing === "chunk" || framing === "relay-chunked") text += "Transfer-Encoding: chunked\r\n";
  if (!keepAlive) text += "Connection: close\r\n";
  else if (!client.http11) text += "Connection: keep-alive\r\n";
  text += "\r\n";
  return {
    head: latin1(text),
    framing,
    contentLength: Math.max(0, contentLength),
    keepAlive,
    gzip: gzip && (framing === "chunk" || framing === "close"),
  };
}

/** A small error response of the edge itself. */
export function errorHead(status: number, reason: string, keepAlive: boolean): Uint8Array {
  const body = `${status} ${reason}\n`;
  return latin1(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${body.length}\r\n${keepAlive ? "" : "Connection: close\r\n"}\r\n${body}`,
  );
}
