/** UDP sockets for subscriptions on Bun (unix datagram sockets are not available there). */
import type { DatagramSocket, ListenAddress } from "./types.ts";

interface BunUdp {
  udpSocket(options: Record<string, unknown>): Promise<{ close(): void }>;
}

const bun = (globalThis as unknown as { Bun: BunUdp }).Bun;

/** A UDP socket bound to `address`; its datagrams queue until received. */
export function listenDatagram(address: ListenAddress): DatagramSocket {
  if (address.transport === "unix") {
    throw new Error("unix datagram sockets are not available in the Bun build: use host:port");
  }
  const queue: Uint8Array[] = [];
  let waiting: ((bytes: Uint8Array | null) => void) | undefined;
  let closed = false;
  const socket = bun.udpSocket({
    hostname: address.hostname,
    port: address.port,
    socket: {
      data(_socket: unknown, data: Uint8Array) {
        const bytes = data.slice();
        if (waiting) {
          const take = waiting;
          waiting = undefined;
          take(bytes);
        } else {
          queue.push(bytes);
        }
      },
    },
  });
  return {
    receive() {
      const next = queue.shift();
      if (next) return Promise.resolve(next);
      if (closed) return Promise.resolve(null);
      return new Promise((resolve) => (waiting = resolve));
    },
    sendTo() {
      return Promise.reject(new Error("unix datagram sockets are not available in the Bun build"));
    },
    close() {
      closed = true;
      socket.then((s) => s.close(), () => {});
      waiting?.(null);
    },
  };
}
