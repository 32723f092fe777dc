/**
 * `struct sockaddr` for the binary's own sockets: IPv4, IPv6 and unix addresses encoded for
 * bind(2) and connect(2), and peers decoded from accept4(2). Only numeric hosts: names are
 * left to the runtime's resolver (the caller falls back to Bun's sockets for them).
 */
import { AF_INET, AF_INET6, AF_UNIX } from "./_sys.ts";

/** sun_path holds 108 bytes, its NUL included. */
const MAX_UNIX_PATH = 107;
/** Room for any address accept4(2) returns (struct sockaddr_storage). */
export const SOCKADDR_MAX = 128;

/** An encoded address and the length to pass with it. */
export interface SockAddr {
  family: number;
  bytes: Uint8Array;
}

/** The address of a dotted IPv4 text, or null when `host` is not one. */
function ipv4(host: string): number[] | null {
  const parts = host.split(".");
  if (parts.length !== 4) return null;
  const out: number[] = [];
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return null;
    out.push(Number(part));
  }
  return out;
}

/** The 16 bytes of an IPv6 text (with `::` and a dotted tail), or null when `host` is not one. */
function ipv6(host: string): Uint8Array | null {
  if (!host.includes(":") || host.includes("%")) return null;
  let text = host;
  const tail: number[] = [];
  const lastColon = text.lastIndexOf(":");
  const last = text.slice(lastColon + 1);
  if (last.includes(".")) {
    const v4 = ipv4(last);
    if (v4 === null) return null;
    tail.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
    text = text.slice(0, lastColon);
    // "::1.2.3.4" and "a::1.2.3.4" keep their "::"
    if (text.endsWith(":")) text += ":";
  }
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const groups = (part: string) =>
    part === ""
      ? []
      : part.split(":").map((g) => /^[0-9a-fA-F]{1,4}$/.test(g) ? parseInt(g, 16) : NaN);
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  if ([...head, ...rest].some(Number.isNaN)) return null;
  const given = head.length + rest.length + tail.length;
  if (halves.length === 1 ? given !== 8 : given > 7) return null;
  const words = [...head, ...new Array<number>(8 - given).fill(0), ...rest, ...tail];
  const bytes = new Uint8Array(16);
  words.forEach((word, i) => {
    bytes[2 * i] = word >> 8;
    bytes[2 * i + 1] = word & 0xff;
  });
  return bytes;
}

/** The sockaddr of a numeric host and a port, or null when the host is a name. */
export function inetAddress(host: string, port: number): SockAddr | null {
  const v4 = ipv4(host);
  if (v4 !== null) {
    const bytes = new Uint8Array(16);
    bytes[0] = AF_INET;
    bytes[2] = port >> 8;
    bytes[3] = port & 0xff;
    bytes.set(v4, 4);
    return { family: AF_INET, bytes };
  }
  const v6 = ipv6(host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host);
  if (v6 === null) return null;
  const bytes = new Uint8Array(28);
  bytes[0] = AF_INET6;
  bytes[2] = port >> 8;
  bytes[3] = port & 0xff;
  bytes.set(v6, 8);
  return { family: AF_INET6, bytes };
}

/** The sockaddr of a unix socket path; throws when the path does not fit. */
export function unixAddress(path: string): SockAddr {
  const name = new TextEncoder().encode(path);
  if (name.length > MAX_UNIX_PATH) {
    throw new RangeError(
      `the unix socket path ${path} is ${name.length} bytes long, at most ${MAX_UNIX_PATH} fit`,
    );
  }
  const bytes = new Uint8Array(2 + name.length + 1);
  bytes[0] = AF_UNIX;
  bytes.set(name, 2);
  return { family: AF_UNIX, bytes };
}

/** The port of an IPv4 or IPv6 sockaddr. */
export function portOf(bytes: Uint8Array): number {
  return (bytes[2]! << 8) | bytes[3]!;
}

/**
 * The host text of an accepted peer: dotted IPv4, IPv6 in its short form (an IPv4-mapped one
 * as `::ffff:1.2.3.4`), "0.0.0.0" for anything else (unix peers).
 */
export function hostOf(bytes: Uint8Array): string {
  const family = bytes[0]! | (bytes[1]! << 8);
  if (family === AF_INET) return `${bytes[4]}.${bytes[5]}.${bytes[6]}.${bytes[7]}`;
  if (family !== AF_INET6) return "0.0.0.0";
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push((bytes[8 + 2 * i]! << 8) | bytes[9 + 2 * i]!);
  if (words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff) {
    return `::ffff:${bytes[20]}.${bytes[21]}.${bytes[22]}.${bytes[23]}`;
  }
  return shortIpv6(words);
}

/** RFC 5952 text: lower case, the longest run of two or more zero words as `::`. */
function shortIpv6(words: number[]): string {
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (bestStart < 0) return hex.join(":");
  const left = hex.slice(0, bestStart).join(":");
  const right = hex.slice(bestStart + bestLength).join(":");
  return `${left}::${right}`;
}
