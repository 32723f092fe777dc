/**
 * The runtime seam: everything uwsgi-edge needs from the host runtime (Deno today, Bun
 * later). Only files in src/runtime/ implement it; the rest of the code receives a
 * `Runtime` and never touches a global runtime API.
 */

/** Where to listen: a TCP host/port or a unix stream socket path. */
export type ListenAddress =
  | { transport: "tcp"; hostname: string; port: number }
  | { transport: "unix"; path: string };

/** Where to connect: a TCP host (name, IPv4 or IPv6) and port, or a unix socket path. */
export type ConnectAddress =
  | { transport: "tcp"; hostname: string; port: number }
  | { transport: "unix"; path: string };

/** The client end of an accepted HTTP request. */
export interface Peer {
  /** Textual client address ("127.0.0.1", "::1"); "0.0.0.0" on unix listeners. */
  address: string;
  /** Client port; 0 on unix listeners. */
  port: number;
}

/** A byte stream to a backend; `read` fills the buffer given, `null` means EOF. */
export interface Conn {
  read(buffer: Uint8Array): Promise<number | null>;
  write(bytes: Uint8Array): Promise<number>;
  close(): void;
}

/** An accepted client connection. */
export interface Accepted extends Conn {
  peer: Peer;
}

/** A raw stream listener (the native HTTP/1.1 engine). */
export interface Listener {
  /** The bound address (with the real port when 0 was asked for). */
  address: ListenAddress;
  /** The next connection, or null once the listener is closed. */
  accept(): Promise<Accepted | null>;
  close(): void;
}

/** A datagram socket (UDP or unix datagram): subscription packets. */
export interface DatagramSocket {
  /** The next datagram, or null once closed. */
  receive(): Promise<Uint8Array | null>;
  /** Sends a datagram to a unix datagram socket path (fan-out to router processes). */
  sendTo(bytes: Uint8Array, path: string): Promise<void>;
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
}

/** The signals uwsgi-edge sends or handles. */
export type Signal = "SIGINT" | "SIGTERM" | "SIGHUP" | "SIGQUIT" | "SIGKILL";

/** Request handler of a listener. */
export type Handler = (request: Request, peer: Peer) => Response | Promise<Response>;

/** A running listener. */
export interface Server {
  /** The bound address (with the real port when 0 was asked for). */
  address: ListenAddress;
  /** Stops accepting and waits for in-flight requests. */
  shutdown(): Promise<void>;
  /** Resolves when the server has stopped. */
  finished: Promise<void>;
}

/** Everything the program needs from its host. */
export interface Runtime {
  /** Name and version, for --version and logs ("deno 2.9.6"). */
  name: string;
  /** Command-line arguments after the program. */
  args(): string[];
  /** Ends the process. */
  exit(code: number): never;
  /** Serves HTTP with `handler`; with `tls` (PEM texts) HTTPS, HTTP/2 offered by ALPN. */
  serve(
    address: ListenAddress,
    handler: Handler,
    tls?: { cert: string; key: string },
  ): Promise<Server>;
  /** A raw listener; `reusePort` lets several processes share a TCP port (SO_REUSEPORT). */
  listen(address: ListenAddress, options?: { reusePort?: boolean }): Listener;
  /** Starts `command`; throws Error with "not found" in its message when it is missing. */
  /** Binds a UDP (`tcp` address kind: host and port) or unix datagram socket. */
  listenDatagram(address: ListenAddress): DatagramSocket;
  spawn(
    command: string,
    args: string[],
    options?: { env?: Record<string, string> },
  ): ChildProcess;
  /** The absolute path of an executable found on PATH, or undefined. */
  findExecutable(name: string): string | undefined;
  makeTempDir(prefix: string): string;
  writeTextFile(path: string, text: string): void;
  removePath(path: string): void;
  connect(address: ConnectAddress): Promise<Conn>;
  readTextFile(path: string): string;
  env(): Record<string, string>;
  hostname(): string;
  cwd(): string;
  cpuCount(): number;
  pid(): number;
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
