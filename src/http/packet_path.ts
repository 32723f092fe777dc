/**
 * PATH_INFO written straight into a uwsgi packet: a request path's bytes percent-decoded
 * and its dot segments resolved, as `decodePathInfo()` (src/uwsgi/path_info.ts) does on
 * strings and as uWSGI's router does.
 */

import { findByte } from "../bytes.ts";

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  const lower = code | 0x20;
  if (lower >= 97 && lower <= 102) return lower - 87;
  return -1;
}

/**
 * Writes the length-prefixed PATH_INFO of `bytes[start, end)` (the path before "?") into
 * `out` from `at`; returns where it ends.
 */
export function writePathInfo(
  bytes: Uint8Array,
  start: number,
  end: number,
  out: Uint8Array,
  at: number,
): number {
  const lengthAt = at;
  at += 2;
  const first = at;
  const hash = findByte(bytes, 35, start, end);
  if (hash >= 0) end = hash;
  // a "/" is held back until the next output byte, so dot segments can swallow it
  let pending = false;
  let i = start;
  while (i < end) {
    const ch = bytes[i]!;
    if (ch === 47) {
      if (pending) out[at++] = 47;
      pending = true;
      i++;
      if (bytes[i] === 46 && (i + 1 === end || bytes[i + 1] === 47)) {
        pending = i + 1 === end;
        i += 1;
      } else if (
        bytes[i] === 46 && bytes[i + 1] === 46 && (i + 2 === end || bytes[i + 2] === 47)
      ) {
        // pops the previous output segment, never above the root
        let cut = at - 1;
        while (cut >= first && out[cut] !== 47) cut--;
        const popped = cut >= first || at > first;
        at = cut >= first ? cut : first;
        pending = i + 2 === end && popped;
        i += 2;
      }
      continue;
    }
    if (pending) {
      out[at++] = 47;
      pending = false;
    }
    if (ch !== 37) {
      out[at++] = ch;
      i++;
    } else if (bytes[i + 1] === 37) {
      out[at++] = 37;
      i += 2;
    } else if (i + 2 >= end) {
      break; // "%" or "%X" at the very end produce nothing
    } else {
      const hi = hexValue(bytes[i + 1]!);
      const lo = hexValue(bytes[i + 2]!);
      out[at++] = hi < 0 || lo < 0 ? 0 : hi * 16 + lo;
      i += 3;
    }
  }
  if (pending) out[at++] = 47;
  const n = at - first;
  out[lengthAt] = n & 0xff;
  out[lengthAt + 1] = (n >> 8) & 0xff;
  return at;
}
