/**
 * The subscription table: key (the exact Host value) -> pool of nodes that announced it.
 * Announcements refresh nodes; nodes not heard from for `subscription-tolerance`,
 * unsubscribed or failing stop receiving requests and are removed once no request uses
 * them; empty pools disappear (spec §6.4). The clock is injected.
 */
import type { Algorithm } from "../balancer/algorithm.ts";
import { parseConnectAddress } from "../config/address.ts";
import type { Announcement } from "./packet.ts";
import type { SubscriptionNode } from "./node.ts";

/** A key and its nodes, in announcement order. */
export interface SubscriptionPool {
  key: string;
  hits: number;
  nodes: SubscriptionNode[];
}

/** Registry settings. */
export interface RegistryOptions {
  toleranceMs: number;
  algorithm: Algorithm;
  /** `http-subscription-fallback-key`: used when the key has no live node. */
  fallbackKey?: string | undefined;
  /** `subscription-dotsplit`: retry `.example.com` for `a.example.com` (not with the fallback). */
  dotsplit: boolean;
  now: () => number;
  /** Log lines worth keeping (new pools and nodes, failures). */
  log: (message: string) => void;
}

const DOTSPLIT_TRIES = 5;

/** The table. */
export class Registry {
  readonly pools = new Map<string, SubscriptionPool>();
  readonly #options: RegistryOptions;

  constructor(options: RegistryOptions) {
    this.#options = options;
  }

  /** Applies one announcement. Throws RangeError for an unusable address. */
  apply(a: Announcement): void {
    const now = this.#options.now();
    let pool = this.pools.get(a.key);
    let node = pool?.nodes.find((n) => n.name === a.address);
    if (a.command === "unsubscribe") {
      if (pool && node && !node.deathMark) {
        node.deathMark = true;
        this.#options.log(`${a.key} => marking ${a.address} as failed (unsubscribed)`);
        this.#prune(pool);
      }
      return;
    }
    if (node) {
      node.lastCheck = now;
      node.deathMark = false;
      node.cores = a.cores;
      node.load = a.load;
      node.weight = Math.max(1, a.weight);
      return;
    }
    const parsed = parseConnectAddress(a.address);
    if (!parsed.ok) {
      throw new RangeError(`Unusable subscription address "${a.address}": ${parsed.rule}`);
    }
    if (!pool) {
      pool = { key: a.key, hits: 0, nodes: [] };
      this.pools.set(a.key, pool);
      this.#options.log(`new pool: ${a.key}`);
    }
    node = {
      name: a.address,
      address: parsed.address,
      modifier1: a.modifier1,
      modifier2: a.modifier2,
      cores: a.cores,
      load: a.load,
      weight: Math.max(1, a.weight),
      lastCheck: now,
      requests: 0,
      ref: 0,
      wrr: 0,
      failcnt: 0,
      deathMark: false,
    };
    pool.nodes.push(node);
    this.#options.log(`${a.key} => new node: ${a.address}`);
  }

  /** Picks a node for `key` (fallback key and dotsplit applied); undefined if none lives. */
  pick(key: string, clientAddress: string): SubscriptionNode | undefined {
    const pool = this.#lookup(key);
    if (!pool) return undefined;
    const alive = pool.nodes.filter((n) => !n.deathMark);
    const node = this.#options.algorithm(alive, clientAddress);
    pool.hits++;
    node.requests++;
    node.ref++;
    return node;
  }

  /** A request on `node` ended. */
  release(node: SubscriptionNode): void {
    node.ref = Math.max(0, node.ref - 1);
    if (node.deathMark && node.ref === 0) {
      for (const pool of [...this.pools.values()]) if (pool.nodes.includes(node)) this.#prune(pool);
    }
  }

  /** `node` refused a connection: it gets no more requests until it announces again. */
  fail(node: SubscriptionNode): void {
    node.failcnt++;
    if (!node.deathMark) {
      node.deathMark = true;
      this.#options.log(`marking ${node.name} as failed (cannot connect)`);
    }
  }

  /** Expires silent nodes and drops dead, unreferenced ones and empty pools. */
  sweep(): void {
    for (const pool of [...this.pools.values()]) {
      this.#expire(pool);
      this.#prune(pool);
    }
  }

  #lookup(key: string): SubscriptionPool | undefined {
    const live = (k: string): SubscriptionPool | undefined => {
      const pool = this.pools.get(k);
      if (!pool) return undefined;
      this.#expire(pool);
      this.#prune(pool);
      return pool.nodes.some((n) => !n.deathMark) ? pool : undefined;
    };
    const found = live(key);
    if (found) return found;
    if (this.#options.dotsplit) {
      let rest = key;
      for (let i = 0; i < DOTSPLIT_TRIES; i++) {
        const dot = rest.indexOf(".", 1);
        if (dot < 0) return undefined;
        rest = rest.slice(dot);
        const hit = live(rest);
        if (hit) return hit;
      }
      return undefined;
    }
    return this.#options.fallbackKey ? live(this.#options.fallbackKey) : undefined;
  }

  #expire(pool: SubscriptionPool): void {
    const now = this.#options.now();
    for (const node of pool.nodes) {
      if (!node.deathMark && now - node.lastCheck > this.#options.toleranceMs) {
        node.deathMark = true;
        this.#options.log(
          `${pool.key} => marking ${node.name} as failed (no announce received in ${
            this.#options.toleranceMs / 1000
          } seconds)`,
        );
      }
    }
  }

  #prune(pool: SubscriptionPool): void {
    pool.nodes = pool.nodes.filter((n) => !(n.deathMark && n.ref === 0));
    if (pool.nodes.length === 0 && this.pools.get(pool.key) === pool) {
      this.pools.delete(pool.key);
      this.#options.log(`pool ${pool.key} is empty: removed`);
    }
  }
}
