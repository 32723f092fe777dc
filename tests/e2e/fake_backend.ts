/**
 * A scripted uwsgi backend for e2e tests: it records every request it gets (vars and body,
 * read as a uWSGI worker reads them: CONTENT_LENGTH bytes) and answers as the test says:
 * bytes, pauses, a reset, silence.
 */
import { decodePacket } from "../../src/uwsgi/packet.ts";

/** One request as the backend saw it. */
export interface Recorded {
  vars: Map<string, string>;
  body: Uint8Array;
}

/** What the backend does after reading a request: send, wait, or hang (then it closes). */
export type Step =
  | { send: string | Uint8Array }
  | { wait: number }
  | { hang: true };

/** How to answer a request (the default: a 200 echoing the body's length). */
export type Script = (request: Recorded) => Step[];

const encoder = new TextEncoder();

/** The default answer: "ok <body length>". */
export const OK: Script = (request) => {
  const text = `ok ${request.body.length}`;
  return [{
    send:
      `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${text.length}\r\n\r\n${text}`,
  }];
};

/** A running fake backend. */
export class FakeBackend {
  readonly requests: Recorded[] = [];
  /** Connections accepted (with or without a complete request). */
  connections = 0;
  script: Script;
  readonly #listener: Deno.Listener;
  readonly #open = new Set<Deno.Conn>();
  readonly #loop: Promise<void>;

  constructor(listener: Deno.Listener, script: Script) {
    this.#listener = listener;
    this.script = script;
    this.#loop = this.#accept();
  }

  /** Listens on a unix socket path, or on 127.0.0.1 with `port: 0`. */
  static listen(where: { path: string } | { port: number }, script: Script = OK): FakeBackend {
    const listener = "path" in where
      ? Deno.listen({ transport: "unix", path: where.path })
      : Deno.listen({ hostname: "127.0.0.1", port: where.port });
    return new FakeBackend(listener, script);
  }

  /** The TCP port (TCP listeners). */
  get port(): number {
    return (this.#listener.addr as Deno.NetAddr).port;
  }

  async #accept(): Promise<void> {
    for await (const conn of this.#listener) {
      this.connections++;
      this.#open.add(conn);
      this.#serve(conn).catch(() => {}).finally(() => {
        this.#open.delete(conn);
        try {
          conn.close();
        } catch {
          // closed (reset) already
        }
      });
    }
  }

  async #serve(conn: Deno.Conn): Promise<void> {
    const request = await readRequest(conn);
    if (request === null) return;
    this.requests.push(request);
    for (const step of this.script(request)) {
      if ("send" in step) {
        const bytes = typeof step.send === "string" ? encoder.encode(step.send) : step.send;
        await conn.write(bytes);
      } else if ("wait" in step) {
        await new Promise((r) => setTimeout(r, step.wait));
      } else {
        // silent until the edge gives up and closes
        await conn.read(new Uint8Array(1)).catch(() => null);
      }
    }
  }

  /** Stops listening and closes every connection. */
  async close(): Promise<void> {
    this.#listener.close();
    for (const conn of this.#open) {
      try {
        conn.close();
      } catch {
        // gone already
      }
    }
    await this.#loop.catch(() => {});
  }
}

async function readExactly(conn: Deno.Conn, n: number): Promise<Uint8Array | null> {
  const out = new Uint8Array(n);
  let got = 0;
  while (got < n) {
    const read = await conn.read(out.subarray(got));
    if (read === null) return null;
    got += read;
  }
  return out;
}

/** Reads one uwsgi request: header, vars, then CONTENT_LENGTH body bytes (null if cut short). */
async function readRequest(conn: Deno.Conn): Promise<Recorded | null> {
  const header = await readExactly(conn, 4);
  if (header === null) return null;
  const size = header[1]! | (header[2]! << 8);
  const block = await readExactly(conn, size);
  if (block === null) return null;
  const packet = new Uint8Array(4 + size);
  packet.set(header);
  packet.set(block, 4);
  const vars = new Map(decodePacket(packet).vars);
  const length = Number(vars.get("CONTENT_LENGTH") ?? "0") || 0;
  const body = length > 0 ? await readExactly(conn, length) : new Uint8Array(0);
  // a body cut short is not a request the app would have seen
  return body === null ? null : { vars, body };
}
