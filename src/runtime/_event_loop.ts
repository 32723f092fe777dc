/**
 * The binary's own event loop for its sockets: one epoll set, waited on in turns that the
 * host runtime schedules (setImmediate on Bun). The runtime's own epoll descriptor is a
 * member of the set, so a wait ends as soon as the runtime has something to do (its
 * sockets, signals, child processes, threads' wake-ups), and the turn then returns to let
 * it run. Timers and immediates of the runtime are not seen: a wait lasts at most a few
 * milliseconds after activity, backing off to MAX_WAIT_MS when idle.
 *
 * Watchers register by descriptor; every registration gets a fresh tag in the event's
 * data, so an event of a descriptor closed and reused within one batch is not delivered
 * to the new owner.
 */
import {
  EINTR,
  EPOLL_CLOEXEC,
  EPOLL_CTL_ADD,
  EPOLL_CTL_MOD,
  EPOLLIN,
  type EventLayout,
  type Sys,
} from "./_sys.ts";

/** What a registered descriptor is told. */
export interface Watcher {
  /** The descriptor's events (EPOLLIN, EPOLLOUT, ...), or 0 for a turn asked for by later(). */
  ready(events: number): void;
}

/** What the loop needs from the host runtime. */
export interface LoopHost {
  /** Runs `turn` once the runtime has done its own pending work (setImmediate). */
  schedule(turn: () => void): void;
  /** A watcher threw (a bug): report it; the loop goes on. */
  fault(error: Error): void;
}

const MAX_EVENTS = 256;
/** A wait right after activity lasts at most this long... */
const MIN_WAIT_MS = 1;
/** ...and doubles with each empty one up to this (the lateness of the runtime's timers). */
export const MAX_WAIT_MS = 50;

/** The loop. */
export class EventLoop {
  readonly #sys: Sys;
  readonly #host: LoopHost;
  readonly #layout: EventLayout;
  readonly #ep: number;
  readonly #event: Uint8Array;
  readonly #eventView: DataView;
  readonly #events: Uint8Array;
  readonly #eventsView: DataView;
  readonly #watchers: (Watcher | undefined)[] = [];
  readonly #tags: number[] = [];
  #nextTag = 0;
  #count = 0;
  #later: Watcher[] = [];
  #scheduled = false;
  #waitMs = MIN_WAIT_MS;
  readonly #turn = () => this.turn();

  /** Creates the epoll set; throws when the system refuses. `outer`: the runtime's own. */
  constructor(sys: Sys, layout: EventLayout, host: LoopHost, outer: number[]) {
    this.#sys = sys;
    this.#layout = layout;
    this.#host = host;
    this.#event = new Uint8Array(layout.size);
    this.#eventView = new DataView(this.#event.buffer);
    this.#events = new Uint8Array(layout.size * MAX_EVENTS);
    this.#eventsView = new DataView(this.#events.buffer);
    this.#ep = sys.epollCreate(EPOLL_CLOEXEC);
    if (this.#ep < 0) throw new Error(`epoll_create1: ${sys.strerror(sys.errno())}`);
    // the runtime's descriptors only end a wait (no watcher): they do not keep turns going
    for (const fd of outer) {
      if (this.#ctl(EPOLL_CTL_ADD, fd, EPOLLIN, this.#tag()) !== 0) {
        throw new Error(`epoll_ctl of the runtime's loop: ${sys.strerror(sys.errno())}`);
      }
    }
  }

  /** Watches `fd` for `events`; returns 0, or -1 with the errno in `sys`. */
  add(fd: number, events: number, watcher: Watcher): number {
    const tag = this.#tag();
    if (this.#ctl(EPOLL_CTL_ADD, fd, events, tag) !== 0) return -1;
    this.#watchers[fd] = watcher;
    this.#tags[fd] = tag;
    this.#count++;
    this.#schedule();
    return 0;
  }

  /** Changes what a watched `fd` is watched for; returns 0, or -1 with the errno in `sys`. */
  modify(fd: number, events: number): number {
    return this.#ctl(EPOLL_CTL_MOD, fd, events, this.#tags[fd] ?? 0);
  }

  /** Forgets `fd` (its owner closes it next, which takes it out of the set). */
  forget(fd: number): void {
    if (this.#watchers[fd] === undefined) return;
    this.#watchers[fd] = undefined;
    this.#tags[fd] = 0;
    this.#count--;
  }

  /** Calls `watcher.ready(0)` in this turn, after its events, or in the next one. */
  later(watcher: Watcher): void {
    this.#later.push(watcher);
    this.#schedule();
  }

  /** One wait and what it found; then the next turn is scheduled while anything is watched. */
  turn(): void {
    this.#scheduled = false;
    const timeout = this.#later.length > 0 ? 0 : this.#waitMs;
    const n = this.#sys.epollWait(this.#ep, this.#events, MAX_EVENTS, timeout);
    if (n > 0) {
      this.#waitMs = MIN_WAIT_MS;
      this.#dispatch(n);
    } else if (n === 0 && timeout > 0) {
      this.#waitMs = Math.min(this.#waitMs * 2, MAX_WAIT_MS);
    } else if (n < 0 && this.#sys.errno() !== EINTR) {
      this.#host.fault(new Error(`epoll_wait: ${this.#sys.strerror(this.#sys.errno())}`));
    }
    this.#runLater();
    this.#schedule();
  }

  #dispatch(n: number): void {
    const view = this.#eventsView;
    const { size, data } = this.#layout;
    for (let i = 0; i < n; i++) {
      const at = i * size;
      const fd = view.getUint32(at + data, true);
      const watcher = this.#watchers[fd];
      if (watcher === undefined || this.#tags[fd] !== view.getUint32(at + data + 4, true)) {
        continue;
      }
      this.#call(watcher, view.getUint32(at, true));
    }
  }

  #runLater(): void {
    // what these calls ask for later runs now too, up to a bound (then in the next turn)
    for (let round = 0; round < 8 && this.#later.length > 0; round++) {
      const batch = this.#later;
      this.#later = [];
      for (const watcher of batch) this.#call(watcher, 0);
    }
  }

  #call(watcher: Watcher, events: number): void {
    try {
      watcher.ready(events);
    } catch (error) {
      this.#host.fault(error as Error);
    }
  }

  #schedule(): void {
    if (this.#scheduled || (this.#count === 0 && this.#later.length === 0)) return;
    this.#scheduled = true;
    this.#host.schedule(this.#turn);
  }

  /** A tag never 0 (the mark of a forgotten descriptor). */
  #tag(): number {
    this.#nextTag = (this.#nextTag + 1) >>> 0;
    if (this.#nextTag === 0) this.#nextTag = 1;
    return this.#nextTag;
  }

  #ctl(op: number, fd: number, events: number, tag: number): number {
    const view = this.#eventView;
    const { data } = this.#layout;
    view.setUint32(0, events >>> 0, true);
    view.setUint32(data, fd, true);
    view.setUint32(data + 4, tag, true);
    return this.#sys.epollCtl(this.#ep, op, fd, this.#event);
  }
}
