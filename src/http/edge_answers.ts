/**
 * Answers the edge gives itself, without a backend: `http-to-https` redirects, the
 * `http-health-path` check, `100 Continue`, and the refusals of a request before it goes
 * to a backend (`Expect`, `http-max-body`, vars larger than the backends' `buffer-size`).
 */
import type { Config } from "../config/load.ts";
import { httpDate, latin1 } from "./client_head.ts";
import type { RequestHead } from "./request_head.ts";
import { type PacketFacts, type PacketTemplate, requestPacket } from "./request_packet.ts";
import type { ServerContext } from "./server_context.ts";

export const CONTINUE = latin1("HTTP/1.1 100 Continue\r\n\r\n");

/** An answer of the edge's own: its bytes, and the status and node it is logged with. */
export interface OwnAnswer {
  bytes: Uint8Array;
  status: number;
  node: string;
}

/** The `http-to-https` redirect or the health check's answer; null for other requests. */
export function ownAnswer(
  ctx: Pick<ServerContext, "listener" | "hostname" | "config" | "ready">,
  head: RequestHead,
  reusable: boolean,
): OwnAnswer | null {
  const port = ctx.listener.redirectPort;
  if (port !== undefined) {
    return {
      bytes: redirectAnswer(head, ctx.hostname, port, reusable),
      status: 301,
      node: "https",
    };
  }
  const path = ctx.config.healthPath;
  if (path === "" || !isHealthCheck(head, path)) return null;
  const ready = ctx.ready();
  return { bytes: healthAnswer(ready, head, reusable), status: ready ? 200 : 503, node: "health" };
}

/** `http-to-https`: 301 to the same URI on https, on `port` when set (spec §2.12). */
export function redirectAnswer(
  head: RequestHead,
  hostname: string,
  port: string,
  reusable: boolean,
): Uint8Array {
  const host = (head.host ?? hostname).replace(/:\d*$/, "");
  const path = head.target.startsWith("/") ? head.target : "/";
  return latin1(
    `HTTP/1.1 301 Moved Permanently\r\n${httpDate()}Location: https://${host}${
      port ? `:${port}` : ""
    }${path}\r\nContent-Length: 0\r\n${reusable ? "" : "Connection: close\r\n"}\r\n`,
  );
}

/** A load balancer's `http-health-path` request (GET or HEAD, query ignored). */
export function isHealthCheck(head: RequestHead, path: string): boolean {
  const target = head.target;
  return (target === path || target.startsWith(path + "?")) &&
    (head.isHead || head.method === "GET");
}

/** The health check's answer: 200 when a node may take requests, else 503. */
export function healthAnswer(ready: boolean, head: RequestHead, reusable: boolean): Uint8Array {
  const body = ready ? "ok\n" : "no node is usable\n";
  return latin1(
    `HTTP/1.1 ${ready ? "200 OK" : "503 Service Unavailable"}\r\n${httpDate()}` +
      `Content-Type: text/plain\r\nContent-Length: ${body.length}\r\nCache-Control: no-store\r\n` +
      `${reusable ? "" : "Connection: close\r\n"}\r\n${head.isHead ? "" : body}`,
  );
}

/** Why the edge refuses a request itself: the status it answers and the cause it logs. */
export interface Refusal {
  status: number;
  cause: string;
}

/** The request's uwsgi packet, or why it may not go to a backend. */
export function admitRequest(
  head: RequestHead,
  config: Pick<Config, "manageExpect" | "maxBody" | "bufferSize">,
  template: PacketTemplate,
  facts: PacketFacts,
): Uint8Array | Refusal {
  const refusal = head.expect !== undefined && config.manageExpect > 0
    ? expectRefusal(head, config.manageExpect)
    : null;
  if (refusal !== null) return refusal;
  if (config.maxBody > 0 && head.contentLength > config.maxBody) {
    return { status: 413, cause: `Content-Length ${head.contentLength} over http-max-body` };
  }
  let packet: Uint8Array;
  try {
    packet = requestPacket(head, template, facts);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    return { status: 431, cause: error.message };
  }
  const varsSize = packet.length - 4;
  if (varsSize <= config.bufferSize) return packet;
  return {
    status: 431,
    cause:
      `the request vars are ${varsSize} bytes, more than buffer-size ${config.bufferSize} of the backends`,
  };
}

/**
 * Why an `Expect` header refuses the request: 417 for anything but 100-continue, 413 for a
 * body above `http-manage-expect` N (> 1); null when it may go on.
 */
function expectRefusal(head: RequestHead, manageExpect: number): Refusal | null {
  if (head.expect!.trim().toLowerCase() !== "100-continue") {
    return { status: 417, cause: `unsupported Expect "${head.expect}"` };
  }
  if (manageExpect > 1 && head.contentLength > manageExpect) {
    const cause = `Content-Length ${head.contentLength} over http-manage-expect ${manageExpect}`;
    return { status: 413, cause };
  }
  return null;
}
