/** The only writer of log lines. Lines from one event-loop turn go out in one write. */

/** Where log text goes (a runtime's stderr, or a test's array). */
export type LogSink = (text: string) => void;

/** One request's access-log writer: call it with the outcome when the request is over. */
export type RequestLog = (status: number, bytes: number, node: string) => void;

/** The access-log writer of a request started at `started` (nothing when logging is off). */
export function requestLog(
  logger: Logger,
  enabled: boolean,
  now: () => number,
  request: { client: string; method: string; uri: string; started: number },
): RequestLog {
  if (!enabled) return () => {};
  return (status, bytes, node) =>
    logger.access({ ...request, status, bytes, ms: now() - request.started, node });
}

/** A small logger: startup/info lines, warnings, errors and access lines. */
export class Logger {
  #pending = "";
  #scheduled = false;
  readonly #sink: LogSink;
  readonly #clock: () => number;

  readonly #tag: string;

  constructor(sink: LogSink, clock: () => number = Date.now, tag = "") {
    this.#sink = sink;
    this.#clock = clock;
    this.#tag = tag === "" ? "" : `[${tag}] `;
  }

  info(message: string): void {
    this.#line(message);
  }

  warn(message: string): void {
    this.#line(`warning: ${message}`);
  }

  error(message: string): void {
    this.#line(`error: ${message}`);
  }

  /** One access-log line per request. */
  access(
    entry: {
      client: string;
      method: string;
      uri: string;
      status: number;
      bytes: number;
      ms: number;
      node: string;
    },
  ): void {
    this.#line(
      `${entry.client} ${entry.method} ${entry.uri} => ${entry.status} ${entry.bytes} bytes in ${entry.ms} ms via ${entry.node}`,
    );
  }

  /** Writes what is pending now. */
  flush(): void {
    this.#scheduled = false;
    if (this.#pending === "") return;
    const text = this.#pending;
    this.#pending = "";
    this.#sink(text);
  }

  #stampAt = -1;
  #stamp = "";

  #line(message: string): void {
    // under load many lines share a millisecond: format its time once
    const now = this.#clock();
    if (now !== this.#stampAt) {
      this.#stampAt = now;
      this.#stamp = `[${new Date(now).toISOString()}] `;
    }
    this.#pending += `${this.#stamp}${this.#tag}${message}\n`;

    if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(() => this.flush());
    }
  }
}
