/**
 * The client's HTTP/1.x request head, parsed from raw bytes by the native engine. Strict
 * where laxness enables request smuggling (spaces before ":", obsolete line folding,
 * conflicting framing), liberal where uWSGI users rely on it (bare LF line ends).
 */

/** Longest request head accepted (as uWSGI's router: 64 KiB); longer -> 431. */
export const MAX_REQUEST_HEAD = 65535;

/** A parsed request head. Header names keep their case; values are trimmed. */
export interface RequestHead {
  method: string;
  target: string;
  /** "HTTP/1.1" or "HTTP/1.0". */
  protocol: string;
  headers: Array<[string, string]>;
  /** Offset just past the blank line. */
  headEnd: number;
}

/** A request the edge answers itself with `status` (400, 431, 505) and closes. */
export class RequestError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = "RequestError";
    this.status = status;
  }
}

const LF = 10;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Index just past the blank line ending the head that starts at `start`, or -1 if it is
 * not there yet. `from` is where new bytes begin (earlier ones were scanned already).
 */
export function findHeadEnd(
  bytes: Uint8Array,
  start: number,
  from: number,
  length: number,
): number {
  for (let i = Math.max(start, from - 3); i < length; i++) {
    if (bytes[i] !== LF) continue;
    const next = bytes[i + 1];
    if (i + 1 < length && next === LF) return i + 2;
    if (i + 2 < length && next === 13 && bytes[i + 2] === LF) return i + 3;
  }
  return -1;
}

/** Bytes as a byte string (one char per byte). */
export function byteString(bytes: Uint8Array, start: number, end: number): string {
  let out = "";
  for (let i = start; i < end; i += 4096) {
    out += String.fromCharCode.apply(
      null,
      bytes.subarray(i, Math.min(end, i + 4096)) as unknown as number[],
    );
  }
  return out;
}

function hasControlBytes(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f) return true;
  }
  return false;
}

/** Parses the head that ends at `headEnd` (from `findHeadEnd`). Throws RequestError. */
export function parseRequestHead(bytes: Uint8Array, start: number, headEnd: number): RequestHead {
  const text = byteString(bytes, start, headEnd);
  const lines = text.split("\n");
  let requestLine = lines[0]!;
  if (requestLine.endsWith("\r")) requestLine = requestLine.slice(0, -1);
  const sp1 = requestLine.indexOf(" ");
  const sp2 = requestLine.indexOf(" ", sp1 + 1);
  if (sp1 <= 0 || sp2 < 0 || requestLine.indexOf(" ", sp2 + 1) >= 0) {
    throw new RequestError(400, `Malformed request line: "${requestLine.slice(0, 100)}"`);
  }
  const method = requestLine.slice(0, sp1);
  const target = requestLine.slice(sp1 + 1, sp2);
  const protocol = requestLine.slice(sp2 + 1);
  if (!TOKEN.test(method) || target === "" || hasControlBytes(target)) {
    throw new RequestError(400, `Malformed request line: "${requestLine.slice(0, 100)}"`);
  }
  if (!/^HTTP\/1\.[01]$/.test(protocol)) {
    if (/^HTTP\/\d\.\d$/.test(protocol)) {
      throw new RequestError(505, `Unsupported protocol version "${protocol}"`);
    }
    throw new RequestError(400, `Malformed request line: "${requestLine.slice(0, 100)}"`);
  }
  const headers: Array<[string, string]> = [];
  for (let i = 1; i < lines.length; i++) {
    let line = lines[i]!;
    if (line.endsWith("\r")) line = line.slice(0, -1);
    if (line === "") continue;
    if (line.charCodeAt(0) === 32 || line.charCodeAt(0) === 9) {
      throw new RequestError(400, "Obsolete header line folding is not accepted");
    }
    const colon = line.indexOf(":");
    const name = colon > 0 ? line.slice(0, colon) : "";
    if (!TOKEN.test(name)) {
      throw new RequestError(400, `Malformed header line: "${line.slice(0, 100)}"`);
    }
    headers.push([name, line.slice(colon + 1).trim()]);
  }
  return { method, target, protocol, headers, headEnd };
}

/** How the request body is framed. */
export type BodyFraming =
  | { kind: "none" }
  | { kind: "length"; length: number }
  | { kind: "chunked" };

/**
 * The body framing of a request; throws RequestError(400) for the smuggling shapes:
 * Content-Length with Transfer-Encoding, differing or malformed Content-Lengths, and a
 * Transfer-Encoding that does not end in chunked (501 for codings we do not decode).
 */
export function requestFraming(headers: ReadonlyArray<[string, string]>): BodyFraming {
  let length: string | undefined;
  let transfer: string | undefined;
  for (const [name, value] of headers) {
    const lower = name.toLowerCase();
    if (lower === "content-length") {
      for (const part of value.split(",")) {
        const v = part.trim();
        if (!/^\d{1,15}$/.test(v)) throw new RequestError(400, `Invalid Content-Length "${value}"`);
        if (length !== undefined && length !== v) {
          throw new RequestError(400, "Conflicting Content-Length headers");
        }
        length = v;
      }
    } else if (lower === "transfer-encoding") {
      transfer = transfer === undefined ? value : `${transfer}, ${value}`;
    }
  }
  if (transfer !== undefined) {
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
    return { kind: "chunked" };
  }
  if (length !== undefined && length !== "0") return { kind: "length", length: Number(length) };
  return length === "0" ? { kind: "length", length: 0 } : { kind: "none" };
}
