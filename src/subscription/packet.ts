/** Subscription packets (spec §6.2): modifier1 224, modifier2 0 subscribe / 1 unsubscribe. */
import { decodePacket } from "../uwsgi/packet.ts";

/** What a node announced. */
export interface Announcement {
  command: "subscribe" | "unsubscribe";
  key: string;
  address: string;
  modifier1: number;
  modifier2: number;
  cores: number;
  load: number;
  /** 0 (the default) counts as 1. */
  weight: number;
}

const MAX_KEY = 255;
const MAX_ADDRESS = 255;

function decimal(text: string | undefined): number {
  // uWSGI parses these without validation: junk reads as 0
  const n = parseInt(text ?? "0", 10);
  return Number.isFinite(n) && n >= 0 ? n : 0;
}

/**
 * Decodes a datagram. Like uWSGI, the vars run to the end of the datagram and the command
 * is byte 3; unknown vars are ignored. Throws RangeError / SyntaxError when malformed.
 */
export function decodeAnnouncement(bytes: Uint8Array): Announcement {
  const packet = decodePacket(bytes, { toEnd: true });
  if (packet.modifier2 > 1) {
    throw new SyntaxError(`Unknown subscription command ${packet.modifier2}`);
  }
  const vars = new Map(packet.vars);
  const key = vars.get("key");
  const address = vars.get("address");
  if (!key || key.length > MAX_KEY) {
    throw new RangeError(
      `A subscription key must be 1 to ${MAX_KEY} bytes, got ${key?.length ?? 0}`,
    );
  }
  if (!address || address.length > MAX_ADDRESS) {
    throw new RangeError(
      `A subscription address must be 1 to ${MAX_ADDRESS} bytes, got ${address?.length ?? 0}`,
    );
  }
  return {
    command: packet.modifier2 === 1 ? "unsubscribe" : "subscribe",
    key,
    address,
    modifier1: decimal(vars.get("modifier1")) & 0xff,
    modifier2: decimal(vars.get("modifier2")) & 0xff,
    cores: decimal(vars.get("cores")),
    load: decimal(vars.get("load")),
    weight: decimal(vars.get("weight")),
  };
}
