/** Datagrams that arrived before anyone asked for them, for `DatagramSocket.receive()`. */
export class DatagramInbox {
  readonly #queue: Uint8Array[] = [];
  #waiting: { resolve(bytes: Uint8Array | null): void; reject(error: Error): void } | null = null;
  #closed = false;
  #failure: Error | null = null;

  /** A datagram arrived. */
  push(bytes: Uint8Array): void {
    if (this.#closed) return;
    const waiting = this.#waiting;
    if (waiting === null) {
      this.#queue.push(bytes);
      return;
    }
    this.#waiting = null;
    waiting.resolve(bytes);
  }

  /** The next datagram; null once closed; rejects once the socket has failed. */
  receive(): Promise<Uint8Array | null> {
    const next = this.#queue.shift();
    if (next !== undefined) return Promise.resolve(next);
    if (this.#failure !== null) return Promise.reject(this.#failure);
    if (this.#closed) return Promise.resolve(null);
    return new Promise((resolve, reject) => this.#waiting = { resolve, reject });
  }

  /** No more datagrams: the one waiting gets null. */
  close(): void {
    this.#closed = true;
    this.#waiting?.resolve(null);
    this.#waiting = null;
  }

  /** The socket broke: the one waiting (or the next to ask) gets `error`. */
  fail(error: Error): void {
    this.#failure = error;
    this.#closed = true;
    this.#waiting?.reject(error);
    this.#waiting = null;
  }
}
