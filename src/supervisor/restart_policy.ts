/**
 * When to respawn a crashed child: capped exponential backoff, and giving up after a burst
 * of fast crashes (a process that dies within `fastMs` of its start, `burst` times in a
 * row, will not get better by itself). The clock is injected.
 */

/** What to do after an unexpected exit. */
export type RestartDecision =
  | { action: "restart"; delayMs: number }
  | { action: "give-up"; crashes: number };

/** Tunables (defaults suit a web app: 0.5 s doubling to 30 s, 5 fast crashes). */
export interface RestartOptions {
  initialMs: number;
  maxMs: number;
  /** A process that lived less than this crashed "fast". */
  fastMs: number;
  /** Consecutive fast crashes before giving up. */
  burst: number;
}

const DEFAULTS: RestartOptions = { initialMs: 500, maxMs: 30_000, fastMs: 10_000, burst: 5 };

/** Backoff state of one supervised child. */
export class RestartPolicy {
  readonly #options: RestartOptions;
  readonly #now: () => number;
  #startedAt: number;
  #fastCrashes = 0;

  constructor(now: () => number, options: Partial<RestartOptions> = {}) {
    this.#options = { ...DEFAULTS, ...options };
    this.#now = now;
    this.#startedAt = now();
  }

  /** Call when the child (re)starts. */
  started(): void {
    this.#startedAt = this.#now();
  }

  /** Call when the child exited without being asked to. */
  exited(): RestartDecision {
    const lived = this.#now() - this.#startedAt;
    if (lived >= this.#options.fastMs) this.#fastCrashes = 0;
    this.#fastCrashes++;
    if (this.#fastCrashes >= this.#options.burst) {
      return { action: "give-up", crashes: this.#fastCrashes };
    }
    const delayMs = Math.min(
      this.#options.initialMs * 2 ** (this.#fastCrashes - 1),
      this.#options.maxMs,
    );
    return { action: "restart", delayMs };
  }
}
