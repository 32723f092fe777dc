/**
 * An HTTP/2 connection whose TLS is already done by the runtime's own sockets (Bun.listen
 * with ALPN "h2"), handed to a node:http2 server as the Node stream it expects.
 */
import process from "node:process";
import type { Duplex } from "node:stream";
import type { Http2Handler, StreamEvents, StreamSocket } from "./types.ts";

/**
 * The pipe class, made on first use: node:stream and node:http2 are loaded only by a proxy
 * that serves HTTP/2 (together ~10 MB of RSS).
 */
function definePipe(base: typeof Duplex) {
  /** A StreamSocket seen as the Duplex node:http2 reads and writes. */
  return class H2Pipe extends base {
    readonly #socket: StreamSocket;
    #waiting: { rest: Uint8Array; done: (error?: Error | null) => void } | undefined;

    constructor(socket: StreamSocket) {
      super();
      this.#socket = socket;
    }

    override _read(): void {
      this.#socket.resume();
    }

    override _write(
      chunk: Uint8Array,
      _encoding: string,
      done: (error?: Error | null) => void,
    ): void {
      const taken = this.#socket.write(chunk);
      if (taken < 0) return done(new Error("connection closed"));
      if (taken === chunk.length) return done();
      // the rest goes on "drain"; node:stream queues further writes meanwhile
      this.#waiting = { rest: chunk.subarray(taken), done };
    }

    override _final(done: (error?: Error | null) => void): void {
      this.#socket.end();
      done();
    }

    override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
      this.#socket.terminate();
      done(error);
    }

    /** Bytes from the socket (a fresh buffer per event on Bun: it may be kept). */
    received(bytes: Uint8Array): void {
      if (!this.push(bytes)) this.#socket.pause();
    }

    drained(): void {
      const waiting = this.#waiting;
      if (!waiting) return;
      this.#waiting = undefined;
      this._write(waiting.rest, "", waiting.done);
    }

    gone(error?: Error): void {
      this.#waiting?.done(error ?? new Error("connection closed"));
      this.#waiting = undefined;
      this.destroy();
    }
  };
}

let H2Pipe: ReturnType<typeof definePipe> | undefined;

/** A node:http2 server fed connections whose TLS is done; returns its closer and feeder. */
export function h2Server(handler: Http2Handler): {
  accept(socket: StreamSocket): StreamEvents;
  close(): void;
} {
  H2Pipe ??= definePipe(process.getBuiltinModule("node:stream").Duplex);
  const server = process.getBuiltinModule("node:http2").createServer({}, handler);
  return {
    accept(socket) {
      const pipe = new H2Pipe!(socket);
      server.emit("connection", pipe);
      return {
        data: (bytes) => pipe.received(bytes),
        drain: () => pipe.drained(),
        end: () => void pipe.push(null),
        closed: (error) => pipe.gone(error),
      };
    },
    close: () => server.close(),
  };
}
