/** Datagram sockets for subscriptions on Bun: UDP here, unix datagram in _bun_unix_datagram.ts. */
import type { DatagramSocket, ListenAddress } from "./types.ts";
import { DatagramInbox } from "./_datagram_inbox.ts";
import { listenUnixDatagram } from "./_bun_unix_datagram.ts";

interface BunUdp {
  udpSocket(options: Record<string, unknown>): Promise<{ close(): void }>;
}

const bun = (globalThis as unknown as { Bun: BunUdp }).Bun;

/** A UDP or unix datagram socket bound to `address`; its datagrams queue until received. */
export function listenDatagram(address: ListenAddress): DatagramSocket {
  if (address.transport === "unix") return listenUnixDatagram(address.path);
  const inbox = new DatagramInbox();
  const socket = bun.udpSocket({
    hostname: address.hostname,
    port: address.port,
    socket: {
      data(_socket: unknown, data: Uint8Array) {
        inbox.push(data.slice());
      },
    },
  });
  return {
    receive: () => inbox.receive(),
    sendTo() {
      return Promise.reject(new Error("a UDP subscription socket sends to host:port only"));
    },
    close() {
      inbox.close();
      socket.then((s) => s.close(), () => {});
    },
  };
}
