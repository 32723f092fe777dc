/** A backend connection that runs `onClose` once, the first time it is closed. */
import type { Conn } from "../runtime/types.ts";

/** Wraps `conn` so that closing it also calls `onClose` (exactly once). */
export function withCloseHook(conn: Conn, onClose: () => void): Conn {
  let open = true;
  return {
    read: (buffer) => conn.read(buffer),
    write: (bytes) => conn.write(bytes),
    close: () => {
      if (open) {
        open = false;
        onClose();
      }
      conn.close();
    },
  };
}
