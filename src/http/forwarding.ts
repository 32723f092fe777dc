/**
 * Who the client is and how it came, as the backend is told: REMOTE_ADDR, HTTPS, the
 * X-Forwarded-* headers and the request id. Behind trusted proxies their headers are
 * believed; from anyone else they are replaced, never believed (or, with neither option,
 * passed through untouched as uWSGI's router does).
 */
import type { PacketFacts } from "./request_packet.ts";
import type { RequestHead } from "./request_head.ts";
import { realClient, type TrustedProxies } from "./trust.ts";

/** How a listener treats forwarding headers. */
export interface ForwardingPolicy {
  /** `http-trusted-proxies`, or null when unset. */
  trusted: TrustedProxies | null;
  /** `http-x-forwarded`: nginx-style headers for the backends (no trusted list). */
  xForwarded: boolean;
  /** The listener is TLS. */
  tls: boolean;
  /** Request ids (`http-request-id`), or null when off. */
  ids: RequestIds | null;
}

/** Generates request ids: a random per-process prefix and a counter (unique, cheap). */
export class RequestIds {
  readonly #prefix: string;
  #next = 0;

  constructor(random: Uint8Array) {
    this.#prefix = [...random].map((b) => b.toString(16).padStart(2, "0")).join("");
  }

  next(): string {
    return this.#prefix + (++this.#next).toString(16).padStart(8, "0");
  }
}

/**
 * Fills `facts` for a request from `peer` (the client as known: the PROXY header's, else the
 * socket's); `peerTrusted`: the socket's peer is a trusted proxy.
 */
export function forwardingFacts(
  head: RequestHead,
  peer: { address: string; port: string },
  peerTrusted: boolean,
  policy: ForwardingPolicy,
  facts: PacketFacts,
): PacketFacts {
  facts.remoteAddr = peer.address;
  facts.remotePort = peer.port;
  facts.https = policy.tls;
  const scheme = policy.tls ? "https" : "http";
  const chain = head.forwardedFor;
  if (policy.trusted !== null) {
    facts.replaceForwarded = true;
    if (peerTrusted) {
      if (chain !== undefined) facts.remoteAddr = realClient(chain, peer.address, policy.trusted);
      const proto = head.forwardedProto?.trim().toLowerCase();
      if (proto === "https") facts.https = true;
      facts.forwardedFor = chain === undefined ? peer.address : `${chain}, ${peer.address}`;
      facts.forwardedProto = proto === "http" || proto === "https" ? proto : scheme;
    } else {
      facts.forwardedFor = peer.address;
      facts.forwardedProto = scheme;
    }
  } else if (policy.xForwarded) {
    facts.replaceForwarded = true;
    facts.forwardedFor = chain === undefined ? peer.address : `${chain}, ${peer.address}`;
    facts.forwardedProto = scheme;
  } else {
    facts.replaceForwarded = false;
    facts.forwardedFor = undefined;
    facts.forwardedProto = undefined;
  }
  const ids = policy.ids;
  if (ids === null) {
    facts.requestId = undefined;
    facts.dropRequestId = false;
  } else if (peerTrusted && head.requestId !== undefined && head.requestId !== "") {
    facts.requestId = head.requestId;
    facts.dropRequestId = false;
  } else {
    facts.requestId = ids.next();
    facts.dropRequestId = true;
  }
  return facts;
}
