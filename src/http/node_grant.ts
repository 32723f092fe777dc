/**
 * What a request is given when the dispatcher picks a node for it (address, modifiers, the
 * node's load record), and how a failed connect to it is read.
 */
import type { NodeConfig } from "../config/load.ts";
import type { ConnectAddress } from "../runtime/types.ts";
import type { SubscriptionNode } from "../subscription/node.ts";

/** A node granted to a request. */
export interface Granted {
  name: string;
  address: ConnectAddress;
  modifier1: number;
  modifier2: number;
  /** Load record of the node (shared by every grant of it). */
  load: NodeLoad;
  /** The subscription node, to release it in the registry. */
  subscription: SubscriptionNode | undefined;
  /** The static or fallback node, to mark it failed. */
  config: NodeConfig | undefined;
}

/** Requests in flight on one node address. */
export interface NodeLoad {
  key: string;
  inflight: number;
  /** The listen queue was full: requests wait; each release (or probe) lets one in. */
  busy: boolean;
  /** While busy: waiting requests that may go to the node now. */
  slots: number;
}

/** The grant of a static or fallback node. */
export function staticGrant(config: NodeConfig, name: string, load: NodeLoad): Granted {
  return {
    name,
    address: config.address,
    modifier1: 0,
    modifier2: 0,
    load,
    subscription: undefined,
    config,
  };
}

/** The grant of a subscribed node. */
export function subscriptionGrant(node: SubscriptionNode, load: NodeLoad): Granted {
  return {
    name: node.name,
    address: node.address,
    modifier1: node.modifier1,
    modifier2: node.modifier2,
    load,
    subscription: node,
    config: undefined,
  };
}

/**
 * A connect error that means "listen queue full": EAGAIN on unix sockets. Bun reports that
 * as ECONNREFUSED, which also means "nobody listens": a node with requests in flight has a
 * listener, so there a refusal is taken for a full queue.
 */
export function isBusy(error: Error & { code?: string }, node: Granted): boolean {
  if (error.code === "EAGAIN" || error.code === "EWOULDBLOCK") return true;
  if (/temporarily unavailable|os error 11\b/i.test(error.message)) return true;
  return error.code === "ECONNREFUSED" && node.address.transport === "unix" &&
    node.load.inflight > 0;
}
