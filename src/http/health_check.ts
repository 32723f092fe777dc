/**
 * Active health checks of the `http-to` nodes (`http-health-check = PATH[,SECONDS]`, beyond
 * uWSGI): every few seconds each node gets a uwsgi GET of PATH; a node that does not answer
 * with a status below 500 within the interval is taken out of rotation until one does.
 * Passive ejection (a refused connect, http-gracetime) goes on beside it.
 */
import type { StaticNode, StaticPool } from "../balancer/static_pool.ts";
import type { NodeConfig } from "../config/load.ts";
import type { Logger } from "../log.ts";
import type { ConnectAddress, ConnectEvents, StreamSocket } from "../runtime/types.ts";
import { encodePacket } from "../uwsgi/packet.ts";
import { parseResponseHead } from "../uwsgi/response_head.ts";

/** What the checker needs. */
export interface HealthCheckDeps {
  pool: StaticPool<NodeConfig>;
  connect(address: ConnectAddress, owner: ConnectEvents): void;
  logger: Logger;
  hostname: string;
  path: string;
  intervalMs: number;
}

/** One probe: connect, ask, read the status line, give the verdict once. */
class Probe implements ConnectEvents {
  #socket: StreamSocket | null = null;
  #head = new Uint8Array(0);
  #done = false;
  readonly #timer: ReturnType<typeof setTimeout>;

  constructor(
    readonly packet: Uint8Array,
    timeoutMs: number,
    readonly verdict: (ok: boolean, why: string) => void,
  ) {
    this.#timer = setTimeout(
      () => this.#end(false, `no answer in ${timeoutMs / 1000} s`),
      timeoutMs,
    );
  }

  opened(socket: StreamSocket): void {
    this.#socket = socket;
    if (this.#done) socket.terminate();
    else socket.write(this.packet);
  }

  connectFailed(error: Error): void {
    this.#end(false, error.message);
  }

  data(bytes: Uint8Array): void {
    const all = new Uint8Array(this.#head.length + bytes.length);
    all.set(this.#head);
    all.set(bytes, this.#head.length);
    this.#head = all;
    try {
      const head = parseResponseHead(all, all.length);
      if (head === null) return;
      this.#end(head.status < 500, `status ${head.status}`);
    } catch (error) {
      this.#end(false, `an invalid response (${(error as Error).message})`);
    }
  }

  drain(): void {}

  end(): void {
    this.#end(false, "closed without a response");
  }

  closed(error?: Error): void {
    this.#end(false, error ? error.message : "closed without a response");
  }

  #end(ok: boolean, why: string): void {
    if (this.#done) return;
    this.#done = true;
    clearTimeout(this.#timer);
    this.#socket?.terminate();
    this.verdict(ok, why);
  }
}

/** The checker of a pool. */
export class HealthChecker {
  readonly #deps: HealthCheckDeps;
  readonly #packet: Uint8Array;
  #timer: ReturnType<typeof setInterval> | undefined;
  /** Checks run so far (stats). */
  checks = 0;

  constructor(deps: HealthCheckDeps) {
    this.#deps = deps;
    this.#packet = encodePacket([
      ["REQUEST_METHOD", "GET"],
      ["REQUEST_URI", deps.path],
      ["PATH_INFO", deps.path.split("?")[0]!],
      ["QUERY_STRING", deps.path.includes("?") ? deps.path.slice(deps.path.indexOf("?") + 1) : ""],
      ["SERVER_PROTOCOL", "HTTP/1.1"],
      ["SCRIPT_NAME", ""],
      ["SERVER_NAME", deps.hostname],
      ["SERVER_PORT", "0"],
      ["UWSGI_ROUTER", "http"],
      ["REMOTE_ADDR", "127.0.0.1"],
      ["REMOTE_PORT", "0"],
      ["HTTP_HOST", deps.hostname],
      ["HTTP_USER_AGENT", "uwsgi-edge health check"],
    ]);
  }

  /** Checks now, then every interval. */
  start(): void {
    this.checkAll();
    this.#timer = setInterval(() => this.checkAll(), this.#deps.intervalMs);
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  checkAll(): void {
    for (const node of this.#deps.pool.nodes) this.#check(node);
  }

  #check(node: StaticNode<NodeConfig>): void {
    this.checks++;
    const probe = new Probe(this.#packet, this.#deps.intervalMs, (ok, why) => {
      if (ok && node.down) {
        node.down = false;
        this.#deps.logger.info(`health check: node ${node.name} is up again`);
      } else if (!ok && !node.down) {
        node.down = true;
        this.#deps.logger.warn(`health check: node ${node.name} is down: ${why}`);
      }
    });
    this.#deps.connect(node.node.address, probe);
  }
}
