/**
 * Timeouts for every connection with one shared interval instead of a timer per request
 * (a timer per request costs more than the proxy's whole budget). Connections are the
 * entries themselves: each has one `deadline` field, 0 when nothing is timed. The sweep
 * also keeps a coarse clock (`now`), so that marking activity costs a field copy.
 */

/** Something with a deadline. */
export interface Timed {
  /** Clock time (ms) at which `timedOut` runs; 0 = none. */
  deadline: number;
  timedOut(now: number): void;
}

/** How often deadlines are checked: timeouts fire up to this late. */
export const TICK_MS = 100;

/** The set of timed things and the interval that checks them. */
export class Deadlines {
  /** The clock as of the last tick (or `refresh()`): good to about TICK_MS. */
  now: number;
  readonly #items = new Set<Timed>();
  readonly #clock: () => number;
  readonly #fault: (error: Error) => void;
  #timer: ReturnType<typeof setInterval> | undefined;

  /** `fault` hears of errors thrown by `timedOut` (bugs): the others still fire. */
  constructor(clock: () => number, fault: (error: Error) => void = (e) => {
    throw e;
  }) {
    this.#clock = clock;
    this.#fault = fault;
    this.now = clock();
  }

  /** Starts checking `item` (its deadline may be set or changed any time). */
  add(item: Timed): void {
    this.#items.add(item);
    if (this.#timer === undefined) {
      this.now = this.#clock();
      this.#timer = setInterval(() => this.tick(), TICK_MS);
    }
  }

  /** Stops checking `item`. */
  delete(item: Timed): void {
    this.#items.delete(item);
  }

  /** Reads the clock now (before measuring a duration). */
  refresh(): number {
    this.now = this.#clock();
    return this.now;
  }

  /** Fires every passed deadline (the interval calls it; tests call it with a fake clock). */
  tick(): void {
    if (this.#items.size === 0) {
      // stopped lazily: starting and stopping an interval per request costs more than a tick
      clearInterval(this.#timer);
      this.#timer = undefined;
      return;
    }
    const now = this.refresh();
    for (const item of this.#items) {
      if (item.deadline !== 0 && item.deadline <= now) {
        item.deadline = 0;
        try {
          item.timedOut(now);
        } catch (error) {
          this.#fault(error as Error);
        }
      }
    }
  }

  /** Stops the interval (shutdown, tests); adding an item restarts it. */
  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Items being checked. */
  get size(): number {
    return this.#items.size;
  }
}
