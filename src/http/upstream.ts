/**
 * One request/response exchange with a backend over the uwsgi protocol: write the packet
 * and the body, read the raw HTTP response head, then stream the body until the backend
 * closes (or its Content-Length / chunked framing says it is complete).
 */
import type { Conn } from "../runtime/types.ts";
import { writeAll } from "./conn_hooks.ts";
import type { IdleSweeper, Watch } from "./idle_sweeper.ts";
import { ChunkedDecoder } from "../uwsgi/chunked.ts";
import { MAX_RESPONSE_HEAD, parseResponseHead, type ResponseHead } from "../uwsgi/response_head.ts";

/** Why an exchange failed, mapped to a status by errors.ts. */
export type FailureKind = "connect" | "timeout" | "protocol" | "closed" | "client";

/** A backend failure; the message names the cause for the log, never for the client. */
export class UpstreamError extends Error {
  readonly kind: FailureKind;
  constructor(kind: FailureKind, message: string) {
    super(message);
    this.name = "UpstreamError";
    this.kind = kind;
  }
}

/** What the client will get: the head and a body (bytes, a stream, or none). */
export interface Exchange {
  head: ResponseHead;
  /** Body length when the backend framed it with Content-Length. */
  contentLength: number | undefined;
  body: Uint8Array<ArrayBuffer> | ReadableStream<Uint8Array> | null;
}

/** Options of one exchange. */
export interface ExchangeOptions {
  /** Backend silence allowed, in ms (http-timeout). */
  timeoutMs: number;
  /** Where the silence is watched. */
  sweeper: IdleSweeper;
  /** No response body is expected (HEAD). */
  headOnly: boolean;
  /** Called once when the exchange is over: status, body bytes relayed, the error if any. */
  onDone: (status: number, bytes: number, error?: UpstreamError) => void;
}

const READ_SIZE = 65536;
const INITIAL_HEAD_BUFFER = 16384;
const NO_BODY_STATUS = new Set([204, 304]);
const MAX_POOLED_BUFFERS = 256;

/** Reused head buffers: one per exchange in flight, not one per request. */
const headBuffers: Uint8Array[] = [];

function releaseHeadBuffer(buffer: Uint8Array): void {
  if (buffer.length === INITIAL_HEAD_BUFFER && headBuffers.length < MAX_POOLED_BUFFERS) {
    headBuffers.push(buffer);
  }
}

/** Copies a request body stream to the backend. */
async function sendBody(conn: Conn, body: ReadableStream<Uint8Array>, dog: Watch) {
  const reader = body.getReader();
  try {
    while (true) {
      let next: ReadableStreamReadResult<Uint8Array>;
      try {
        next = await reader.read();
      } catch (error) {
        throw new UpstreamError("client", `the client body failed: ${describe(error)}`);
      }
      if (next.done) return;
      await writeAll(conn, next.value);
      dog.touch();
    }
  } finally {
    reader.releaseLock();
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

/** Runs one exchange on a connected backend; `conn` is closed when it is over. */
export async function exchange(
  conn: Conn,
  packet: Uint8Array,
  body: Uint8Array | ReadableStream<Uint8Array> | null,
  options: ExchangeOptions,
): Promise<Exchange> {
  let closed = false;
  const close = () => {
    if (!closed) {
      closed = true;
      conn.close();
    }
  };
  const dog = options.sweeper.watch(options.timeoutMs, close);
  let sendError: unknown;
  const fail = (error: unknown, during: string): UpstreamError => {
    if (error instanceof UpstreamError) return error;
    if (dog.expired) {
      return new UpstreamError("timeout", `no answer for ${options.timeoutMs / 1000} s ${during}`);
    }
    if (sendError instanceof UpstreamError) return sendError;
    return new UpstreamError("closed", `the connection failed ${during}: ${describe(error)}`);
  };

  let head: ResponseHead | null = null;
  let buffer = headBuffers.pop() ?? new Uint8Array(INITIAL_HEAD_BUFFER);
  let length = 0;
  try {
    if (body instanceof Uint8Array) {
      const whole = new Uint8Array(packet.length + body.length);
      whole.set(packet);
      whole.set(body, packet.length);
      await writeAll(conn, whole);
    } else {
      await writeAll(conn, packet);
      if (body) {
        sendBody(conn, body, dog).catch((error) => {
          sendError = error;
          // a client that vanished mid-upload ends the exchange; a backend that stopped
          // reading may still answer (413 and the like), so keep reading then
          if (error instanceof UpstreamError && error.kind === "client") close();
        });
      }
    }
    while (head === null) {
      if (length === buffer.length) {
        const bigger = new Uint8Array(Math.min(buffer.length * 2, MAX_RESPONSE_HEAD + READ_SIZE));
        bigger.set(buffer);
        buffer = bigger;
      }
      const n = await conn.read(buffer.subarray(length));
      if (n === null) {
        throw new UpstreamError(
          length === 0 ? "closed" : "protocol",
          length === 0
            ? "the backend closed the connection without a response"
            : "the backend closed the connection inside the response head",
        );
      }
      length += n;
      dog.touch();
      head = parseResponseHead(buffer, length);
    }
  } catch (error) {
    dog.stop();
    close();
    releaseHeadBuffer(buffer);
    if (error instanceof SyntaxError || error instanceof RangeError) {
      throw new UpstreamError("protocol", `the backend sent an invalid response: ${error.message}`);
    }
    throw fail(error, "before the response head");
  }

  const { contentLength, chunked } = framing(head);
  const status = head.status;
  // the head buffer goes back to the pool: what the body needs of it is copied
  const prefix = buffer.slice(head.bodyStart, length);
  releaseHeadBuffer(buffer);
  const done = (bytes: number, error?: UpstreamError) => {
    dog.stop();
    close();
    options.onDone(status, bytes, error);
  };

  if (options.headOnly || NO_BODY_STATUS.has(head.status)) {
    done(0);
    return { head, contentLength, body: null };
  }
  if (contentLength !== undefined && prefix.length >= contentLength) {
    done(contentLength);
    return {
      head,
      contentLength,
      body: prefix.length === contentLength ? prefix : prefix.slice(0, contentLength),
    };
  }

  const decoder = chunked ? new ChunkedDecoder() : undefined;
  let remaining = contentLength ?? Infinity;
  let relayed = 0;
  let finished = false;
  const end = (controller: ReadableStreamDefaultController<Uint8Array>, error?: UpstreamError) => {
    if (finished) return;
    finished = true;
    if (error) controller.error(error);
    else controller.close();
    done(relayed, error);
  };
  const push = (controller: ReadableStreamDefaultController<Uint8Array>, bytes: Uint8Array) => {
    if (decoder) {
      for (const piece of decoder.decode(bytes)) {
        relayed += piece.length;
        controller.enqueue(piece);
      }
      if (decoder.done) end(controller);
      return;
    }
    const piece = bytes.length > remaining ? bytes.subarray(0, remaining) : bytes;
    remaining -= piece.length;
    relayed += piece.length;
    controller.enqueue(piece);
    if (remaining === 0) end(controller);
  };

  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      if (prefix.length > 0) {
        try {
          push(controller, prefix);
        } catch (error) {
          end(controller, new UpstreamError("protocol", `bad chunked body: ${describe(error)}`));
        }
      }
    },
    async pull(controller) {
      if (finished) return;
      const chunk = new Uint8Array(READ_SIZE);
      let n: number | null;
      try {
        n = await conn.read(chunk);
      } catch (error) {
        end(controller, fail(error, "in the middle of the response body"));
        return;
      }
      dog.touch();
      if (n === null) {
        if (decoder || remaining !== Infinity) {
          end(
            controller,
            new UpstreamError("closed", "the backend closed the connection before the body ended"),
          );
        } else {
          end(controller);
        }
        return;
      }
      try {
        push(controller, chunk.subarray(0, n));
      } catch (error) {
        end(controller, new UpstreamError("protocol", `bad chunked body: ${describe(error)}`));
      }
    },
    cancel() {
      if (finished) return;
      finished = true;
      done(relayed, new UpstreamError("client", "the client went away"));
    },
  });
  return { head, contentLength, body: stream };
}

/** Content-Length and chunked framing announced by the response head. */
function framing(head: ResponseHead): { contentLength: number | undefined; chunked: boolean } {
  let contentLength: number | undefined;
  let chunked = false;
  for (const [name, value] of head.headers) {
    const lower = name.toLowerCase();
    if (lower === "content-length" && /^\d+$/.test(value)) contentLength = Number(value);
    else if (lower === "transfer-encoding" && /chunked/i.test(value)) chunked = true;
  }
  return { contentLength: chunked ? undefined : contentLength, chunked };
}
