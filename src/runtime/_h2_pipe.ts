/**
 * HTTP/2 on node:http2's core stream API, for both runtimes: a server that hands each
 * stream to the engine, and (Bun) a pipe that feeds it connections whose TLS is already
 * done by the runtime's own sockets (Bun.listen with ALPN "h2").
 */
import process from "node:process";
import type { Duplex } from "node:stream";
import type { Http2Server, ServerHttp2Stream } from "node:http2";
import type { Http2Handler, Http2Stream, Peer, StreamEvents, StreamSocket } from "./types.ts";

/** Streams a client may have open at once on one connection (nginx's default). */
const MAX_STREAMS = 128;

/** The socket of an HTTP/2 session, as the pipe below or a node:tls socket shows it. */
interface SessionSocket {
  remoteAddress?: string;
  remotePort?: number;
}

/**
 * A node:http2 server (no listener of its own: connections are emitted into it) that hands
 * each stream to `handler` with its raw header fields and the connection's peer.
 */
export function http2StreamServer(handler: Http2Handler, idleMs = 0): Http2Server {
  // node:http2 sets no bound
  const settings = { maxConcurrentStreams: MAX_STREAMS };
  const server: Http2Server = process.getBuiltinModule("node:http2").createServer({ settings });
  // idle connections go, as HTTP/1.1 ones do after http-keepalive: GOAWAY, streams finish
  if (idleMs > 0) {
    server.on("session", (session) => session.setTimeout(idleMs, () => session.close()));
  }
  server.on("stream", (stream: ServerHttp2Stream, _: unknown, _flags: number, fields: string[]) => {
    const socket = stream.session?.socket as SessionSocket | undefined;
    const peer = { address: socket?.remoteAddress ?? "0.0.0.0", port: socket?.remotePort ?? 0 };
    handler(stream as unknown as Http2Stream, fields, peer);
  });
  return server;
}

/** node:http2's small writes are held until this many bytes wait, or the event loop turns. */
const BATCH_LIMIT = 65536;
/** A write at least this big goes as it is: copying it would cost more than a send. */
const BIG = 16384;
/** Where a batch is put together (the runtime's sockets copy what they take). */
const SCRATCH = new Uint8Array(BATCH_LIMIT + BIG);

type Done = (error?: Error | null) => void;
const NOOP: Done = () => {};

/**
 * The pipe class, made on first use: node:stream and node:http2 are loaded only by a proxy
 * that serves HTTP/2 (together ~10 MB of RSS).
 */
function definePipe(base: typeof Duplex) {
  /**
   * A StreamSocket seen as the Duplex node:http2 reads and writes. The frames it writes in
   * one turn of the event loop (responses of several streams) leave as one write: one TLS
   * record and one send instead of one per frame, which cost ~25% more CPU per stream.
   */
  return class H2Pipe extends base {
    readonly #socket: StreamSocket;
    #batch: Uint8Array[] = [];
    #batchBytes = 0;
    /** What the socket did not take, with node:stream's callback, until "drain". */
    #waiting: { rest: Uint8Array; done: Done } | undefined;
    /** node:stream's callback of a full batch that waits behind #waiting. */
    #held: Done | undefined;
    /** _final's callback, once everything is sent. */
    #ending: Done | undefined;
    /** The peer, read by node:http2 through its session's socket. */
    readonly remoteAddress: string;
    readonly remotePort: number;

    constructor(socket: StreamSocket, peer: Peer) {
      super();
      this.#socket = socket;
      this.remoteAddress = peer.address;
      this.remotePort = peer.port;
    }

    override _read(): void {
      this.#socket.resume();
    }

    override _write(chunk: Uint8Array, _encoding: string, done: Done): void {
      if (this.#waiting === undefined && chunk.length >= BIG) {
        // what was batched goes first, then the big one without a copy
        if (this.#batch.length > 0) this.#send(this.#takeBatch(), NOOP);
        if (this.#waiting === undefined) return this.#send(chunk, done);
      } else if (this.#batch.length === 0 && this.#waiting === undefined) {
        setImmediate(this.#sendBatch);
      }
      this.#batch.push(chunk);
      this.#batchBytes += chunk.length;
      // below the mark node:http2 goes on at once; above it, it waits for the socket
      if (this.#batchBytes < BATCH_LIMIT) return done();
      if (this.#waiting !== undefined) this.#held = done;
      else this.#send(this.#takeBatch(), done);
    }

    override _final(done: Done): void {
      this.#ending = done;
      this.#sendBatch();
    }

    override _destroy(error: Error | null, done: Done): void {
      this.#batch = [];
      this.#socket.terminate();
      done(error);
    }

    /** Sends what was batched, unless the socket is full (then "drain" does). */
    readonly #sendBatch = (): void => {
      if (this.#waiting !== undefined) return;
      if (this.#batch.length > 0) this.#send(this.#takeBatch(), this.#held ?? NOOP);
      this.#held = undefined;
      const ending = this.#ending;
      if (ending !== undefined && this.#waiting === undefined) {
        this.#ending = undefined;
        this.#socket.end();
        ending();
      }
    };

    /** The batch as one piece: SCRATCH when it fits (then only until the next batch). */
    #takeBatch(): Uint8Array {
      const batch = this.#batch;
      const size = this.#batchBytes;
      this.#batch = [];
      this.#batchBytes = 0;
      if (batch.length === 1) return batch[0]!;
      const bytes = size <= SCRATCH.length ? SCRATCH.subarray(0, size) : new Uint8Array(size);
      let at = 0;
      for (const piece of batch) {
        bytes.set(piece, at);
        at += piece.length;
      }
      return bytes;
    }

    #send(bytes: Uint8Array, done: Done): void {
      const taken = this.#socket.write(bytes);
      if (taken < 0) return done(new Error("connection closed"));
      if (taken === bytes.length) return done();
      const rest = bytes.subarray(taken);
      this.#waiting = { rest: bytes.buffer === SCRATCH.buffer ? rest.slice() : rest, done };
    }

    /** Bytes from the socket (a fresh buffer per event on Bun: it may be kept). */
    received(bytes: Uint8Array): void {
      if (!this.push(bytes)) this.#socket.pause();
    }

    drained(): void {
      const waiting = this.#waiting;
      if (!waiting) return;
      this.#waiting = undefined;
      this.#send(waiting.rest, waiting.done);
      this.#sendBatch();
    }

    gone(error?: Error): void {
      const closed = error ?? new Error("connection closed");
      for (const done of [this.#waiting?.done, this.#held, this.#ending]) done?.(closed);
      this.#waiting = this.#held = this.#ending = undefined;
      this.destroy();
    }
  };
}

let H2Pipe: ReturnType<typeof definePipe> | undefined;

/** A node:http2 server fed connections whose TLS is done; returns its closer and feeder. */
export function h2Server(handler: Http2Handler, idleMs = 0): {
  accept(socket: StreamSocket, peer: Peer): StreamEvents;
  close(): void;
} {
  H2Pipe ??= definePipe(process.getBuiltinModule("node:stream").Duplex);
  const server = http2StreamServer(handler, idleMs);
  return {
    accept(socket, peer) {
      const pipe = new H2Pipe!(socket, peer);
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
