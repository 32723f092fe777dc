/** One connect attempt to a node, which can be given up on. */
import type { ConnectEvents, StreamSocket } from "../runtime/types.ts";

/** A connect attempt: events of an attempt given up on (timed out) close its socket. */
export class Attempt implements ConnectEvents {
  current = true;
  constructor(readonly owner: ConnectEvents) {}
  opened(socket: StreamSocket): void {
    if (this.current) this.owner.opened(socket);
    else socket.terminate();
  }
  connectFailed(error: Error & { code?: string }): void {
    if (this.current) this.owner.connectFailed(error);
  }
  data(bytes: Uint8Array): void {
    if (this.current) this.owner.data(bytes);
  }
  drain(): void {
    if (this.current) this.owner.drain();
  }
  end(): void {
    if (this.current) this.owner.end();
  }
  closed(error?: Error): void {
    if (this.current) this.owner.closed(error);
  }
}
