/** A subscribed node, as the registry and the balancing algorithms see it. */
import type { ConnectAddress } from "../runtime/types.ts";

/** One node of a subscription pool (field names follow uWSGI's stats). */
export interface SubscriptionNode {
  name: string;
  address: ConnectAddress;
  modifier1: number;
  modifier2: number;
  cores: number;
  load: number;
  /** At least 1. */
  weight: number;
  /** Clock time (ms) of the last announcement. */
  lastCheck: number;
  /** Requests sent to it. */
  requests: number;
  /** Requests in flight. */
  ref: number;
  /** wrr credit. */
  wrr: number;
  failcnt: number;
  /** Unsubscribed, expired or failed: no new requests; removed when unreferenced. */
  deathMark: boolean;
}
