/**
 * Rows of the option table (options.ts), in --help order: the backends (nodes, fallbacks,
 * health checks), timeouts, the uwsgi packet, request and response buffering, and the
 * queue.
 */
import type { OptionSpec } from "./options.ts";

/** The argument of options that take seconds. */
const SECONDS = "N";

export const BACKEND_OPTIONS: readonly OptionSpec[] = [
  {
    name: "http-to",
    kind: "list",
    owner: "edge",
    arg: "ADDR",
    doc: "backend node speaking the uwsgi protocol: host:port, [v6]:port or unix path",
  },
  {
    name: "http-fallback",
    kind: "list",
    owner: "edge",
    arg: "ADDR",
    doc: "node tried, in order, after the http-to nodes failed to connect",
  },
  {
    name: "http-health-check",
    kind: "string",
    owner: "edge",
    arg: "PATH[,N]",
    doc:
      "ask every http-to node for PATH every N seconds (5); a node answering 5xx or nothing is out until it answers again",
  },
  {
    name: "http-health-path",
    kind: "string",
    owner: "edge",
    arg: "PATH",
    doc:
      "answer GET PATH on the public listeners here (200 when a node is usable, else 503): a load balancer's health check that never reaches the app",
  },
  {
    name: "http-gracetime",
    kind: "int",
    owner: "edge",
    arg: SECONDS,
    default: "30",
    doc: "seconds a node that refused a connection is skipped",
  },
  {
    name: "http-timeout",
    kind: "int",
    owner: "edge",
    arg: SECONDS,
    default: "60",
    doc: "seconds of backend silence before 504 Gateway Timeout",
  },
  {
    name: "http-connect-timeout",
    kind: "int",
    owner: "edge",
    arg: SECONDS,
    default: "http-timeout",
    doc: "seconds a backend connect may take before the next node is tried",
  },
  {
    name: "http-headers-timeout",
    kind: "int",
    owner: "edge",
    arg: SECONDS,
    default: "http-timeout",
    doc: "seconds a client may take to send its request head, then 408",
  },
  {
    name: "http-modifier1",
    kind: "int",
    owner: "edge",
    arg: "N",
    default: "0",
    doc: "modifier1 of the packets sent to backends (5 = PSGI, 7 = Rack, ...)",
  },
  {
    name: "http-modifier2",
    kind: "int",
    owner: "edge",
    arg: "N",
    default: "0",
    doc: "modifier2 of the packets sent to backends",
  },
  {
    name: "http-var",
    kind: "list",
    owner: "edge",
    arg: "KEY=VALUE",
    doc: "extra uwsgi var sent with every request",
  },
  {
    name: "http-server-name-as-http-host",
    kind: "bool",
    owner: "edge",
    default: "false",
    doc: "SERVER_NAME = the Host header instead of the machine's hostname",
  },
  {
    name: "http-max-body",
    aliases: ["http-max-chunked-body"],
    kind: "int",
    owner: "edge",
    arg: "BYTES",
    default: "1073741824",
    doc: "largest request body (nginx client_max_body_size); above it 413; 0 = no limit",
  },
  {
    name: "http-request-buffering",
    kind: "bool",
    owner: "edge",
    default: "on",
    doc:
      "read the whole request body before a worker is involved (nginx uwsgi_request_buffering); chunked bodies always are",
  },
  {
    name: "http-body-buffer-size",
    kind: "int",
    owner: "edge",
    arg: "BYTES",
    default: "1048576",
    doc:
      "request body bytes kept in memory, the rest in a temp file (nginx client_body_buffer_size)",
  },
  {
    name: "http-response-buffering",
    kind: "bool",
    owner: "edge",
    default: "on",
    doc:
      "read responses as fast as the worker writes them, for slow clients (nginx uwsgi_buffering); X-Accel-Buffering: no turns it off per response",
  },
  {
    name: "http-response-buffer-size",
    kind: "int",
    owner: "edge",
    arg: "BYTES",
    default: "262144",
    doc: "response bytes kept in memory per request before the temp file (nginx uwsgi_buffers)",
  },
  {
    name: "http-max-temp-file-size",
    kind: "int",
    owner: "edge",
    arg: "BYTES",
    default: "1073741824",
    doc:
      "largest temp file of a buffered response; beyond it, back-pressure (nginx uwsgi_max_temp_file_size)",
  },
  {
    name: "http-temp-path",
    kind: "string",
    owner: "edge",
    arg: "DIR",
    default: "private dir",
    doc:
      "where temp files of bodies go (nginx client_body_temp_path); a private 0700 directory inside it",
  },
  {
    name: "http-underscores-in-headers",
    kind: "bool",
    owner: "edge",
    default: "off",
    doc:
      "pass request headers whose names have _ (dropped by default: X_A and X-A would be the same var; nginx underscores_in_headers)",
  },
  {
    name: "http-node-max-inflight",
    kind: "int",
    owner: "edge",
    arg: "N",
    default: "auto",
    doc:
      "requests at once per node, the rest wait in the edge's queue (auto: 2 x processes x threads in embedded mode, else no limit)",
  },
  {
    name: "http-queue-timeout",
    kind: "int",
    owner: "edge",
    arg: "N",
    default: "http-connect-timeout",
    doc: "seconds a request may wait for a free node, then 503 with Retry-After",
  },
  {
    name: "http-queue-size",
    kind: "int",
    owner: "edge",
    arg: "N",
    default: "10000",
    doc: "requests that may wait for a node at once; more get 503 at once",
  },
];
