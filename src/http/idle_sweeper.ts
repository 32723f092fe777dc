/**
 * Inactivity timeouts for many exchanges with one shared interval timer instead of a
 * timer per request (timers cost an op each; the proxy's hot path cannot afford two).
 */

/** One watched activity. */
export interface Watch {
  /** Marks activity now. */
  touch(): void;
  /** Stops watching (idempotent). */
  stop(): void;
  /** True once the limit passed without activity. */
  readonly expired: boolean;
}

/** How often deadlines are checked: timeouts fire up to this late. */
const SWEEP_MS = 200;

class Entry implements Watch {
  last: number;
  expired = false;
  stopped = false;
  constructor(
    readonly owner: IdleSweeper,
    readonly limitMs: number,
    readonly onExpire: () => void,
  ) {
    this.last = owner.now();
  }
  touch(): void {
    this.last = this.owner.now();
  }
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.owner.remove(this);
  }
}

/** Runs `onExpire` for every watch idle longer than its limit. */
export class IdleSweeper {
  readonly #entries = new Set<Entry>();
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(readonly now: () => number = Date.now) {}

  /** Starts watching; `onExpire` runs once if `limitMs` pass without `touch()`. */
  watch(limitMs: number, onExpire: () => void): Watch {
    const entry = new Entry(this, limitMs, onExpire);
    this.#entries.add(entry);
    this.#timer ??= setInterval(() => this.sweep(), SWEEP_MS);
    return entry;
  }

  /** Checks every watch now (called by the interval; tests call it with a fake clock). */
  sweep(): void {
    if (this.#entries.size === 0) {
      // stopped lazily: starting and clearing an interval per request costs more than a sweep
      clearInterval(this.#timer);
      this.#timer = undefined;
      return;
    }
    const now = this.now();
    for (const entry of this.#entries) {
      if (now - entry.last >= entry.limitMs) {
        entry.expired = true;
        entry.stop();
        entry.onExpire();
      }
    }
  }

  /** Stops the interval now (shutdown and tests); watching again restarts it. */
  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Number of watches alive. */
  get size(): number {
    return this.#entries.size;
  }

  /** @internal */
  remove(entry: Entry): void {
    this.#entries.delete(entry);
  }
}
