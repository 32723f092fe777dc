/**
 * The operations listener (`http-stats`). uWSGI's stats server writes its JSON as soon as a
 * client connects, and tools such as uwsgitop read it that way; HTTP clients speak first.
 * So: a client that sends an HTTP request within 100 ms gets the Hono app's answer, one
 * that says nothing gets the raw JSON; both then see the connection closed.
 */
import type { Hono } from "hono";
import { formatAddress } from "../config/address.ts";
import type { Logger } from "../log.ts";
import type { ListenAddress, Runtime, StreamEvents, StreamSocket } from "../runtime/types.ts";
import { latin1, STATUS_TEXT } from "../http/client_head.ts";
import { RequestError } from "../http/request_head.ts";
import { findHeadEnd, parseRequestHead } from "../http/request_parser.ts";
import { sendAndClose } from "../http/send_and_close.ts";

/** How long a client may take to start an HTTP request before it gets the raw JSON. */
const SNIFF_MS = 100;
const MAX_HEAD = 8192;

/** One connection to the operations listener. */
class OpsConnection implements StreamEvents {
  #input = new Uint8Array(0);
  #decided = false;
  #owner: StreamEvents | undefined;
  readonly #timer: ReturnType<typeof setTimeout>;

  constructor(
    readonly socket: StreamSocket,
    readonly app: Hono,
    readonly raw: () => string,
  ) {
    this.#timer = setTimeout(() => this.#answer(latin1(unicodeSafe(this.raw()))), SNIFF_MS);
  }

  data(bytes: Uint8Array): void {
    if (this.#decided) return;
    const all = new Uint8Array(this.#input.length + bytes.length);
    all.set(this.#input);
    all.set(bytes, this.#input.length);
    this.#input = all;
    const end = findHeadEnd(all, 0, 0, all.length);
    if (end < 0) {
      if (all.length > MAX_HEAD) this.#answer(plain(431));
      return;
    }
    clearTimeout(this.#timer);
    this.#decided = true;
    let request: Request;
    try {
      const head = parseRequestHead(all, 0, end);
      request = new Request(`http://${head.host ?? "localhost"}${head.target}`, {
        method: head.method,
      });
    } catch (error) {
      this.#answer(plain(error instanceof RequestError ? error.status : 400));
      return;
    }
    void Promise.resolve(this.app.fetch(request)).then(
      async (response) => this.#answer(await serialize(response)),
      () => this.#answer(plain(500)),
    );
  }

  drain(): void {
    this.#owner?.drain();
  }

  end(): void {
    if (!this.#decided) this.#answer(latin1(unicodeSafe(this.raw())));
  }

  closed(): void {
    clearTimeout(this.#timer);
    this.#decided = true;
    this.#owner?.closed();
  }

  #answer(bytes: Uint8Array): void {
    clearTimeout(this.#timer);
    this.#decided = true;
    if (this.#owner === undefined) this.#owner = sendAndClose(this.socket, bytes);
  }
}

/** JSON text as bytes (UTF-8). */
function unicodeSafe(text: string): string {
  return String.fromCharCode(...new TextEncoder().encode(text));
}

function plain(status: number): Uint8Array {
  const body = `${status} ${STATUS_TEXT[status] ?? "Error"}\n`;
  return latin1(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? "Error"}\r\nContent-Type: text/plain\r\n` +
      `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** A fetch Response as HTTP/1.1 bytes with Content-Length and Connection: close. */
async function serialize(response: Response): Promise<Uint8Array> {
  const body = new Uint8Array(await response.arrayBuffer());
  let head = `HTTP/1.1 ${response.status} ${STATUS_TEXT[response.status] ?? "OK"}\r\n`;
  response.headers.forEach((value, name) => (head += `${name}: ${value}\r\n`));
  head += `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
  const out = new Uint8Array(head.length + body.length);
  out.set(latin1(head));
  out.set(body, head.length);
  return out;
}

/** Starts the operations listener. */
export async function startOps(
  address: ListenAddress,
  runtime: Runtime,
  logger: Logger,
  app: Hono,
  raw: () => string,
): Promise<{ close(): void }> {
  const listener = await runtime.listen(address, {
    stream: (socket) => new OpsConnection(socket, app, raw),
  });
  logger.info(`stats and metrics on ${formatAddress(listener.address)}`);
  return { close: () => listener.close() };
}
