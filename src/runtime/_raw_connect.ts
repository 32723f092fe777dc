/**
 * Outgoing connections on the binary's own sockets: a non-blocking connect(2) to a unix
 * path or a numeric TCP address (names are for the runtime's resolver: the caller falls
 * back to Bun's sockets for them). The outcome reaches the owner in the loop's turn, never
 * from inside connect(): the dispatcher that asks for a connection is still at work then.
 */
import type { ConnectAddress, ConnectEvents } from "./types.ts";
import { RawSocket, type SocketHost } from "./_raw_socket.ts";
import { inetAddress, type SockAddr, unixAddress } from "./_sockaddr.ts";
import {
  AF_UNIX,
  EINPROGRESS,
  IPPROTO_TCP,
  osError,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
  SOCK_STREAM,
  TCP_NODELAY,
} from "./_sys.ts";

const on = new Int32Array([1]);
/** Encoded addresses by their text: a proxy connects to the same few nodes over and over. */
const addresses = new Map<string, SockAddr | null>();

function addressOf(address: ConnectAddress): SockAddr | null {
  const key = address.transport === "unix" ? address.path : `${address.hostname}\0${address.port}`;
  let found = addresses.get(key);
  if (found === undefined) {
    found = address.transport === "unix"
      ? unixAddress(address.path)
      : inetAddress(address.hostname, address.port);
    if (addresses.size > 4096) addresses.clear();
    addresses.set(key, found);
  }
  return found;
}

/**
 * Starts connecting `owner` to `address`; false when the address is a host name (not
 * handled here). A path too long for a unix socket fails like a refused connection would.
 */
export function rawConnect(
  host: SocketHost,
  address: ConnectAddress,
  owner: ConnectEvents,
): boolean {
  let target: SockAddr | null;
  try {
    target = addressOf(address);
  } catch (error) {
    failLater(host, owner, error as Error);
    return true;
  }
  if (target === null) return false;
  const { sys } = host;
  const fd = sys.socket(target.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    failLater(host, owner, osError(sys, sys.errno()));
    return true;
  }
  if (target.family !== AF_UNIX) sys.setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, on, 4);
  let inProgress = false;
  if (sys.connect(fd, target.bytes, target.bytes.length) !== 0) {
    const errno = sys.errno();
    if (errno !== EINPROGRESS) {
      sys.close(fd);
      failLater(host, owner, osError(sys, errno));
      return true;
    }
    inProgress = true;
  }
  const socket = new RawSocket(fd, host);
  socket.owner = owner;
  if (socket.connecting(inProgress) !== 0) {
    const error = osError(sys, sys.errno());
    sys.close(fd);
    failLater(host, owner, error);
  }
  return true;
}

/** Tells `owner` of a failed connect in the loop's turn. */
function failLater(host: SocketHost, owner: ConnectEvents, error: Error): void {
  host.loop.later({
    ready() {
      owner.connectFailed(error);
    },
  });
}
