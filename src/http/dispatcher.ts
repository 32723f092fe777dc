/**
 * Which node serves a request: first the subscription pool of its key (the Host), then
 * round-robin over the `http-to` nodes, then the `http-fallback` nodes (spec §5). A node
 * that refuses is skipped for `http-gracetime` and the next one tried (at most 3 retries,
 * only before a backend accepted the request). Each node takes at most `limit` requests
 * at once; the others wait in one FIFO queue (HAProxy's maxconn + queue), and a node whose
 * listen queue is full (EAGAIN) is "busy", not dead: the request waits for it, and from then
 * on each request that ends on the node lets one waiting request in (plus one probe every
 * BUSY_RETRY_MS), so a burst does not turn into a storm of refused connects.
 */
import type { StaticPool } from "../balancer/static_pool.ts";
import type { NodeConfig } from "../config/load.ts";
import type { ConnectAddress } from "../runtime/types.ts";
import type { Registry } from "../subscription/registry.ts";
import {
  type Granted,
  isBusy,
  type NodeLoad,
  staticGrant,
  subscriptionGrant,
} from "./node_grant.ts";

/** Attempts per request: the first and at most 3 retries. */
export const MAX_ATTEMPTS = 4;
/** A busy node (listen queue full) takes one more waiting request this often (a probe). */
const BUSY_RETRY_MS = 10;
/** Queue entries looked at per node release (a head waiting on a saturated key can't block all). */
const SCAN_LIMIT = 64;

/** A request waiting for, or holding, a node. */
export interface Ticket {
  /** The routing key (Host) and the client address (iphash). */
  key: string;
  client: string;
  attempts: number;
  /** Static nodes tried already by this request. */
  tried: Set<NodeConfig> | undefined;
  /** Failure causes so far, for the final log line. */
  causes: string[] | undefined;
  /** It waits in the queue. */
  queued: boolean;
  granted(node: Granted): void;
  /** No node: answer `status` (502, 503) with the cause for the log. */
  refused(status: number, cause: string, node: string): void;
}

type Pick = Granted | "wait" | { status: number; cause: string; node: string };

/** The dispatcher of one router process. */
export class Dispatcher {
  readonly #pool: StaticPool<NodeConfig>;
  readonly #fallbacks: readonly NodeConfig[];
  readonly #registry: Registry | undefined;
  readonly #loads = new Map<string, NodeLoad>();
  readonly #grants = new Map<NodeConfig, Granted>();
  /** Requests at once per node; 0 = no limit. */
  limit: number;
  /** Longest the queue may get; beyond it requests are refused at once. */
  readonly queueSize: number;
  readonly #queue: Ticket[] = [];
  #busyTimer: ReturnType<typeof setTimeout> | undefined;
  /** Connect failures, for stats and metrics. */
  connectFailures = 0;
  readonly #warn: ((node: string, why: string) => void) | undefined;

  constructor(options: {
    pool: StaticPool<NodeConfig>;
    fallbacks: readonly NodeConfig[];
    registry?: Registry | undefined;
    limit: number;
    queueSize: number;
    /** Told of every failed connect (not of busy nodes). */
    warn?: ((node: string, why: string) => void) | undefined;
  }) {
    this.#warn = options.warn;
    this.#pool = options.pool;
    this.#fallbacks = options.fallbacks;
    this.#registry = options.registry;
    this.limit = options.limit;
    this.queueSize = options.queueSize;
  }

  /** Requests waiting for a node. */
  get waiting(): number {
    return this.#queue.length;
  }

  /** The load record of an address. */
  load(address: ConnectAddress): NodeLoad {
    const key = address.transport === "unix" ? address.path : `${address.hostname}:${address.port}`;
    let load = this.#loads.get(key);
    if (load === undefined) {
      load = { key, inflight: 0, busy: false, slots: 0 };
      this.#loads.set(key, load);
    }
    return load;
  }

  /** Requests in flight on `address` (reloads wait for 0 before stopping old workers). */
  inflight(address: ConnectAddress): number {
    return this.load(address).inflight;
  }

  /** Finds a node for `ticket`: granted now, queued, or refused. */
  request(ticket: Ticket): void {
    if (this.#queue.length > 0) {
      // first come, first served: a newcomer does not overtake waiting requests
      this.#enqueue(ticket);
      this.#drain();
      return;
    }
    this.#serve(ticket, false);
  }

  /** `ticket` gave up (client gone, queue timeout): it leaves the queue. */
  cancel(ticket: Ticket): void {
    if (!ticket.queued) return;
    ticket.queued = false;
    const at = this.#queue.indexOf(ticket);
    if (at >= 0) this.#queue.splice(at, 1);
  }

  /** The connection to `node` failed with `error`; tries another node or refuses. */
  connectFailed(ticket: Ticket, node: Granted, error: Error & { code?: string }): void {
    this.#release(node);
    if (isBusy(error, node)) {
      // the node's listen queue is full: it lives, the request waits for a free slot
      node.load.busy = true;
      node.load.slots = 0;
      this.#armBusyTimer();
      ticket.attempts--;
      this.#enqueue(ticket, true);
      return;
    }
    this.connectFailures++;
    if (node.config) (ticket.tried ??= new Set()).add(node.config);
    const why = error.message || String(error);
    this.#warn?.(node.name, why);
    (ticket.causes ??= []).push(`${node.name}: ${why}`);
    if (node.subscription) this.#registry?.fail(node.subscription);
    else if (node.config) this.#pool.markFailed(node.config);
    this.#serve(ticket, true);
  }

  /** The request on `node` is over: the node takes the next waiting request. */
  done(node: Granted): void {
    const load = node.load;
    this.#release(node);
    // the node's queue has room for one more
    if (load.busy) load.slots++;
    this.#drain();
    if (this.#queue.length === 0) load.busy = false;
  }

  #release(node: Granted): void {
    node.load.inflight--;
    if (node.subscription) this.#registry?.release(node.subscription);
  }

  #enqueue(ticket: Ticket, front = false): void {
    if (this.#queue.length >= this.queueSize) {
      ticket.refused(503, `the queue is full (${this.queueSize} requests wait)`, "-");
      return;
    }
    ticket.queued = true;
    if (front) this.#queue.unshift(ticket);
    else this.#queue.push(ticket);
  }

  #drain(): void {
    let looked = 0;
    for (let i = 0; i < this.#queue.length && looked < SCAN_LIMIT; looked++) {
      const ticket = this.#queue[i]!;
      const picked = this.#pick(ticket);
      if (picked === "wait") {
        // a request that tried no node yet waits only when every node is full: so would all
        // behind it (without subscriptions, whose keys pick different nodes)
        if (this.#registry === undefined && !ticket.tried?.size) break;
        i++;
        continue;
      }
      this.#queue.splice(i, 1);
      ticket.queued = false;
      this.#give(ticket, picked);
    }
  }

  #serve(ticket: Ticket, retry: boolean): void {
    const picked = this.#pick(ticket);
    if (picked === "wait") {
      this.#enqueue(ticket, retry);
      return;
    }
    this.#give(ticket, picked);
  }

  #give(ticket: Ticket, picked: Exclude<Pick, "wait">): void {
    if ("status" in picked) {
      ticket.refused(picked.status, picked.cause, picked.node);
      return;
    }
    ticket.attempts++;
    picked.load.inflight++;
    if (picked.load.busy) picked.load.slots--;
    ticket.granted(picked);
  }

  #armBusyTimer(): void {
    if (this.#busyTimer !== undefined) return;
    this.#busyTimer = setTimeout(() => {
      this.#busyTimer = undefined;
      const waiting = this.#queue.length > 0;
      for (const load of this.#loads.values()) {
        // nothing waits: busy no more; else one waiting request probes the node's queue
        if (!waiting) load.busy = false;
        else if (load.busy) load.slots = Math.max(load.slots, 1);
      }
      this.#drain();
      if (this.#anyBusy()) this.#armBusyTimer();
    }, BUSY_RETRY_MS);
  }

  /** Stops the retry timer (shutdown). */
  close(): void {
    clearTimeout(this.#busyTimer);
    this.#busyTimer = undefined;
  }

  #available(load: NodeLoad): boolean {
    return (!load.busy || load.slots > 0) && (this.limit === 0 || load.inflight < this.limit);
  }

  #pick(ticket: Ticket): Pick {
    if (ticket.attempts >= MAX_ATTEMPTS) return this.#exhausted(ticket, "-");
    let saturated = false;
    const registry = this.#registry;
    if (registry) {
      const node = registry.pick(ticket.key, ticket.client);
      if (node) {
        const load = this.load(node.address);
        if (this.#available(load)) return subscriptionGrant(node, load);
        registry.release(node);
        return "wait";
      }
      if (this.#pool.nodes.length === 0 && this.#fallbacks.length === 0) {
        return { status: 503, cause: `no node for the key "${ticket.key}"`, node: "-" };
      }
    }
    const tried = ticket.tried;
    // the predicate is only needed while limits or busy nodes exist
    const limited = this.limit > 0 || this.#anyBusy();
    const entry = this.#pool.next(tried, limited ? this.#free : undefined);
    if (entry) return this.#grant(entry.node, entry.name);
    if (limited && this.#pool.nodes.some((n) => !tried?.has(n.node) && !this.#free(n.node))) {
      saturated = true;
    }
    for (const node of this.#fallbacks) {
      if (tried?.has(node)) continue;
      if (!this.#available(this.load(node.address))) {
        saturated = true;
        continue;
      }
      return this.#grant(node, node.spec);
    }
    if (saturated) return "wait";
    return this.#exhausted(ticket, "-");
  }

  readonly #free = (node: NodeConfig): boolean => this.#available(this.load(node.address));

  #anyBusy(): boolean {
    for (const load of this.#loads.values()) if (load.busy) return true;
    return false;
  }

  /** The grant of a static or fallback node (one object per node, reused). */
  #grant(config: NodeConfig, name: string): Granted {
    let grant = this.#grants.get(config);
    if (grant === undefined) {
      grant = staticGrant(config, name, this.load(config.address));
      this.#grants.set(config, grant);
    }
    return grant;
  }

  #exhausted(ticket: Ticket, node: string) {
    return {
      status: 502,
      node,
      cause: ticket.attempts === 0
        ? "every node is failed (within http-gracetime) or down (health check) and no fallback is left"
        : `no node could be connected (${(ticket.causes ?? []).join("; ")})`,
    };
  }
}
