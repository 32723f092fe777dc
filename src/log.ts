/**
 * The only writer of log lines. Lines from one turn of the event loop go out in one write:
 * the flush waits for `setImmediate`, which runs once the turn's I/O callbacks are done (a
 * microtask would run after each callback, so under load that was one write per request).
 * main() flushes on every way out; flush() by hand only before writing to stderr directly.
 */

/** Where log text goes (a runtime's stderr, or a test's array). */
export type LogSink = (text: string) => void;

/** One access-log entry. */
export interface AccessEntry {
  /** The request id (X-Request-Id), when ids are on. */
  id: string | undefined;
  client: string;
  method: string;
  uri: string;
  status: number;
  bytes: number;
  ms: number;
  node: string;
  /** Time the backend took (connect to last byte), -1 when none was involved. */
  upstreamMs: number;
}

/** How access lines look: uWSGI-like text, or one JSON object per line (`log-format`). */
export type AccessFormat = "text" | "json";

/** A small logger: startup/info lines, warnings, errors and access lines. */
export class Logger {
  #pending = "";
  #scheduled = false;
  readonly #sink: LogSink;
  readonly #clock: () => number;

  readonly #tag: string;
  /** How access lines look. */
  accessFormat: AccessFormat = "text";

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
  access(entry: AccessEntry): void {
    if (this.accessFormat === "json") {
      const ms = Math.round(entry.ms * 1000) / 1000;
      this.#raw(JSON.stringify({
        time: new Date(this.#clock()).toISOString(),
        id: entry.id ?? null,
        client: entry.client,
        method: entry.method,
        uri: entry.uri,
        status: entry.status,
        bytes: entry.bytes,
        ms,
        node: entry.node,
        upstream_ms: entry.upstreamMs < 0 ? null : Math.round(entry.upstreamMs * 1000) / 1000,
        ...(this.#tag === "" ? {} : { process: this.#tag.slice(1, -2) }),
      }));
      return;
    }
    this.#line(
      `${entry.client} ${entry.method} ${entry.uri} => ${entry.status} ${entry.bytes} bytes in ${
        Math.round(entry.ms)
      } ms via ${entry.node}`,
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
    this.#raw(`${this.#stamp}${this.#tag}${message}`);
  }

  /** Queues a whole line (flushed at the end of the event-loop turn). */
  #raw(line: string): void {
    this.#pending += line + "\n";
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#flushLater);
    }
  }

  readonly #flushLater = () => this.flush();
}
