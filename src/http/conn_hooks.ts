/** Small helpers around `Conn`, shared by both engines and the stats server. */
import type { Conn } from "../runtime/types.ts";

/** Writes every byte (`Conn.write` may take only part of them). */
export async function writeAll(conn: Conn, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) offset += await conn.write(bytes.subarray(offset));
}

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
