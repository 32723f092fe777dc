/** A subscription balancing policy: picks one of a pool's live nodes. */
import type { SubscriptionNode } from "../subscription/node.ts";

/** Picks a node from `nodes` (all alive, in announcement order, never empty). */
export type Algorithm = (nodes: SubscriptionNode[], clientAddress: string) => SubscriptionNode;
