/**
 * The runtime seam: everything uwsgi-edge needs from the host runtime (Deno or Bun). Only
 * files in src/runtime/ implement it; the rest of the code receives a `Runtime` and never
 * touches a global runtime API.
 *
 * Sockets are event-driven: the engine is told "bytes arrived", "writable again", "peer
 * closed", and acts through a small synchronous interface. No promise per read or write.
 */

import type { ReadPool } from "../http/release.ts";

/** Where to listen: a TCP host/port or a unix stream socket path. */
export type ListenAddress =
  | { transport: "tcp"; hostname: string; port: number }
  | { transport: "unix"; path: string };

/** Where to connect: a TCP host (name, IPv4 or IPv6) and port, or a unix socket path. */
export type ConnectAddress =
  | { transport: "tcp"; hostname: string; port: number }
  | { transport: "unix"; path: string };

/** The client end of an accepted connection. */
export interface Peer {
  /** Textual client address ("127.0.0.1", "::1"); "0.0.0.0" on unix listeners. */
  address: string;
  /** Client port; 0 on unix listeners. */
  port: number;
}

/**
 * A connected stream socket, as the engine drives it (the method names are Bun's, so a
 * Bun socket is one as it is).
 */
export interface StreamSocket {
  /**
   * Sends what the socket takes now of `bytes[offset, offset + length)` (all of `bytes` by
   * default) and returns how many bytes that was, or -1 once it is closed. Unless the
   * listener or runtime says writes copy, taken bytes must not be changed afterwards; the
   * caller keeps the rest and writes it again after the `drain` event.
   */
  write(bytes: Uint8Array, offset?: number, length?: number): number;
  /**
   * As write() of `first[0, firstLength)` followed by `second`, in one system call where the
   * socket can (no copy to join them); returns the bytes taken of both together. Optional:
   * callers join or write twice where it is missing.
   */
  writePair?(first: Uint8Array, firstLength: number, second: Uint8Array): number;
  /** Stops `data` events until `resume()`. */
  pause(): void;
  resume(): void;
  /** Sends FIN once everything taken is written; `data` may still arrive. */
  end(): void;
  /** Closes at once, discarding unwritten bytes (a reset where the transport has one). */
  terminate(): void;
  /**
   * Nothing more is wanted from the peer (a backend whose response is complete): close once
   * everything taken is written, without waiting for the peer's FIN. Where missing, `end()`.
   */
  finish?(): void;
}

/** What a socket tells its owner. Bytes handed to `data` belong to the owner from then on. */
export interface StreamEvents {
  data(bytes: Uint8Array): void;
  /** The socket takes writes again after one took less than it was given. */
  drain(): void;
  /** The peer sent FIN: no more data; writing may go on. */
  end(): void;
  /** The socket is closed; `error` tells why when it failed (a reset, a broken pipe). */
  closed(error?: Error): void;
}

/** The owner of an outgoing connection. */
export interface ConnectEvents extends StreamEvents {
  opened(socket: StreamSocket): void;
  /** The connection could not be made; `error.code` is the errno name when known. */
  connectFailed(error: Error & { code?: string }): void;
}

/** TLS settings of a listener: certificates by server name (SNI) and a default one. */
export interface TlsConfig {
  /** PEM certificate chain and key served when no server name matches. */
  cert: string;
  key: string;
  /** Certificates chosen by the client's server name; `*.example.com` matches one label. */
  contexts: Array<{ serverName: string; cert: string; key: string; source?: string }>;
}

/** What an accepted connection is. */
export interface AcceptInfo {
  peer: Peer;
  /** The connection came in over TLS. */
  tls: boolean;
  /** `write()` copies what it takes before it returns: the caller may reuse its buffer. */
  writesCopy: boolean;
}

/**
 * Called for each accepted connection with its socket; returns the owner of its events.
 * `h2` listeners hand HTTP/2 connections (ALPN "h2") to `http2` instead.
 */
export interface AcceptHandlers {
  stream(socket: StreamSocket, info: AcceptInfo): StreamEvents;
  /** HTTP/2 over TLS: each stream from node:http2 (HTTPS listeners only). */
  http2?: Http2Handler;
  /** An HTTP/2 connection without frames for this long is closed (GOAWAY; streams finish). */
  http2IdleMs?: number;
  /** Accepting or serving failed unexpectedly (out of file descriptors, a bug): log it. */
  failed?(error: Error): void;
}

/** One HTTP/2 stream of node:http2's core API (both runtimes have it): the part used. */
export interface Http2Stream {
  /** The request has no body (END_STREAM came with its headers). */
  readonly endAfterHeaders: boolean;
  /** The whole request body was read (its END_STREAM came and was taken). */
  readonly readableEnded: boolean;
  readonly headersSent: boolean;
  /** The stream is gone (closed, reset, or its session destroyed). */
  readonly destroyed: boolean;
  /** Sends the response head (`:status` among them). */
  respond(headers: Record<string, string | string[]>, options?: { endStream?: boolean }): void;
  /** Queues body bytes; false when the stream's buffer is full (wait for "drain"). */
  write(bytes: Uint8Array): boolean;
  end(bytes?: Uint8Array): void;
  /** Resets the stream with an HTTP/2 error code. */
  close(code?: number): void;
  /** Stops `data` events (and so the client's flow-control window) until `resume()`. */
  pause(): void;
  resume(): void;
  on(event: "data", listener: (bytes: Uint8Array) => void): void;
  on(event: "error", listener: (error: Error) => void): void;
  /** "finish": every response byte was handed to the session. */
  on(event: "end" | "close" | "drain" | "finish", listener: () => void): void;
}

/**
 * Called for each HTTP/2 stream with its header fields as received (name, value, name,
 * value, ...: pseudo-headers first, repeated fields kept) and the connection's peer.
 */
export type Http2Handler = (stream: Http2Stream, fields: string[], peer: Peer) => void;

/** A running stream listener. */
export interface StreamListener {
  /** The bound address (with the real port when 0 was asked for). */
  address: ListenAddress;
  /** Stops accepting; open connections stay. */
  close(): void;
}

/** Options of a stream listener. */
export interface ListenOptions {
  /** Several processes share the TCP port (SO_REUSEPORT). */
  reusePort?: boolean;
  /** TLS (with ALPN h2 and http/1.1). */
  tls?: TlsConfig;
}

/** A datagram socket (UDP or unix datagram): subscription packets. */
export interface DatagramSocket {
  /** The next datagram, or null once closed. */
  receive(): Promise<Uint8Array | null>;
  /** Sends a datagram to a unix datagram socket path (fan-out to router processes). */
  sendTo(bytes: Uint8Array, path: string): Promise<void>;
  close(): void;
}

/** An anonymous temporary file (already unlinked: it disappears when closed or on a crash). */
export interface TempFile {
  /** Writes every byte at `position` (synchronously: the page cache makes it a copy). */
  write(bytes: Uint8Array, position: number): void;
  /** Reads at `position` into `into`; returns the bytes read. */
  read(into: Uint8Array, position: number): number;
  close(): void;
}

/** How a child process ended. */
export interface ExitStatus {
  code: number;
  /** The signal that killed it, if any ("SIGKILL"). */
  signal: string | null;
}

/** A running child process. */
export interface ChildProcess {
  pid: number;
  /** Resolves when the process has exited. */
  status: Promise<ExitStatus>;
  /** Its standard output and error, merged into one stream of text chunks. */
  output: AsyncIterable<string>;
  kill(signal: Signal): void;
  /** Signals the process and, once it leads a process group (setsid), all of that group. */
  killGroup(signal: Signal): void;
}

/** The signals uwsgi-edge sends or handles. */
export type Signal = "SIGINT" | "SIGTERM" | "SIGHUP" | "SIGQUIT" | "SIGKILL" | "SIGUSR1";

/** Everything the program needs from its host. */
export interface Runtime {
  /** Name and version, for --version and logs ("deno 2.9.6"). */
  name: string;
  /** Command-line arguments after the program. */
  args(): string[];
  /** Ends the process. */
  exit(code: number): never;
  /** Listens for stream connections; rejects when the address cannot be bound. */
  listen(
    address: ListenAddress,
    handlers: AcceptHandlers,
    options?: ListenOptions,
  ): Promise<StreamListener>;
  /** Starts connecting; the outcome arrives as `opened` or `connectFailed` on `owner`. */
  connect(address: ConnectAddress, owner: ConnectEvents): void;
  /** `write()` on connected (and plain accepted) sockets copies before it returns. */
  writesCopy: boolean;
  /**
   * Where the engine gives back socket reads it has used up (src/http/release.ts), when the
   * runtime lends them from a pool; null when reads are fresh buffers, detached instead.
   */
  readPool(): ReadPool | null;
  /**
   * Where errors thrown by socket event owners go (bugs: they carry their stack); the
   * socket is then closed and serving goes on.
   */
  onFault(report: (error: Error) => void): void;
  /** Binds a UDP (`tcp` address kind: host and port) or unix datagram socket. */
  listenDatagram(address: ListenAddress): DatagramSocket;
  /** Opens an anonymous temporary file in `dir`. Throws when it cannot. */
  openTempFile(dir: string): TempFile;
  /** Starts `command`; throws Error with "not found" in its message when it is missing. */
  spawn(
    command: string,
    args: string[],
    options?: { env?: Record<string, string> },
  ): ChildProcess;
  /** The absolute path of an executable found on PATH, or undefined. */
  findExecutable(name: string): string | undefined;
  /** Creates a private (0700) directory named `prefix` + random in `parent` (default: the system's). */
  makeTempDir(prefix: string, parent?: string): string;
  /** Names in a directory (empty when it cannot be read). */
  listDir(path: string): string[];
  /** Creates a directory with `mode` (0o700...); throws when it cannot. */
  makeDir(path: string, mode: number): void;
  /** Gives a path to a user and group (numeric ids). */
  chown(path: string, uid: number, gid: number): void;
  writeTextFile(path: string, text: string): void;
  removePath(path: string): void;
  readTextFile(path: string): string;
  env(): Record<string, string>;
  hostname(): string;
  cwd(): string;
  cpuCount(): number;
  pid(): number;
  /** Resident memory of this process, in bytes. */
  rss(): number;
  /** The soft limit of open file descriptors (Infinity when unknown). */
  fdLimit(): number;
  /** File descriptors open now (0 when unknown). */
  openFds(): number;
  /** Absolute path of the running executable. */
  execPath(): string;
  /** How to start this same program again (router processes): command and leading args. */
  selfCommand(): { command: string; args: string[] };

  /** Writes text to standard error without waiting (log lines). */
  writeStderr(text: string): void;
  writeStdout(text: string): void;
  /** Calls `listener` on a POSIX signal; returns a function that removes it. */
  onSignal(signal: Exclude<Signal, "SIGKILL">, listener: () => void): () => void;

  now(): number;
}
