/**
 * The static `http-to` nodes: round-robin in configuration order, a node that failed to
 * connect skipped for `http-gracetime` (spec §5). The clock is injected.
 */

/** One node and its counters (shape of uWSGI's stats entry). */
export interface StaticNode<T> {
  node: T;
  name: string;
  hits: number;
  /** Clock time (ms) the node was marked failed; 0 while alive. */
  failedAt: number;
  /** An active health check failed: no requests until one succeeds. */
  down: boolean;
}

/** Round-robin over nodes with a grace period for failed ones. */
export class StaticPool<T> {
  readonly nodes: StaticNode<T>[];
  #cursor = 0;
  readonly #graceMs: number;
  readonly #now: () => number;

  constructor(nodes: Array<{ node: T; name: string }>, graceMs: number, now: () => number) {
    this.nodes = nodes.map(({ node, name }) => ({ node, name, hits: 0, failedAt: 0, down: false }));
    this.#graceMs = graceMs;
    this.#now = now;
  }

  /**
   * The next usable node after the cursor, skipping `tried` and those `free` says are
   * full; undefined if none.
   */
  next(tried?: ReadonlySet<T>, free?: (node: T) => boolean): StaticNode<T> | undefined {
    const n = this.nodes.length;
    for (let step = 0; step < n; step++) {
      const entry = this.nodes[this.#cursor]!;
      this.#cursor = (this.#cursor + 1) % n;
      if (tried?.has(entry.node) || entry.down) continue;
      if (entry.failedAt !== 0) {
        if (this.#now() - entry.failedAt < this.#graceMs) continue;
        entry.failedAt = 0;
      }
      if (free && !free(entry.node)) continue;
      entry.hits++;
      return entry;
    }
    return undefined;
  }

  /** Replaces every node (a reloaded worker pool); counters start afresh. */
  replace(nodes: Array<{ node: T; name: string }>): void {
    this.nodes.splice(
      0,
      this.nodes.length,
      ...nodes.map(({ node, name }) => ({ node, name, hits: 0, failedAt: 0, down: false })),
    );
    this.#cursor = 0;
  }

  /** `entry` may get requests now (not down, not within its grace period). */
  up(entry: StaticNode<T>): boolean {
    return !entry.down && (entry.failedAt === 0 || this.#now() - entry.failedAt >= this.#graceMs);
  }

  /** Some node may get requests now. */
  get usable(): boolean {
    return this.nodes.some((n) => this.up(n));
  }

  /**
   * Marks a node failed (connect refused or timed out) for the grace period. A lone node
   * is never skipped (as nginx does): there is nothing better to try, and it may be back
   * (respawned workers) before the grace period ends.
   */
  markFailed(node: T): void {
    if (this.nodes.length === 1) return;
    const entry = this.nodes.find((e) => e.node === node);
    if (entry) entry.failedAt = this.#now() || 1;
  }
}
