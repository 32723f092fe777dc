/**
 * The PROXY protocol header a load balancer sends before the request (HAProxy's spec):
 * version 1, a text line ("PROXY TCP4 src dst sport dport\r\n"), or version 2, binary
 * (AWS NLB sends it). Its source is the real client. Once enabled it is required: a client
 * must not choose whether its address is believed.
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
  if (bytes[start] === V2_SIGNATURE[0]) return readV2(bytes, start, end);
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

/** The 12 bytes that open a version 2 header. */
const V2_SIGNATURE = [13, 10, 13, 10, 0, 13, 10, 81, 85, 73, 84, 10];

/** A version 2 header; null while incomplete. */
function readV2(bytes: Uint8Array, start: number, end: number): ProxyHeader | null {
  const pending = end - start;
  for (let i = 0; i < Math.min(pending, V2_SIGNATURE.length); i++) {
    if (bytes[start + i] !== V2_SIGNATURE[i]) {
      throw new RequestError(400, "The PROXY protocol header is missing");
    }
  }
  if (pending < 16) return null;
  const versionCommand = bytes[start + 12]!;
  const family = bytes[start + 13]!;
  const length = (bytes[start + 14]! << 8) | bytes[start + 15]!;
  if (versionCommand >> 4 !== 2) {
    throw new RequestError(400, `A PROXY protocol v2 header of version ${versionCommand >> 4}`);
  }
  if (pending < 16 + length) return null;
  const total = 16 + length;
  const command = versionCommand & 0x0f;
  // LOCAL (the balancer's own health check) or an unsupported family: keep the socket's
  if (command === 0) return { length: total, client: undefined };
  if (command !== 1) throw new RequestError(400, `A PROXY protocol v2 command ${command}`);
  const at = start + 16;
  if (family === 0x11 && length >= 12) {
    const address = [...bytes.subarray(at, at + 4)].join(".");
    return { length: total, client: { address, port: (bytes[at + 8]! << 8) | bytes[at + 9]! } };
  }
  if (family === 0x21 && length >= 36) {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) {
      groups.push(((bytes[at + i]! << 8) | bytes[at + i + 1]!).toString(16));
    }
    const port = (bytes[at + 32]! << 8) | bytes[at + 33]!;
    return { length: total, client: { address: compactIpv6(groups), port } };
  }
  return { length: total, client: undefined };
}

/** An IPv6 address in its short form (the longest run of zero groups as "::"). */
function compactIpv6(groups: string[]): string {
  let best = -1;
  let bestLength = 1;
  for (let i = 0; i < groups.length;) {
    if (groups[i] !== "0") {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === "0") j++;
    if (j - i > bestLength) {
      best = i;
      bestLength = j - i;
    }
    i = j;
  }
  if (best < 0) return groups.join(":");
  return `${groups.slice(0, best).join(":")}::${groups.slice(best + bestLength).join(":")}`;
}
