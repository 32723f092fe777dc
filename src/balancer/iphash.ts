/** Client-address affinity: the same client address always reaches the same node. */
import type { Algorithm } from "./algorithm.ts";

/** IPv4 as a 32-bit integer (uWSGI 2.1's iphash); other addresses hashed (FNV-1a). */
export function addressNumber(address: string): number {
  const v4 = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(address);
  if (v4) return ((+v4[1]! << 24) | (+v4[2]! << 16) | (+v4[3]! << 8) | +v4[4]!) >>> 0;
  let hash = 0x811c9dc5;
  for (let i = 0; i < address.length; i++) {
    hash = Math.imul(hash ^ address.charCodeAt(i), 0x01000193) >>> 0;
  }
  return hash;
}

/** `subscription-algo = iphash`: address modulo the number of live nodes. */
export const iphash: Algorithm = (nodes, clientAddress) =>
  nodes[addressNumber(clientAddress) % nodes.length]!;
