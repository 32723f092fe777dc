/** The owner of a connection that only gets some bytes and a close (refusals, stats). */
import type { StreamEvents, StreamSocket } from "../runtime/types.ts";

/** How long the peer gets to read the bytes and close before the socket is reset. */
const LINGER_MS = 1000;

/**
 * Writes `bytes` to `socket`, then closes it; what the peer sends is ignored. A peer that
 * does not close its side is cut off after a second: such sockets must not pile up.
 * `atOnce` closes without waiting for the peer at all (`finish`, where the socket has it),
 * for refusals when descriptors run short: a descriptor held longer means more refused.
 */
export function sendAndClose(
  socket: StreamSocket,
  bytes: Uint8Array,
  atOnce = false,
): StreamEvents {
  const close = () => atOnce && socket.finish ? socket.finish() : socket.end();
  let rest = bytes;
  const push = () => {
    if (rest.length === 0) return;
    const n = socket.write(rest);
    if (n < 0) return;
    rest = rest.subarray(n);
    if (rest.length === 0) close();
  };
  push();
  const timer = setTimeout(() => socket.terminate(), LINGER_MS);
  return {
    data: () => {},
    drain: push,
    end: close,
    closed: () => clearTimeout(timer),
  };
}
