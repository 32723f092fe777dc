/** Byte helpers shared by the codecs and the engines. */

/** The parts one after another in one new array (the part itself when alone). */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  let size = 0;
  for (const part of parts) size += part.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * Where `byte` first is in `bytes[start, end)`, or -1. Unlike `indexOf`, which searches to
 * the buffer's end, it never reads past `end`: a request target is searched, not the body
 * read with it.
 */
export function findByte(bytes: Uint8Array, byte: number, start: number, end: number): number {
  for (let i = start; i < end; i++) if (bytes[i] === byte) return i;
  return -1;
}
