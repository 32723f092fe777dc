/**
 * One garbage collection when the binary goes quiet after traffic. With its 32 MB heap
 * floor (_bun_jsc_options.ts) JavaScriptCore collects only as the heap grows, so the
 * garbage of a burst (up to ~30 MB) stayed until traffic came again: 10,000 idle
 * keep-alive connections measured 2.2-4.2 KiB of private memory each, depending on when the
 * last collection happened; collected, ~2 KiB. The collection costs 5-15 ms once, 1-2 s after
 * the last read, and never runs under steady traffic. Reads are those of Bun's own sockets
 * (plain and `Bun.listen({ tls })` listeners, backends); SNI listeners on node:tls do not
 * count, and collect as before.
 */

/** How often traffic is looked for. */
const CHECK_MS = 1000;

interface GcApi {
  gc(synchronous: boolean): void;
}

/** Reads since the last check: bumped by every socket `data` event. */
let reads = 0;
/** Traffic came since the last collection. */
let dirty = false;
let started = false;

/** Counts a socket read (traffic). */
export function noteRead(): void {
  reads++;
}

/**
 * Starts the checks (once; the timer keeps no process alive). `drop` lets go of what is only
 * kept for traffic (free read buffers) just before the collection.
 */
export function startIdleCollection(bun: GcApi, drop: () => void = () => {}): void {
  if (started) return;
  started = true;
  const timer = setInterval(
    idleCheck(() => {
      drop();
      bun.gc(true);
    }),
    CHECK_MS,
  );
  (timer as unknown as { unref?(): void }).unref?.();
}

/** One check: `collect` runs at the first check without reads after one with some. */
export function idleCheck(collect: () => void): () => void {
  return () => {
    if (reads !== 0) {
      reads = 0;
      dirty = true;
    } else if (dirty) {
      dirty = false;
      collect();
    }
  };
}
