/** A fake world for the binary's own sockets: a FakeSys, a loop turned by hand, an owner that
 * records its events. Shared by the raw socket tests. */
import { EventLoop } from "../../src/runtime/_event_loop.ts";
import { RawSocket, READ_SIZE, type SocketHost } from "../../src/runtime/_raw_socket.ts";
import { ReadBuffers } from "../../src/runtime/_read_pool.ts";
import { EPOLLIN, EPOLLOUT } from "../../src/runtime/_sys.ts";
import type { ConnectEvents, StreamSocket } from "../../src/runtime/types.ts";
import { FakeSys, LAYOUT } from "./fake_sys.ts";

export interface World {
  sys: FakeSys;
  host: SocketHost;
  loop: EventLoop;
  faults: Error[];
  /** Runs one turn of the loop (what setImmediate would run). */
  turn(): void;
}

export function world(): World {
  const sys = new FakeSys();
  const faults: Error[] = [];
  let scheduled: (() => void) | null = null;
  const loop = new EventLoop(sys, LAYOUT, {
    schedule: (turn) => scheduled = turn,
    fault: (error) => faults.push(error),
  }, []);
  const host: SocketHost = {
    sys,
    loop,
    fault: (error) => faults.push(error),
    noteRead: () => {},
    reads: new ReadBuffers(READ_SIZE, (size) => new Uint8Array(size)),
  };
  return {
    sys,
    host,
    loop,
    faults,
    turn: () => {
      const turn = scheduled;
      scheduled = null;
      (turn ?? (() => loop.turn()))();
    },
  };
}

/** An owner that records its events as text. */
export function recorder(): ConnectEvents & {
  log: string[];
  bytes: Uint8Array[];
  socket?: StreamSocket;
} {
  const log: string[] = [];
  const bytes: Uint8Array[] = [];
  const owner: ConnectEvents & { log: string[]; bytes: Uint8Array[]; socket?: StreamSocket } = {
    log,
    bytes,
    data(chunk) {
      bytes.push(chunk);
      log.push(`data ${new TextDecoder().decode(chunk)}`);
    },
    drain: () => log.push("drain"),
    end: () => log.push("end"),
    closed: (error) => log.push(error ? `closed ${error.message}` : "closed"),
    opened(socket) {
      owner.socket = socket;
      log.push("opened");
    },
    connectFailed: (error) => log.push(`failed ${error.message} ${error.code ?? ""}`.trim()),
  };
  return owner;
}

/** An accepted-like socket on fd 10 watched by the loop, with `owner`. */
export function accepted(w: World, owner = recorder(), hold = false) {
  const fd = w.sys.socket();
  const socket = new RawSocket(fd, w.host, hold);
  socket.owner = owner;
  w.loop.add(fd, EPOLLIN | EPOLLOUT, socket);
  return { fd, socket, owner, file: w.sys.fd(fd) };
}

export const text = (s: string) => new TextEncoder().encode(s);
