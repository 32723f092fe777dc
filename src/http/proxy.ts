/**
 * The Hono app: every request becomes a uwsgi packet for a backend node; the backend's
 * raw HTTP response goes back to the client, streamed both ways.
 */
import { Hono } from "hono";
import type { StaticPool } from "../balancer/static_pool.ts";
import type { Config, ListenerConfig, NodeConfig } from "../config/load.ts";
import { type Logger, requestLog } from "../log.ts";
import type { IdleSweeper } from "./idle_sweeper.ts";
import type { Conn, ConnectAddress, Peer } from "../runtime/types.ts";
import { errorResponse, statusForFailure } from "./errors.ts";
import { nodeConnector } from "./forward.ts";
import { HOP_BY_HOP } from "./h1_response.ts";
import { requestPacket } from "./packet_for.ts";
import { concatBytes } from "../bytes.ts";
import { type Exchange, exchange, UpstreamError } from "./upstream.ts";

/** What the proxy needs from the outside. */
export interface ProxyDeps {
  config: Config;
  pool: StaticPool<NodeConfig>;
  connect: (address: ConnectAddress) => Promise<Conn>;
  hostname: string;
  logger: Logger;
  now: () => number;
  sweeper: IdleSweeper;
}

/** Per-request context handed in by the listener. */
export interface ListenerEnv {
  peer: Peer;
  listener: ListenerConfig;
}

/** The raw request target from a Deno request URL ("http://h/a?b" -> "/a?b"). */
export function targetOf(url: string): string {
  const slash = url.indexOf("/", url.indexOf("//") + 2);
  return slash < 0 ? "/" : url.slice(slash);
}

/** Builds the Hono app for these dependencies. */
export function createProxyApp(deps: ProxyDeps): Hono<{ Bindings: ListenerEnv }> {
  const app = new Hono<{ Bindings: ListenerEnv }>();
  const handle = proxyHandler(deps);
  app.all("*", (c) => handle(c.req.raw, c.env));
  return app;
}

/** The proxy handler itself, free of Hono for in-process tests and benchmarks. */
export function proxyHandler(deps: ProxyDeps) {
  const { config, logger, sweeper } = deps;
  const timeoutMs = config.timeout * 1000;

  const connectNode = nodeConnector(deps);

  return async (request: Request, env: ListenerEnv): Promise<Response> => {
    const started = deps.now();
    const target = targetOf(request.url);
    const method = request.method;
    const client = env.peer.address;
    const log = requestLog(logger, config.logging, deps.now, {
      client,
      method,
      uri: target,
      started,
    });
    const refuse = (status: number, node: string, cause?: string): Response => {
      if (cause && !config.quiet) logger.error(`${method} ${target} => ${status}: ${cause}`);
      log(status, 0, node);
      return errorResponse(status);
    };

    // request body: streamed with Content-Length, buffered (to compute one) when chunked
    let body: Uint8Array | ReadableStream<Uint8Array> | null = request.body;
    let headers: Iterable<[string, string]> = request.headers;
    if (body !== null && !request.headers.has("content-length")) {
      const buffered = await bufferBody(body, config.maxChunkedBody);
      if (buffered === undefined) {
        return refuse(413, "-", `chunked body larger than ${config.maxChunkedBody} bytes`);
      }
      body = buffered;
      headers = withContentLength(request.headers, buffered.length);
    }

    let packet: Uint8Array;
    try {
      packet = requestPacket(
        {
          method,
          target,
          protocol: "HTTP/1.1",
          headers,
          remoteAddr: client,
          remotePort: env.peer.port,
          serverPort: env.listener.serverPort,
          https: env.listener.tls !== undefined,
        },
        config,
        deps.hostname,
      );
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      return refuse(431, "-", error.message);
    }

    const key = request.headers.get("host") ?? deps.hostname;
    const connected = await connectNode(key, client);
    if (!connected.ok) return refuse(connected.status, connected.node, connected.cause);
    const conn = connected.conn;
    const nodeName = connected.name;
    if (config.modifier1 === 0 && connected.modifier1 !== 0) packet[0] = connected.modifier1;
    if (config.modifier2 === 0 && connected.modifier2 !== 0) packet[3] = connected.modifier2;

    let result: Exchange;
    try {
      result = await exchange(conn, packet, body, {
        timeoutMs,
        sweeper,
        headOnly: method === "HEAD",
        onDone: (status, bytes, error) => {
          if (error && error.kind !== "client" && !config.quiet) {
            logger.error(`${method} ${target} via ${nodeName}: ${error.message}`);
          }
          log(status, bytes, nodeName);
        },
      });
    } catch (error) {
      if (!(error instanceof UpstreamError)) throw error;
      return refuse(statusForFailure(error.kind), nodeName, `node ${nodeName}: ${error.message}`);
    }
    const status = result.head.status;
    if (status < 200 || status > 599) {
      if (result.body instanceof ReadableStream) await result.body.cancel();
      return refuse(502, nodeName, `node ${nodeName} answered with status ${status}`);
    }
    const responseHeaders: Array<[string, string]> = [];
    for (const header of result.head.headers) {
      if (!HOP_BY_HOP.has(header[0].toLowerCase())) responseHeaders.push(header);
    }
    for (const header of config.addHeaders) responseHeaders.push(header);
    try {
      // the reason phrase is not passed on: Deno's server writes the standard one
      return new Response(result.body, { status, headers: responseHeaders });
    } catch (error) {
      if (result.body instanceof ReadableStream) await result.body.cancel();
      return refuse(502, nodeName, `node ${nodeName} sent an invalid header: ${error}`);
    }
  };
}

/** Reads a whole body if it fits in `limit` bytes; undefined if it does not. */
async function bufferBody(
  body: ReadableStream<Uint8Array>,
  limit: number,
): Promise<Uint8Array | undefined> {
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const part of body) {
    size += part.length;
    if (size > limit) return undefined;
    parts.push(part);
  }
  return concatBytes(parts);
}

/** Request headers for a de-chunked body: Transfer-Encoding out, Content-Length in. */
function withContentLength(headers: Headers, length: number): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [name, value] of headers) if (name !== "transfer-encoding") out.push([name, value]);
  out.push(["content-length", String(length)]);
  return out;
}
