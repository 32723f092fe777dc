/**
 * TLS listeners on node:tls, shared by both runtimes: certificates chosen by SNI
 * (addContext), ALPN offering h2 and http/1.1; HTTP/1.1 connections go to the engine as
 * stream sockets, HTTP/2 ones to a node:http2 server.
 */
import process from "node:process";
import type { Duplex } from "node:stream";
import type { TLSSocket } from "node:tls";
import type {
  AcceptHandlers,
  ListenAddress,
  StreamEvents,
  StreamListener,
  StreamSocket,
  TlsConfig,
} from "./types.ts";
import { http2StreamServer } from "./_h2_pipe.ts";

let report: (error: Error) => void = (error) => {
  throw error;
};

/** Where errors thrown by owners of TLS connections go (the connection is closed after). */
export function onTlsFault(handler: (error: Error) => void): void {
  report = handler;
}

/** A Node stream (a TLS socket) as a StreamSocket. */
export class NodeStreamSocket implements StreamSocket {
  readonly #stream: Duplex;
  #full = false;
  #closed = false;
  #error: Error | undefined;

  constructor(stream: Duplex) {
    this.#stream = stream;
  }

  /** Starts delivering the stream's events to `owner`. */
  attach(owner: StreamEvents): void {
    const stream = this.#stream;
    const call = (callback: () => void) => {
      try {
        callback();
      } catch (error) {
        report(error as Error);
        stream.destroy();
      }
    };
    stream.on("data", (data: Uint8Array) => call(() => owner.data(data)));
    stream.on("drain", () => {
      this.#full = false;
      call(() => owner.drain());
    });
    stream.on("end", () => call(() => owner.end()));
    stream.on("error", (error: Error) => (this.#error = error));
    stream.on("close", () => {
      this.#closed = true;
      call(() => owner.closed(this.#error));
    });
  }

  write(bytes: Uint8Array, offset = 0, length = bytes.length - offset): number {
    if (this.#closed || !this.#stream.writable) return -1;
    if (offset !== 0 || length !== bytes.length) bytes = bytes.subarray(offset, offset + length);
    if (this.#full) return 0;
    // the stream keeps what it cannot send yet; the next write waits for "drain"
    if (!this.#stream.write(bytes)) this.#full = true;
    return bytes.length;
  }

  pause(): void {
    this.#stream.pause();
  }

  resume(): void {
    this.#stream.resume();
  }

  end(): void {
    this.#stream.end();
  }

  terminate(): void {
    this.#stream.destroy();
  }
}

/** Listens with TLS; resolves once bound, rejects with the bind or certificate error. */
export function listenTls(
  address: ListenAddress,
  handlers: AcceptHandlers,
  config: TlsConfig,
): Promise<StreamListener> {
  // loaded here: a proxy without TLS listeners does not carry them (~15 MB of RSS)
  const tls = process.getBuiltinModule("node:tls");
  const h2 = handlers.http2 ? http2StreamServer(handlers.http2, handlers.http2IdleMs) : undefined;
  const server = tls.createServer(
    {
      cert: config.cert,
      key: config.key,
      ALPNProtocols: h2 ? ["h2", "http/1.1"] : ["http/1.1"],
    },
    (socket: TLSSocket) => {
      if (h2 && socket.alpnProtocol === "h2") {
        h2.emit("connection", socket);
        return;
      }
      socket.setNoDelay(true);
      const stream = new NodeStreamSocket(socket);
      const owner = handlers.stream(stream, {
        peer: { address: socket.remoteAddress ?? "0.0.0.0", port: socket.remotePort ?? 0 },
        tls: true,
        writesCopy: false,
      });
      stream.attach(owner);
    },
  );
  for (const context of config.contexts) {
    try {
      server.addContext(context.serverName, { cert: context.cert, key: context.key });
    } catch (error) {
      const refused = new Error(`${context.serverName}: ${(error as Error).message}`);
      return Promise.reject(Object.assign(refused, { sni: context.source ?? "" }));
    }
  }
  // failed handshakes (scanners, wrong certificates) are the client's business
  server.on("tlsClientError", () => {});
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    const ready = () => {
      server.off("error", reject);
      server.on("error", (error: Error) => handlers.failed?.(error));
      const bound = server.address();
      resolve({
        address: address.transport === "unix" ? address : {
          transport: "tcp",
          hostname: address.hostname,
          port: typeof bound === "object" && bound ? bound.port : address.port,
        },
        close: () => {
          server.close();
          h2?.close();
        },
      });
    };
    if (address.transport === "unix") server.listen(address.path, ready);
    else server.listen(address.port, address.hostname, ready);
  });
}
