/**
 * Trusted proxies (`http-trusted-proxies`, nginx's set_real_ip_from): address ranges whose
 * X-Forwarded-For, X-Forwarded-Proto and X-Request-Id are believed.
 */

/** An IPv4 or IPv6 range. */
interface Range {
  bytes: Uint8Array;
  prefix: number;
}

/** The 4 or 16 bytes of an address, or null when it is not one. */
export function addressBytes(text: string): Uint8Array | null {
  let address = text.trim();
  if (address.startsWith("[") && address.endsWith("]")) address = address.slice(1, -1);
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) address = mapped[1]!;
  if (/^\d+\.\d+\.\d+\.\d+$/.test(address)) {
    const parts = address.split(".").map(Number);
    return parts.every((p) => p <= 255) ? Uint8Array.from(parts) : null;
  }
  if (!address.includes(":") || !/^[0-9a-f:.]+$/i.test(address)) return null;
  const halves = address.split("::");
  if (halves.length > 2) return null;
  const groups = (s: string) => (s === "" ? [] : s.split(":"));
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  const missing = 8 - head.length - tail.length;
  if (missing < 0 || (halves.length === 1 && missing !== 0)) return null;
  const all = [...head, ...Array<string>(missing).fill("0"), ...tail];
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    const g = all[i]!;
    if (!/^[0-9a-f]{1,4}$/i.test(g)) return null;
    const n = parseInt(g, 16);
    out[i * 2] = n >> 8;
    out[i * 2 + 1] = n & 0xff;
  }
  return out;
}

/** A set of ranges: `has()` tells whether an address is in one of them. */
export class TrustedProxies {
  readonly #ranges: Range[];

  constructor(ranges: Range[]) {
    this.#ranges = ranges;
  }

  /** Parses "10.0.0.0/8, ::1, 192.168.1.7" (a bare address is its own /32 or /128). */
  static parse(list: readonly string[]): TrustedProxies | string {
    const ranges: Range[] = [];
    for (const item of list.flatMap((l) => l.split(",")).map((s) => s.trim())) {
      if (item === "") continue;
      const [address = "", prefixText] = item.split("/");
      const bytes = addressBytes(address);
      if (bytes === null) return `"${item}" is not an IP address or CIDR range`;
      const max = bytes.length * 8;
      const prefix = prefixText === undefined ? max : Number(prefixText);
      if (
        !Number.isInteger(prefix) || prefix < 0 || prefix > max || !/^\d*$/.test(prefixText ?? "")
      ) {
        return `"${item}" has a bad prefix length`;
      }
      ranges.push({ bytes, prefix });
    }
    return new TrustedProxies(ranges);
  }

  /** No range at all. */
  get empty(): boolean {
    return this.#ranges.length === 0;
  }

  has(address: string): boolean {
    const bytes = addressBytes(address);
    if (bytes === null) return false;
    return this.#ranges.some((range) => inRange(bytes, range));
  }
}

function inRange(bytes: Uint8Array, range: Range): boolean {
  if (bytes.length !== range.bytes.length) return false;
  let bits = range.prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((bytes[i]! & mask) !== (range.bytes[i]! & mask)) return false;
  }
  return true;
}

/**
 * The client behind trusted proxies: the rightmost X-Forwarded-For address that is not a
 * trusted proxy (nginx's real_ip_recursive); the peer itself when none is usable.
 */
export function realClient(forwardedFor: string, peer: string, trusted: TrustedProxies): string {
  const chain = forwardedFor.split(",").map((s) => s.trim()).filter((s) => s !== "");
  for (let i = chain.length - 1; i >= 0; i--) {
    const address = chain[i]!;
    if (addressBytes(address) === null) return peer;
    if (!trusted.has(address)) return address;
  }
  return chain.length > 0 ? chain[0]! : peer;
}
