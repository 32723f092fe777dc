/**
 * The native HTTP/1.1 engine: reads requests straight from the socket into reused
 * buffers, talks uwsgi to a backend and copies its response back, framing it for the
 * client. Deno.serve costs more per request than the whole proxy budget (README,
 * "Performance"), so plain HTTP listeners use this engine by default.
 */
import type { ListenerConfig } from "../config/load.ts";
import type { Accepted, Conn, Listener } from "../runtime/types.ts";
import { type RequestLog, requestLog } from "../log.ts";
import { ChunkedDecoder } from "../uwsgi/chunked.ts";
import { MAX_RESPONSE_HEAD, parseResponseHead, type ResponseHead } from "../uwsgi/response_head.ts";
import { STATUS_TEXT } from "./errors.ts";
import { type ForwardDeps, type NodeConnector, nodeConnector } from "./forward.ts";
import { writeAll } from "./conn_hooks.ts";
import { acceptsGzip, GzipWriter } from "./gzip.ts";
import { clientResponse, errorHead, latin1 } from "./h1_response.ts";
import { requestPacket } from "./packet_for.ts";
import { concatBytes } from "../bytes.ts";
import type { Watch } from "./idle_sweeper.ts";
import {
  byteString,
  findHeadEnd,
  MAX_REQUEST_HEAD,
  parseRequestHead,
  RequestError,
  requestFraming,
  type RequestHead,
} from "./request_head.ts";

/** What the engine needs. */
export interface H1Deps extends ForwardDeps {
  hostname: string;
  now: () => number;
}

const IO_SIZE = 65536;
/** uWSGI's default buffer-size: larger var blocks are dropped by its workers. */
const UWSGI_DEFAULT_BUFFER_SIZE = 4096;

/** Room kept before and after a read for the chunk-size line and its CRLF. */
const CHUNK_PAD = 12;
const DEFAULT_IDLE_SECONDS = 60;
const CONTINUE = latin1("HTTP/1.1 100 Continue\r\n\r\n");
const LAST_CHUNK = latin1("0\r\n\r\n");

/** Reused I/O buffers: one per request in flight, not one per request. */
const ioBuffers: Uint8Array[] = [];

function takeBuffer(): Uint8Array {
  return ioBuffers.pop() ?? new Uint8Array(IO_SIZE);
}

function giveBuffer(buffer: Uint8Array): void {
  if (ioBuffers.length < 512) ioBuffers.push(buffer);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  return concatBytes([a, b]);
}

/** nginx's proxy_add_x_forwarded_for and X-Forwarded-Proto, on request headers. */
function withForwarded(
  headers: Iterable<[string, string]>,
  client: string,
): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  let chain: string | undefined;
  for (const [name, value] of headers) {
    const lower = name.toLowerCase();
    if (lower === "x-forwarded-for") chain = chain === undefined ? value : `${chain}, ${value}`;
    else if (lower !== "x-forwarded-proto") out.push([name, value]);
  }
  out.push(["X-Forwarded-For", chain === undefined ? client : `${chain}, ${client}`]);
  out.push(["X-Forwarded-Proto", "http"]);
  return out;
}

function headerValue(
  headers: ReadonlyArray<[string, string]>,
  name: string,
): string | undefined {
  let out: string | undefined;
  for (const [n, v] of headers) {
    if (n.length === name.length && n.toLowerCase() === name) {
      out = out === undefined ? v : `${out}, ${v}`;
    }
  }
  return out;
}

function hasToken(headers: ReadonlyArray<[string, string]>, name: string, token: string): boolean {
  for (const [n, v] of headers) {
    if (n.length === name.length && n.toLowerCase() === name) {
      for (const part of v.split(",")) if (part.trim().toLowerCase() === token) return true;
    }
  }
  return false;
}

/** A failure on the way to the backend, answered with `status`. */
class Refusal extends Error {
  constructor(readonly status: number, readonly node: string, message: string) {
    super(message);
  }
}

/** Serves one listener with the native engine. */
export class H1Server {
  readonly #listener: Listener;
  readonly #config: ListenerConfig;
  readonly #deps: H1Deps;
  readonly #connectNode: NodeConnector;
  readonly #clients = new Set<ClientConnection>();
  #accepting: Promise<void> | undefined;
  draining = false;

  constructor(listener: Listener, config: ListenerConfig, deps: H1Deps) {
    this.#listener = listener;
    this.#config = config;
    this.#deps = deps;
    this.#connectNode = nodeConnector(deps);
  }

  /** Starts accepting connections. */
  start(): void {
    this.#accepting = this.#acceptLoop();
  }

  async #acceptLoop(): Promise<void> {
    while (true) {
      let conn: Accepted | null;
      try {
        conn = await this.#listener.accept();
      } catch (error) {
        // e.g. out of file descriptors: say so, breathe, keep serving
        this.#deps.logger.error(
          `accept failed on ${this.#config.spec}: ${(error as Error).message}`,
        );
        await new Promise((resolve) => setTimeout(resolve, 100));
        continue;
      }
      if (conn === null) return;

      const client = new ClientConnection(conn, this.#config, this.#deps, this.#connectNode, this);
      this.#clients.add(client);
      client.run().finally(() => this.#clients.delete(client));
    }
  }

  /** Stops accepting, closes idle connections, lets in-flight requests finish. */
  async shutdown(): Promise<void> {
    this.draining = true;
    this.#listener.close();
    await this.#accepting;
    const running = [...this.#clients].map((client) => {
      client.drain();
      return client.finished;
    });
    await Promise.all(running);
  }
}

/** One client connection: requests are read and answered in order (pipelining works). */
class ClientConnection {
  readonly #conn: Accepted;
  readonly #listener: ListenerConfig;
  readonly #deps: H1Deps;
  readonly #connectNode: NodeConnector;
  readonly #server: H1Server;
  /** Client bytes received and not consumed yet: buffer[start, end). */
  #buffer: Uint8Array;
  /** The client as the backend sees it (the PROXY line's source when enabled). */
  #peer: { address: string; port: number };
  /** A PROXY protocol line may still come first. */
  #proxyLine: boolean;
  #start = 0;
  #end = 0;
  #idle = true;
  #closed = false;
  #finished!: Promise<void>;

  constructor(
    conn: Accepted,
    listener: ListenerConfig,
    deps: H1Deps,
    connectNode: NodeConnector,
    server: H1Server,
  ) {
    this.#conn = conn;
    this.#listener = listener;
    this.#deps = deps;
    this.#connectNode = connectNode;
    this.#server = server;
    this.#buffer = new Uint8Array(deps.config.clientBufferSize);
    this.#peer = conn.peer;
    this.#proxyLine = deps.config.proxyProtocol;
  }

  get finished(): Promise<void> {
    return this.#finished;
  }

  run(): Promise<void> {
    this.#finished = this.#loop().catch((error) => {
      this.#deps.logger.error(`client connection failed: ${error?.stack ?? error}`);
    }).finally(() => this.#close());
    return this.#finished;
  }

  /** Closes the connection now if it waits for a request; else after this response. */
  drain(): void {
    if (this.#idle && this.#start === this.#end) this.#close();
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // already closed by the peer or a timeout
    }
  }

  async #loop(): Promise<void> {
    const { config } = this.#deps;
    const idleMs = (config.keepalive > 1 ? config.keepalive : DEFAULT_IDLE_SECONDS) * 1000;
    while (!this.#closed) {
      let head: RequestHead | null;
      try {
        head = await this.#readHead(idleMs, config.headersTimeout * 1000);
      } catch (error) {
        if (!(error instanceof RequestError)) throw error;
        await this.#answerError(error.status, error.message, "-", "-");
        return;
      }
      if (head === null) return;
      const keep = await this.#handle(head);
      if (!keep || this.#server.draining) return;
    }
  }

  /** Reads until a whole head is buffered; null when the client closed or went idle. */
  async #readHead(idleMs: number, headersMs: number): Promise<RequestHead | null> {
    let scanned = this.#start;
    let idleWatch: Watch | undefined;
    let headWatch: Watch | undefined;
    let timedOut = false;
    const expire = () => {
      timedOut = true;
      if (this.#start === this.#end) this.#close();
      else {
        // a client that never finishes its head gets 408, then the close
        this.#conn.write(errorHead(408, "Request Timeout", false)).catch(() => {}).finally(
          () => this.#close(),
        );
      }
    };
    try {
      while (true) {
        // empty lines before a request line are ignored (RFC 9112 section 2.2)
        while (
          this.#start < this.#end &&
          (this.#buffer[this.#start] === 13 || this.#buffer[this.#start] === 10)
        ) {
          this.#start++;
          scanned = Math.max(scanned, this.#start);
        }
        if (this.#proxyLine && !this.#readProxyLine()) {
          // wait for the rest of a PROXY line
        } else {
          const end = findHeadEnd(this.#buffer, this.#start, scanned, this.#end);
          if (end >= 0) return parseRequestHead(this.#buffer, this.#start, end);
        }
        if (this.#end - this.#start > MAX_REQUEST_HEAD) {
          throw new RequestError(431, `Request head larger than ${MAX_REQUEST_HEAD} bytes`);
        }
        this.#makeRoom();
        scanned = this.#end;
        this.#idle = this.#start === this.#end;
        if (this.#idle && this.#server.draining) return null;
        // idle between requests; once a request has begun, its whole head must arrive within
        // http-headers-timeout (a deadline: trickling bytes do not extend it)
        if (this.#idle) {
          idleWatch ??= this.#deps.sweeper.watch(idleMs, expire);
        } else {
          idleWatch?.stop();
          headWatch ??= this.#deps.sweeper.watch(headersMs, expire);
        }
        let n: number | null;
        try {
          n = await this.#conn.read(this.#buffer.subarray(this.#end));
        } catch (error) {
          if (this.#closed || timedOut) return null;
          throw error;
        }
        if (n === null) return null;
        this.#end += n;
        this.#idle = false;
      }
    } finally {
      idleWatch?.stop();
      headWatch?.stop();
      this.#idle = false;
    }
  }

  /**
   * Consumes a PROXY protocol v1 line if the connection starts with one (else nothing):
   * false while more bytes are needed. Throws RequestError(400) on a malformed line.
   */
  #readProxyLine(): boolean {
    const pending = this.#end - this.#start;
    const prefix = "PROXY ";
    for (let i = 0; i < Math.min(pending, prefix.length); i++) {
      if (this.#buffer[this.#start + i] !== prefix.charCodeAt(i)) {
        this.#proxyLine = false;
        return true;
      }
    }
    if (pending < prefix.length) return false;
    let lf = -1;
    for (let i = this.#start; i < this.#end && i < this.#start + 108; i++) {
      if (this.#buffer[i] === 10) {
        lf = i;
        break;
      }
    }
    if (lf < 0) {
      if (pending >= 108) throw new RequestError(400, "PROXY protocol line too long");
      return false;
    }
    const line = byteString(this.#buffer, this.#start, lf).replace(/\r$/, "");
    const parts = line.split(" ");
    if (parts[1] === "UNKNOWN") {
      // the proxy knows no client address: keep the socket's
    } else if (
      parts.length === 6 && (parts[1] === "TCP4" || parts[1] === "TCP6") &&
      /^\d{1,5}$/.test(parts[4]!) && Number(parts[4]) < 65536
    ) {
      this.#peer = { address: parts[2]!, port: Number(parts[4]) };
    } else {
      throw new RequestError(400, `Malformed PROXY protocol line: "${line.slice(0, 108)}"`);
    }
    this.#start = lf + 1;
    this.#proxyLine = false;
    return true;
  }

  /** Moves pending bytes to the front and grows the buffer when it is full. */
  #makeRoom(): void {
    if (this.#start > 0) {
      this.#buffer.copyWithin(0, this.#start, this.#end);
      this.#end -= this.#start;
      this.#start = 0;
    }
    if (this.#end === this.#buffer.length) {
      const bigger = new Uint8Array(Math.min(this.#buffer.length * 2, MAX_REQUEST_HEAD + 4096));
      bigger.set(this.#buffer.subarray(0, this.#end));
      this.#buffer = bigger;
    }
  }

  /** Answers with an error of the edge and closes. */
  async #answerError(status: number, cause: string, method: string, target: string) {
    const { config, logger } = this.#deps;
    if (!config.quiet) logger.warn(`${method} ${target} => ${status}: ${cause}`);
    await this.#conn.write(errorHead(status, STATUS_TEXT[status] ?? "Error", false)).catch(
      () => {},
    );
    this.#close();
  }

  /** Serves one request; true when the connection can take the next one. */
  async #handle(head: RequestHead): Promise<boolean> {
    const deps = this.#deps;
    const { config, logger } = deps;
    const started = deps.now();
    const { method, target } = head;
    this.#start = head.headEnd;
    const http11 = head.protocol === "HTTP/1.1";
    let keepAlive = http11
      ? !hasToken(head.headers, "connection", "close")
      : hasToken(head.headers, "connection", "keep-alive");
    const log = requestLog(logger, config.logging, deps.now, {
      client: this.#peer.address,
      method,
      uri: target,
      started,
    });

    if (this.#listener.redirectPort !== undefined) {
      return await this.#redirect(head, keepAlive, log);
    }

    let framing;
    try {
      framing = requestFraming(head.headers);
    } catch (error) {
      if (!(error instanceof RequestError)) throw error;
      await this.#answerError(error.status, error.message, method, target);
      log(error.status, 0, "-");
      return false;
    }

    // a chunked body is buffered so the backend gets a real CONTENT_LENGTH
    let headers: Iterable<[string, string]> = head.headers;
    let bufferedBody: Uint8Array | undefined;
    // Expect: 100-continue is answered before the body is read; other expectations fail
    const expect = headerValue(head.headers, "expect");
    let sendContinue = false;
    if (expect !== undefined && config.manageExpect > 0) {
      if (expect.trim().toLowerCase() !== "100-continue") {
        await this.#answerError(417, `unsupported Expect "${expect}"`, method, target);
        log(417, 0, "-");
        return false;
      }
      if (
        config.manageExpect > 1 && framing.kind === "length" && framing.length > config.manageExpect
      ) {
        await this.#answerError(
          413,
          `Content-Length ${framing.length} over http-manage-expect ${config.manageExpect}`,
          method,
          target,
        );
        log(413, 0, "-");
        return false;
      }
      sendContinue = http11 && framing.kind !== "none";
    }

    if (framing.kind === "chunked") {
      if (sendContinue) await this.#write(CONTINUE);
      const body = await this.#readChunkedBody(config.maxChunkedBody);
      if (typeof body === "number") {
        await this.#answerError(
          body,
          `chunked body over ${config.maxChunkedBody} bytes or malformed`,
          method,
          target,
        );
        log(body, 0, "-");
        return false;
      }
      bufferedBody = body;
      headers = head.headers.filter(([n]) => n.toLowerCase() !== "transfer-encoding")
        .concat([["Content-Length", String(body.length)]]);
    }
    const bodyLength = framing.kind === "length" ? framing.length : 0;
    if (config.xForwarded) headers = withForwarded(headers, this.#peer.address);

    let packet: Uint8Array;
    try {
      packet = requestPacket(
        {
          method,
          target,
          protocol: head.protocol,
          headers,
          remoteAddr: this.#peer.address,
          remotePort: this.#peer.port,
          serverPort: this.#listener.serverPort,
          https: false,
        },
        config,
        deps.hostname,
      );
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      await this.#answerError(431, error.message, method, target);
      log(431, 0, "-");
      return false;
    }
    const varsSize = packet.length - 4;
    if (varsSize > config.bufferSize) {
      await this.#answerError(
        431,
        `the request vars are ${varsSize} bytes, more than buffer-size ${config.bufferSize} of the backends`,
        method,
        target,
      );
      log(431, 0, "-");
      return false;
    }

    // the routing key: the raw Host value (port included), else this machine's name
    const key = headerValue(head.headers, "host") ?? deps.hostname;
    const connected = await this.#connectNode(key, this.#peer.address);
    if (!connected.ok) {
      if (!config.quiet) {
        logger.error(`${method} ${target} => ${connected.status}: ${connected.cause}`);
      }
      // an unread body would be taken for the next request: close after answering
      const reusable = keepAlive && bodyLength === 0;
      await this.#write(errorHead(connected.status, STATUS_TEXT[connected.status]!, reusable));
      log(connected.status, 0, connected.node);
      return reusable;
    }
    const backend = connected.conn;
    const nodeName = connected.name;
    // a subscription node's modifiers apply unless http-modifier1/2 force others (spec §1.5)
    if (config.modifier1 === 0 && connected.modifier1 !== 0) packet[0] = connected.modifier1;
    if (config.modifier2 === 0 && connected.modifier2 !== 0) packet[3] = connected.modifier2;

    const timeoutMs = config.timeout * 1000;
    const watch = deps.sweeper.watch(timeoutMs, () => backend.close());
    const backendBuffer = takeBuffer();
    let backendClosed = false;
    const closeBackend = () => {
      if (!backendClosed) {
        backendClosed = true;
        watch.stop();
        try {
          backend.close();
        } catch {
          // closed by the timeout already
        }
      }
    };

    // the request body goes up while the response head is awaited (a backend may answer
    // before reading it all)
    let bodyDone: Promise<boolean> = Promise.resolve(true);
    let clientGone = false;
    try {
      if (bufferedBody !== undefined) {
        await writeAll(backend, concat(packet, bufferedBody));
      } else if (bodyLength > 0) {
        if (sendContinue) await this.#write(CONTINUE);
        bodyDone = this.#pumpBody(backend, packet, bodyLength, watch).catch((error) => {
          if (error instanceof Refusal) clientGone = true;
          return false;
        });
      } else {
        await writeAll(backend, packet);
      }
    } catch {
      // the backend went away while we wrote: its answer (if any) is read below
    }

    let response: ResponseHead;
    let length: number;
    try {
      ({ response, length } = await this.#readResponseHead(backend, backendBuffer, watch));
    } catch (error) {
      closeBackend();
      giveBuffer(backendBuffer);
      await bodyDone;
      const status = watch.expired ? 504 : 502;
      const cause = (watch.expired
        ? `no answer for ${config.timeout} s before the response head`
        : error instanceof Refusal
        ? error.message
        : `the backend failed before the response head: ${(error as Error).message}`) +
        (varsSize > UWSGI_DEFAULT_BUFFER_SIZE && !watch.expired
          ? ` (the request vars were ${varsSize} bytes: a uWSGI backend drops requests larger than its buffer-size, 4096 by default)`
          : "");
      if (clientGone) {
        this.#close();
        log(499, 0, nodeName);
        return false;
      }
      if (!config.quiet) {
        logger.error(`${method} ${target} => ${status}: node ${nodeName}: ${cause}`);
      }
      const reusable = keepAlive && (await bodyDone);
      await this.#write(errorHead(status, STATUS_TEXT[status]!, reusable && bodyLength === 0));
      log(status, 0, nodeName);
      return reusable && bodyLength === 0;
    }

    if (response.status < 200 || response.status > 999) {
      closeBackend();
      giveBuffer(backendBuffer);
      await bodyDone;
      logger.error(
        `${method} ${target} => 502: node ${nodeName} answered with status ${response.status}`,
      );
      await this.#write(errorHead(502, "Bad Gateway", false));
      log(502, 0, nodeName);
      return false;
    }

    const out = clientResponse(response, {
      method,
      http11,
      keepAlive,
      addHeaders: config.addHeaders,
      autoGzip: config.autoGzip,
      acceptsGzip: config.autoGzip && acceptsGzip(headerValue(head.headers, "accept-encoding")),
    });
    keepAlive = out.keepAlive;

    let sent = 0;
    let ok = true;
    try {
      sent = await this.#relayBody(out, backend, backendBuffer, response.bodyStart, length, watch);
    } catch (error) {
      ok = false;
      if (error instanceof Refusal) {
        if (!config.quiet) logger.error(`${method} ${target} via ${nodeName}: ${error.message}`);
      }
    } finally {
      closeBackend();
      giveBuffer(backendBuffer);
    }
    const bodyComplete = await bodyDone;
    log(response.status, sent, nodeName);
    return ok && keepAlive && bodyComplete && !clientGone;
  }

  /**
   * `http-to-https`: 301 to the same URI on https; the Host's port is replaced by the
   * configured one (spec §2.12). A request with a body is answered, then the connection closed.
   */
  async #redirect(
    head: RequestHead,
    keepAlive: boolean,
    log: RequestLog,
  ): Promise<boolean> {
    const host = (headerValue(head.headers, "host") ?? this.#deps.hostname).replace(/:\d*$/, "");
    const port = this.#listener.redirectPort ? `:${this.#listener.redirectPort}` : "";
    const path = head.target.startsWith("/") ? head.target : "/";
    let reusable = false;
    try {
      reusable = keepAlive && requestFraming(head.headers).kind === "none";
    } catch {
      // malformed framing: answer, then close
    }
    await this.#write(
      latin1(
        `HTTP/1.1 301 Moved Permanently\r\nLocation: https://${host}${port}${path}\r\n` +
          `Content-Length: 0\r\n${reusable ? "" : "Connection: close\r\n"}\r\n`,
      ),
    );
    log(301, 0, "https");
    return reusable;
  }

  async #write(bytes: Uint8Array): Promise<void> {
    try {
      await writeAll(this.#conn, bytes);
    } catch {
      this.#close();
    }
  }

  /** Sends the packet and `length` body bytes (buffered ones first) to the backend. */
  async #pumpBody(
    backend: Conn,
    packet: Uint8Array,
    length: number,
    watch: Watch,
  ): Promise<boolean> {
    let left = length;
    const pending = Math.min(left, this.#end - this.#start);
    const first = new Uint8Array(packet.length + pending);
    first.set(packet);
    first.set(this.#buffer.subarray(this.#start, this.#start + pending), packet.length);
    this.#start += pending;
    left -= pending;
    await writeAll(backend, first);
    if (left === 0) return true;
    const buffer = takeBuffer();
    let backendOpen = true;
    try {
      while (left > 0) {
        let n: number | null;
        try {
          n = await this.#conn.read(buffer.subarray(0, Math.min(buffer.length, left)));
        } catch {
          n = null;
        }
        if (n === null) throw new Refusal(400, "-", "the client closed during its body");
        left -= n;
        watch.touch();
        if (backendOpen) {
          try {
            await writeAll(backend, buffer.subarray(0, n));
          } catch {
            // the backend stopped reading; keep draining the client so its answer can go out
            backendOpen = false;
          }
        }
      }
      return backendOpen;
    } finally {
      giveBuffer(buffer);
    }
  }

  /** Reads a chunked request body whole; a status number when it is too big or malformed. */
  async #readChunkedBody(limit: number): Promise<Uint8Array | number> {
    const decoder = new ChunkedDecoder();
    const parts: Uint8Array[] = [];
    let size = 0;
    while (true) {
      if (this.#start < this.#end) {
        let pieces: Uint8Array[];
        try {
          pieces = decoder.decode(this.#buffer.subarray(this.#start, this.#end));
        } catch {
          return 400;
        }
        this.#start += decoder.consumed;
        for (const piece of pieces) {
          size += piece.length;
          if (size > limit) return 413;
          parts.push(piece.slice());
        }
        if (decoder.done) break;
      }
      this.#start = 0;
      this.#end = 0;
      const n = await this.#conn.read(this.#buffer).catch(() => null);
      if (n === null) return 400;
      this.#end = n;
    }
    const body = new Uint8Array(size);
    let at = 0;
    for (const part of parts) {
      body.set(part, at);
      at += part.length;
    }
    return body;
  }

  async #readResponseHead(
    backend: Conn,
    buffer: Uint8Array,
    watch: Watch,
  ): Promise<{ response: ResponseHead; length: number }> {
    let length = 0;
    let head: Uint8Array = buffer;
    while (true) {
      if (length === head.length) {
        if (head.length > MAX_RESPONSE_HEAD) {
          throw new Refusal(
            502,
            "-",
            `the response head is longer than ${MAX_RESPONSE_HEAD} bytes`,
          );
        }
        const bigger = new Uint8Array(head.length * 2);
        bigger.set(head);
        head = bigger;
      }
      const n = await backend.read(head.subarray(length));
      if (n === null) {
        throw new Refusal(
          502,
          "-",
          length === 0
            ? "the backend closed the connection without a response"
            : "the backend closed the connection inside the response head",
        );
      }
      length += n;
      watch.touch();
      let response: ResponseHead | null;
      try {
        response = parseResponseHead(head, length);
      } catch (error) {
        throw new Refusal(
          502,
          "-",
          `the backend sent an invalid response: ${(error as Error).message}`,
        );
      }
      if (response !== null) {
        if (head !== buffer) {
          // a head that outgrew the pooled buffer: keep only its body bytes there
          const extra = head.subarray(response.bodyStart, length);
          if (extra.length <= buffer.length) {
            buffer.set(extra);
            return { response: { ...response, bodyStart: 0 }, length: extra.length };
          }
          throw new Refusal(502, "-", "the response head is too large");
        }
        return { response, length };
      }
    }
  }

  /** `http-auto-gzip`: each backend read is compressed, flushed and sent at once. */
  async #relayGzip(
    out: ReturnType<typeof clientResponse>,
    prefix: Uint8Array,
    buffer: Uint8Array,
    readBackend: (into: Uint8Array) => Promise<number | null>,
    sendClient: (bytes: Uint8Array) => Promise<void>,
  ): Promise<number> {
    const chunked = out.framing === "chunk";
    const frame = (bytes: Uint8Array): Uint8Array =>
      chunked
        ? concat(latin1(`${bytes.length.toString(16)}\r\n`), concat(bytes, latin1("\r\n")))
        : bytes;
    const gzip = new GzipWriter();
    let sent = 0;
    try {
      let pending: Uint8Array = out.head;
      let input: Uint8Array | null = prefix;
      while (true) {
        if (input !== null && input.length > 0) {
          sent += input.length;
          const packed = await gzip.write(input);
          if (packed.length > 0) pending = concat(pending, frame(packed));
        }
        if (pending.length > 0) await sendClient(pending);
        pending = new Uint8Array(0);
        const n = await readBackend(buffer);
        if (n === null) break;
        input = buffer.subarray(0, n);
      }
      const tail = await gzip.end();
      await sendClient(chunked ? concat(frame(tail), LAST_CHUNK) : tail);
    } catch (error) {
      gzip.destroy();
      throw error;
    }
    if (!chunked) this.#close();
    return sent;
  }

  /** Writes the head and copies the body; returns body bytes sent. Throws on failure. */
  async #relayBody(
    out: ReturnType<typeof clientResponse>,
    backend: Conn,
    buffer: Uint8Array,
    bodyStart: number,
    length: number,
    watch: Watch,
  ): Promise<number> {
    const client = this.#conn;
    const sendClient = async (bytes: Uint8Array) => {
      try {
        await writeAll(client, bytes);
      } catch {
        this.#close();
        throw new Error("the client went away");
      }
    };
    const readBackend = async (into: Uint8Array): Promise<number | null> => {
      try {
        const n = await backend.read(into);
        watch.touch();
        return n;
      } catch (error) {
        throw new Refusal(
          watch.expired ? 504 : 502,
          "-",
          watch.expired
            ? "no data from the backend for http-timeout"
            : `backend read failed: ${(error as Error).message}`,
        );
      }
    };
    const prefix = buffer.subarray(bodyStart, length);

    switch (out.framing) {
      case "none":
        await sendClient(out.head);
        return 0;
      case "length": {
        let left = out.contentLength;
        const first = prefix.subarray(0, Math.min(prefix.length, left));
        await sendClient(concat(out.head, first));
        left -= first.length;
        while (left > 0) {
          const n = await readBackend(buffer.subarray(0, Math.min(buffer.length, left)));
          if (n === null) {
            throw new Refusal(502, "-", "the backend closed before Content-Length bytes");
          }
          await sendClient(buffer.subarray(0, n));
          left -= n;
        }
        return out.contentLength;
      }
      case "close":
      case "chunk":
        if (out.gzip) return await this.#relayGzip(out, prefix, buffer, readBackend, sendClient);
    }
    switch (out.framing) {
      case "close": {
        let sent = prefix.length;
        await sendClient(concat(out.head, prefix));
        while (true) {
          const n = await readBackend(buffer);
          if (n === null) break;
          await sendClient(buffer.subarray(0, n));
          sent += n;
        }
        this.#close();
        return sent;
      }
      case "chunk": {
        let sent = prefix.length;
        const firstChunk = prefix.length > 0
          ? concat(
            out.head,
            concat(latin1(`${prefix.length.toString(16)}\r\n`), concat(prefix, latin1("\r\n"))),
          )
          : out.head;
        await sendClient(firstChunk);
        const room = buffer.subarray(CHUNK_PAD, buffer.length - 2);
        while (true) {
          const n = await readBackend(room);
          if (n === null) break;
          const sizeLine = `${n.toString(16)}\r\n`;
          const from = CHUNK_PAD - sizeLine.length;
          for (let i = 0; i < sizeLine.length; i++) buffer[from + i] = sizeLine.charCodeAt(i);
          buffer[CHUNK_PAD + n] = 13;
          buffer[CHUNK_PAD + n + 1] = 10;
          await sendClient(buffer.subarray(from, CHUNK_PAD + n + 2));
          sent += n;
        }
        await sendClient(LAST_CHUNK);
        return sent;
      }
      default: {
        const decoder = new ChunkedDecoder();
        const relay = out.framing === "relay-chunked";
        let sent = 0;
        let bytes: Uint8Array = prefix;
        let head: Uint8Array | undefined = out.head;
        while (true) {
          let pieces: Uint8Array[];
          try {
            pieces = decoder.decode(bytes);
          } catch (error) {
            throw new Refusal(502, "-", `bad chunked body: ${(error as Error).message}`);
          }
          let payload = 0;
          for (const piece of pieces) payload += piece.length;
          sent += payload;
          let chunkOut: Uint8Array;
          if (relay) chunkOut = bytes.subarray(0, decoder.consumed);
          else if (pieces.length === 1) chunkOut = pieces[0]!;
          else chunkOut = concatBytes(pieces);
          if (head) {
            chunkOut = concat(head, chunkOut);
            head = undefined;
          }
          if (chunkOut.length > 0) await sendClient(chunkOut);
          if (decoder.done) break;
          const n = await readBackend(buffer);
          if (n === null) throw new Refusal(502, "-", "the backend closed inside its chunked body");
          bytes = buffer.subarray(0, n);
        }
        if (!relay) this.#close();
        return sent;
      }
    }
  }
}
