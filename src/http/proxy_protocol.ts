/**
 * The PROXY protocol header a load balancer sends before the request (HAProxy's spec,
 * version 1: "PROXY TCP4 src dst sport dport\r\n"): its source is the real client.
 */
import { byteString, RequestError } from "./request_head.ts";

/** Longest v1 line, CRLF included. */
const MAX_V1 = 108;
const PREFIX = "PROXY ";

/** A parsed header: bytes it took and the client it names (none for UNKNOWN). */
export interface ProxyHeader {
  length: number;
  client: { address: string; port: number } | undefined;
}

/**
 * Reads a PROXY header at `bytes[start, end)`: null while more bytes are needed. Throws
 * RequestError(400) when the connection does not start with a well-formed header.
 */
export function readProxyHeader(bytes: Uint8Array, start: number, end: number): ProxyHeader | null {
  const pending = end - start;
  for (let i = 0; i < Math.min(pending, PREFIX.length); i++) {
    if (bytes[start + i] !== PREFIX.charCodeAt(i)) {
      throw new RequestError(400, "The PROXY protocol header is missing");
    }
  }
  if (pending < PREFIX.length) return null;
  let lf = -1;
  for (let i = start; i < end && i < start + MAX_V1; i++) {
    if (bytes[i] === 10) {
      lf = i;
      break;
    }
  }
  if (lf < 0) {
    if (pending >= MAX_V1) throw new RequestError(400, "The PROXY protocol line is too long");
    return null;
  }
  const line = byteString(bytes, start, lf).replace(/\r$/, "");
  const parts = line.split(" ");
  if (parts[1] === "UNKNOWN") return { length: lf + 1 - start, client: undefined };
  const port = parts[4] ?? "";
  if (
    parts.length === 6 && (parts[1] === "TCP4" || parts[1] === "TCP6") &&
    /^\d{1,5}$/.test(port) && Number(port) < 65536
  ) {
    return { length: lf + 1 - start, client: { address: parts[2]!, port: Number(port) } };
  }
  throw new RequestError(400, `Malformed PROXY protocol line: "${line.slice(0, MAX_V1)}"`);
}
