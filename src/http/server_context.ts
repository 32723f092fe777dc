/** What the connections of one listener share: settings, encoded constants, services. */
import type { Config, ListenerConfig } from "../config/load.ts";
import type { Logger } from "../log.ts";
import type { Counters } from "./counters.ts";
import type { Deadlines } from "./deadlines.ts";
import type { ForwardingPolicy } from "./forwarding.ts";
import type { ExchangeContext } from "./exchange_context.ts";
import type { BufferLimits } from "./out_queue.ts";
import { encodeVars, type PacketTemplate } from "./request_packet.ts";
import { latin1 } from "./client_head.ts";
import type { OpenTempFile } from "./spool.ts";

/** The shared context of a listener's connections. */
export interface ServerContext {
  config: Config;
  listener: ListenerConfig;
  template: PacketTemplate;
  exchanges: ExchangeContext;
  deadlines: Deadlines;
  logger: Logger;
  /** Temp files of request bodies and buffered responses. */
  openTempFile: OpenTempFile;
  /** Limits of buffered responses. */
  responseLimits: BufferLimits;
  /** The machine's name: SERVER_NAME and the key of requests without Host. */
  hostname: string;
  /** `add-header` lines, encoded. */
  addHeaders: Uint8Array;
  /** Precise clock for durations (ms). */
  clock: () => number;
  /** Open connections (graceful shutdown closes the idle ones). */
  connections: Set<{ drainConnection(): void }>;
  /** Shutting down: no new requests on open connections. */
  draining: boolean;
  counters: Counters;
  /** How forwarding headers and request ids are handled. */
  forwarding: ForwardingPolicy;
  /** Some node may take requests (http-health-path). */
  ready: () => boolean;
}

/** The packet template of a listener. */
export function packetTemplate(
  config: Config,
  listener: ListenerConfig,
  hostname: string,
): PacketTemplate {
  const fixed: Array<[string, string]> = [["SCRIPT_NAME", ""]];
  if (!config.serverNameAsHttpHost) fixed.push(["SERVER_NAME", hostname]);
  fixed.push(["SERVER_PORT", listener.serverPort], ["UWSGI_ROUTER", "http"]);
  return {
    modifier1: config.modifier1,
    modifier2: config.modifier2,
    fixed: encodeVars(fixed),
    serverNameAsHost: config.serverNameAsHttpHost,
    extra: encodeVars(config.vars),
  };
}

/** `add-header` entries as header lines. */
export function encodeHeaders(headers: ReadonlyArray<readonly [string, string]>): Uint8Array {
  return latin1(headers.map(([name, value]) => `${name}: ${value}\r\n`).join(""));
}

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
let dateSecond = -1;
let dateBytes: Uint8Array = new Uint8Array(0);

/** The "Date: ...\r\n" line for clock time `now` (built once per second). */
export function dateLine(now: number): Uint8Array {
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    const d = new Date(second * 1000);
    const two = (n: number) => String(n).padStart(2, "0");
    dateBytes = latin1(
      `Date: ${DAYS[d.getUTCDay()]}, ${two(d.getUTCDate())} ${
        MONTHS[d.getUTCMonth()]
      } ${d.getUTCFullYear()} ` +
        `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} GMT\r\n`,
    );
  }
  return dateBytes;
}
