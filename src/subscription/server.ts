/**
 * The subscription server: reads datagrams, applies the good ones to the registry, drops
 * the bad ones with a counted, rate-limited log line. Nothing a node sends can stop it.
 */
import type { Logger } from "../log.ts";
import type { DatagramSocket } from "../runtime/types.ts";
import { decodeAnnouncement } from "./packet.ts";
import type { Registry } from "./registry.ts";

/** One log line about dropped packets at most this often. */
const DROP_LOG_INTERVAL_MS = 10_000;

/** Serves one datagram socket. */
export class SubscriptionServer {
  received = 0;
  dropped = 0;
  #lastDropLog = -Infinity;
  #droppedSinceLog = 0;
  #loop: Promise<void> | undefined;

  constructor(
    readonly socket: DatagramSocket,
    readonly registry: Registry,
    readonly logger: Logger,
    readonly now: () => number,
    /** Also gets every datagram (fan-out to router processes). */
    readonly forward?: (bytes: Uint8Array) => void,
  ) {}

  start(): void {
    this.#loop = this.#run();
  }

  async #run(): Promise<void> {
    while (true) {
      const bytes = await this.socket.receive().catch((error) => {
        this.logger.error(`subscription socket failed: ${(error as Error).message}`);
        return null;
      });
      if (bytes === null) return;
      this.received++;
      this.forward?.(bytes);
      this.handle(bytes);
    }
  }

  /** Applies one datagram (public for tests). */
  handle(bytes: Uint8Array): void {
    try {
      this.registry.apply(decodeAnnouncement(bytes));
    } catch (error) {
      if (!(error instanceof RangeError || error instanceof SyntaxError)) throw error;
      this.dropped++;
      this.#droppedSinceLog++;
      const now = this.now();
      if (now - this.#lastDropLog >= DROP_LOG_INTERVAL_MS) {
        this.logger.warn(
          `dropped ${this.#droppedSinceLog} bad subscription packet(s) (${this.dropped} in all): ${error.message}`,
        );
        this.#lastDropLog = now;
        this.#droppedSinceLog = 0;
      }
    }
  }

  async close(): Promise<void> {
    this.socket.close();
    await this.#loop;
  }
}
