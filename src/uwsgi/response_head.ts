/**
 * The backend's response head: a raw HTTP/1.x status line and headers (spec §1.4). The
 * body that follows streams until the backend closes.
 */

/** Longest response head accepted from a backend. */
export const MAX_RESPONSE_HEAD = 65536;

/** A parsed response head. */
export interface ResponseHead {
  status: number;
  reason: string;
  /** Header lines in order, names as sent. */
  headers: Array<[string, string]>;
  /** Offset of the first body byte in the buffer parsed. */
  bodyStart: number;
}

const CR = 13;
const LF = 10;

/** Index just past the blank line ending the head in `bytes[0..length)`, or -1. */
function headEnd(bytes: Uint8Array, length: number): number {
  for (let i = 0; i < length; i++) {
    if (bytes[i] !== LF) continue;
    if (bytes[i + 1] === LF && i + 1 < length) return i + 2;
    if (bytes[i + 1] === CR && bytes[i + 2] === LF && i + 2 < length) return i + 3;
  }
  return -1;
}

/**
 * Parses the head in `bytes[0..length)`; null while it is incomplete. Throws RangeError
 * when it is too long and SyntaxError when it is not an HTTP response head.
 */
export function parseResponseHead(bytes: Uint8Array, length: number): ResponseHead | null {
  const end = headEnd(bytes, length);
  if (end < 0) {
    if (length >= MAX_RESPONSE_HEAD) {
      throw new RangeError(`The response head is longer than ${MAX_RESPONSE_HEAD} bytes`);
    }
    if (length >= 5 && !startsWithHttp(bytes) && !startsWithStatus(bytes)) {
      throw new SyntaxError("The response does not start with an HTTP status line");
    }
    return null;
  }
  let text = "";
  for (let i = 0; i < end; i += 8192) {
    text += String.fromCharCode(...bytes.subarray(i, Math.min(end, i + 8192)));
  }
  const lines = text.split(/\r?\n/);
  const first = lines[0]!;
  let status: number;
  let reason: string;
  const headers: Array<[string, string]> = [];
  let from = 1;
  const statusLine = /^HTTP\/\d\.\d (\d{3})(?: (.*))?$/.exec(first);
  if (statusLine) {
    status = Number(statusLine[1]);
    reason = statusLine[2] ?? "";
  } else {
    // CGI-style "Status: 200 OK" head (backend `cgi-mode`)
    from = 0;
    status = 200;
    reason = "OK";
  }
  for (let i = from; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === "") continue;
    const colon = line.indexOf(":");
    if (colon <= 0) throw new SyntaxError(`A response header line has no name: "${line}"`);
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (!statusLine && name.toLowerCase() === "status") {
      const m = /^(\d{3})(?: (.*))?$/.exec(value);
      if (!m) throw new SyntaxError(`A CGI Status header is malformed: "${value}"`);
      status = Number(m[1]);
      reason = m[2] ?? "";
      continue;
    }
    headers.push([name, value]);
  }
  if (!statusLine && !lines.some((l) => /^status:/i.test(l))) {
    throw new SyntaxError(`The response status line is malformed: "${first.slice(0, 80)}"`);
  }
  return { status, reason, headers, bodyStart: end };
}

function startsWithHttp(bytes: Uint8Array): boolean {
  return bytes[0] === 72 && bytes[1] === 84 && bytes[2] === 84 && bytes[3] === 80 &&
    bytes[4] === 47;
}

function startsWithStatus(bytes: Uint8Array): boolean {
  // CGI heads may start with any header; only reject bytes that cannot be a header name
  for (let i = 0; i < 5; i++) {
    const c = bytes[i]!;
    if (c <= 32 || c >= 127) return false;
  }
  return true;
}
