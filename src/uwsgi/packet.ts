/**
 * The uwsgi packet: a 4-byte header (modifier1, u16le var block size, modifier2) and a
 * var block of u16le-length-prefixed keys and values (spec §1.1-1.2).
 *
 * Strings are "byte strings": a character below 256 is one byte (how HTTP header values
 * arrive); a string holding a wider character is written as UTF-8.
 */

/** modifier1 of WSGI/Python requests, the default. */
export const MODIFIER1_WSGI = 0;
/** modifier1 of subscription packets (§6.2). */
export const MODIFIER1_SUBSCRIPTION = 224;
/** The header's u16 size field caps the var block. */
export const MAX_VARS_SIZE = 0xffff;
/** Bytes of the packet header. */
export const HEADER_SIZE = 4;

/** One var: key and value as byte strings. */
export type Var = [key: string, value: string];

const utf8 = new TextEncoder();

function isByteString(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0xff) return false;
  return true;
}

/** Bytes of a string as written in a var block. */
function toBytes(text: string): Uint8Array | string {
  return isByteString(text) ? text : utf8.encode(text);
}

/** Encodes header + vars; throws RangeError when the var block exceeds 65535 bytes. */
export function encodePacket(vars: readonly Var[], modifier1 = 0, modifier2 = 0): Uint8Array {
  const parts: Array<Uint8Array | string> = [];
  let size = 0;
  for (const [key, value] of vars) {
    if (key.length === 0) throw new RangeError("A uwsgi var key cannot be empty");
    const k = toBytes(key);
    const v = toBytes(value);
    parts.push(k, v);
    size += 4 + k.length + v.length;
  }
  if (size > MAX_VARS_SIZE) {
    throw new RangeError(`The uwsgi var block is ${size} bytes, more than ${MAX_VARS_SIZE}`);
  }
  const out = new Uint8Array(HEADER_SIZE + size);
  out[0] = modifier1;
  out[1] = size & 0xff;
  out[2] = size >> 8;
  out[3] = modifier2;
  let at = HEADER_SIZE;
  for (const part of parts) {
    const n = part.length;
    out[at] = n & 0xff;
    out[at + 1] = n >> 8;
    at += 2;
    if (typeof part === "string") {
      for (let i = 0; i < n; i++) out[at + i] = part.charCodeAt(i);
    } else {
      out.set(part, at);
    }
    at += n;
  }
  return out;
}

/** A decoded packet; values are byte strings. */
export interface Packet {
  modifier1: number;
  modifier2: number;
  vars: Var[];
}

function byteString(bytes: Uint8Array, start: number, end: number): string {
  let out = "";
  for (let i = start; i < end; i += 8192) {
    out += String.fromCharCode(...bytes.subarray(i, Math.min(end, i + 8192)));
  }
  return out;
}

/**
 * Decodes a packet. The var block is read from byte 4 to `4 + size` (or to the end with
 * `{ toEnd: true }`, as subscription servers do). Throws RangeError on truncation and
 * SyntaxError on an empty key.
 */
export function decodePacket(bytes: Uint8Array, options: { toEnd?: boolean } = {}): Packet {
  if (bytes.length < HEADER_SIZE) {
    throw new RangeError(`A uwsgi packet needs ${HEADER_SIZE} header bytes, got ${bytes.length}`);
  }
  const size = bytes[1]! | (bytes[2]! << 8);
  const end = options.toEnd ? bytes.length : HEADER_SIZE + size;
  if (end > bytes.length) {
    throw new RangeError(
      `The uwsgi var block claims ${size} bytes, only ${bytes.length - 4} follow`,
    );
  }
  const vars: Var[] = [];
  let at = HEADER_SIZE;
  const field = (): string => {
    if (at + 2 > end) throw new RangeError(`A uwsgi var length at byte ${at} is truncated`);
    const n = bytes[at]! | (bytes[at + 1]! << 8);
    at += 2;
    if (at + n > end) throw new RangeError(`A uwsgi var of ${n} bytes at byte ${at} overruns`);
    const text = byteString(bytes, at, at + n);
    at += n;
    return text;
  };
  while (at < end) {
    const key = field();
    if (key === "") throw new SyntaxError(`A uwsgi var key at byte ${at - 2} is empty`);
    vars.push([key, field()]);
  }
  return { modifier1: bytes[0]!, modifier2: bytes[3]!, vars };
}
