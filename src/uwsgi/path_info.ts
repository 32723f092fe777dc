/**
 * PATH_INFO from a request target, byte-compatible with uWSGI's router (spec §1.8):
 * percent-decoding (bad hex -> NUL), dot-segment removal on raw segments only, runs of
 * slashes kept, "#" ends the path. Input and output are byte strings.
 */

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  const lower = code | 0x20;
  if (lower >= 97 && lower <= 102) return lower - 87;
  return -1;
}

/** The decoded PATH_INFO of `path` (the target before its first "?"). */
export function decodePathInfo(path: string): string {
  if (!/[%#]|\/\.|^\./.test(path)) return path;
  const hash = path.indexOf("#");
  const end = hash < 0 ? path.length : hash;
  let out = "";
  // a "/" is held back until the next output byte, so dot segments can swallow it
  let pending = false;
  let i = 0;
  while (i < end) {
    const ch = path[i]!;
    if (ch === "/") {
      if (pending) out += "/";
      pending = true;
      i++;
      // dot segments swallow their own "/"; the "/" after them starts the next segment
      if (path[i] === "." && (i + 1 === end || path[i + 1] === "/")) {
        pending = i + 1 === end;
        i += 1;
      } else if (
        path[i] === "." && path[i + 1] === "." && (i + 2 === end || path[i + 2] === "/")
      ) {
        // pops the previous output segment, never above the root
        const cut = out.lastIndexOf("/");
        const popped = cut >= 0 || out !== "";
        out = cut >= 0 ? out.slice(0, cut) : "";
        pending = i + 2 === end && popped;
        i += 2;
      }
      continue;
    }
    if (pending) {
      out += "/";
      pending = false;
    }
    if (ch !== "%") {
      out += ch;
      i++;
    } else if (path[i + 1] === "%") {
      out += "%";
      i += 2;
    } else if (i + 2 >= end) {
      // "%" or "%X" at the very end produce nothing
      break;
    } else {
      const hi = hexValue(path.charCodeAt(i + 1));
      const lo = hexValue(path.charCodeAt(i + 2));
      out += String.fromCharCode(hi < 0 || lo < 0 ? 0 : hi * 16 + lo);
      i += 3;
    }
  }
  if (pending) out += "/";
  return out;
}
