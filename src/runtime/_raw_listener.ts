/**
 * Listeners on the binary's own sockets: a TCP (numeric address) or unix stream socket,
 * accepted from with accept4(2) in the loop's turn; each connection becomes a RawSocket
 * whose owner the engine makes. Out of descriptors, a listener stops accepting for a while
 * (as nginx does) instead of waking up in a loop for a connection it cannot take.
 */
import fs from "node:fs";
import type { AcceptHandlers, ListenAddress, StreamListener } from "./types.ts";
import { RawSocket, SOCKET_EVENTS, type SocketHost } from "./_raw_socket.ts";
import {
  hostOf,
  inetAddress,
  portOf,
  type SockAddr,
  SOCKADDR_MAX,
  unixAddress,
} from "./_sockaddr.ts";
import {
  AF_UNIX,
  EAGAIN,
  ECONNABORTED,
  EINTR,
  EPOLLIN,
  IPPROTO_TCP,
  osError,
  SO_REUSEADDR,
  SO_REUSEPORT,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
  SOCK_STREAM,
  SOL_SOCKET,
  TCP_NODELAY,
} from "./_sys.ts";

/** The listen queue (what nginx asks for; the kernel caps it at net.core.somaxconn). */
const BACKLOG = 511;
/** Connections accepted in one event before others get their turn. */
const ACCEPTS_PER_EVENT = 64;
/** A listener out of descriptors rests this long before it accepts again. */
const REST_MS = 100;

const on = new Int32Array([1]);
const peerAddress = new Uint8Array(SOCKADDR_MAX);
const peerLength = new Int32Array(1);
const NO_PEER = { address: "0.0.0.0", port: 0 };

/**
 * Binds and listens on `address`; null when it is a host name (not handled here). Throws
 * the system's error when the address cannot be bound.
 */
export function rawListen(
  host: SocketHost,
  address: ListenAddress,
  handlers: AcceptHandlers,
  reusePort: boolean,
): StreamListener | null {
  const unix = address.transport === "unix";
  const target = unix ? unixAddress(address.path) : inetAddress(address.hostname, address.port);
  if (target === null) return null;
  const fd = bound(host, target, reusePort);
  const listener = new Listener(host, fd, handlers, unix);
  if (host.loop.add(fd, EPOLLIN, listener) !== 0) {
    const error = osError(host.sys, host.sys.errno());
    host.sys.close(fd);
    throw error;
  }
  return {
    address: unix ? address : {
      transport: "tcp",
      hostname: address.hostname,
      port: localPort(host, fd, address.port),
    },
    close: () => listener.close(),
  };
}

/** A listening descriptor for `target`. */
function bound(host: SocketHost, target: SockAddr, reusePort: boolean): number {
  const { sys } = host;
  const fd = sys.socket(target.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw osError(sys, sys.errno());
  const fail = () => {
    const error = osError(sys, sys.errno());
    sys.close(fd);
    return error;
  };
  if (target.family === AF_UNIX) {
    const path = new TextDecoder().decode(target.bytes.subarray(2, -1));
    fs.rmSync(path, { force: true });
  } else {
    sys.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, on, 4);
    if (reusePort && sys.setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, on, 4) !== 0) throw fail();
  }
  if (sys.bind(fd, target.bytes, target.bytes.length) !== 0) throw fail();
  if (sys.listen(fd, BACKLOG) !== 0) throw fail();
  return fd;
}

/** The port the kernel gave (when 0 was asked for). */
function localPort(host: SocketHost, fd: number, asked: number): number {
  if (asked !== 0) return asked;
  peerLength[0] = SOCKADDR_MAX;
  if (host.sys.getsockname(fd, peerAddress, peerLength) !== 0) return asked;
  return portOf(peerAddress);
}

class Listener {
  readonly #host: SocketHost;
  readonly #fd: number;
  readonly #handlers: AcceptHandlers;
  readonly #unix: boolean;
  #closed = false;
  #resting = false;

  constructor(host: SocketHost, fd: number, handlers: AcceptHandlers, unix: boolean) {
    this.#host = host;
    this.#fd = fd;
    this.#handlers = handlers;
    this.#unix = unix;
  }

  ready(_events: number): void {
    const { sys } = this.#host;
    for (let i = 0; i < ACCEPTS_PER_EVENT && !this.#closed && !this.#resting; i++) {
      peerLength[0] = SOCKADDR_MAX;
      const fd = sys.accept4(this.#fd, peerAddress, peerLength, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd >= 0) {
        this.#accepted(fd);
        continue;
      }
      const errno = sys.errno();
      if (errno === EAGAIN) return;
      if (errno === EINTR || errno === ECONNABORTED) continue;
      // out of descriptors or memory: rest, or this event comes back at once, for ever
      this.#handlers.failed?.(osError(sys, errno));
      this.#rest();
      return;
    }
  }

  #accepted(fd: number): void {
    const host = this.#host;
    const peer = this.#unix ? NO_PEER : { address: hostOf(peerAddress), port: portOf(peerAddress) };
    if (!this.#unix) host.sys.setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, on, 4);
    const socket = new RawSocket(fd, host, true);
    try {
      socket.owner = this.#handlers.stream(socket, { peer, tls: false, writesCopy: true });
    } catch (error) {
      host.fault(error as Error);
      socket.terminate();
      return;
    }
    // answered and closed while its owner was made (a refusal)
    if (socket.closed) return;
    if (host.loop.add(fd, SOCKET_EVENTS, socket) !== 0) socket.terminate();
  }

  #rest(): void {
    this.#resting = true;
    this.#host.loop.modify(this.#fd, 0);
    setTimeout(() => {
      this.#resting = false;
      if (!this.#closed) this.#host.loop.modify(this.#fd, EPOLLIN);
    }, REST_MS);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#host.loop.forget(this.#fd);
    this.#host.sys.close(this.#fd);
  }
}
