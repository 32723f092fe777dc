/**
 * A 101 Switching Protocols response (WebSocket): the backend's head as it sent it, then
 * its raw bytes as they come, unbuffered. The relay ends when the backend closes; the
 * client's bytes go the other way through the exchange.
 */
import { concatBytes } from "../bytes.ts";
import type { ResponseHead } from "../uwsgi/response_head.ts";
import type { OutQueue } from "./out_queue.ts";
import type { RelayOwner } from "./response_relay.ts";

/** The backend's side of a tunnel. */
export class TunnelRelay {
  readonly status = 101;
  readonly keepAlive = false;
  /** Bytes the backend sent through the tunnel so far (after its head). */
  sent = 0;
  complete = false;
  readonly #out: OutQueue;
  readonly #owner: RelayOwner;

  constructor(out: OutQueue, owner: RelayOwner) {
    this.#out = out;
    this.#owner = owner;
  }

  /** The head, and the first bytes that came with it: rest (or null). */
  start(head: ResponseHead, rest: Uint8Array | null): void {
    this.#out.buffering = false;
    const raw = head.bytes.subarray(0, head.bodyStart);
    this.#out.write(rest === null ? raw.slice() : concatBytes([raw, rest]));
  }

  /** More bytes of the backend; false = its reading should pause. */
  body(bytes: Uint8Array): boolean {
    this.sent += bytes.length;
    return this.#out.write(bytes);
  }

  /** The backend closed its side. */
  end(): void {
    this.complete = true;
    this.#owner.relayComplete();
  }

  dispose(): void {}
}
