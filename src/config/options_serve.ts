/**
 * Rows of the option table (options.ts), in --help order: keep-alive, gzip, added headers,
 * logging, the processes, trusted proxies and request ids.
 */
import type { OptionSpec } from "./options.ts";

export const SERVE_OPTIONS: readonly OptionSpec[] = [
  // HTTP semantics
  {
    name: "http-keepalive",
    kind: "switch-int",
    owner: "edge",
    arg: "[N]",
    default: "on",
    doc:
      "client keep-alive: always on for HTTP/1.1; N > 1 = seconds an idle connection stays open (else 60)",
  },
  {
    name: "http-auto-chunked",
    kind: "bool",
    owner: "edge",
    default: "on",
    doc: "chunk sizeless responses for HTTP/1.1 clients (always done by the edge)",
  },
  {
    name: "http-auto-gzip",
    kind: "bool",
    owner: "edge",
    default: "false",
    doc: "gzip sizeless responses marked uWSGI-Encoding: gzip for clients that accept it",
  },
  {
    name: "add-header",
    kind: "list",
    owner: "edge",
    arg: "NAME: VALUE",
    doc: "header added to every proxied response",
  },
  // logging and process
  {
    name: "disable-logging",
    aliases: ["L"],
    kind: "bool",
    owner: "edge",
    default: "false",
    doc: "no access-log line per request",
  },
  {
    name: "http-quiet",
    kind: "bool",
    owner: "edge",
    default: "false",
    doc: "do not log backend connect failures",
  },
  {
    name: "master",
    aliases: ["M"],
    kind: "bool",
    owner: "accepted",
    doc: "accepted for compatibility; the edge always runs as one supervising process",
  },
  {
    name: "http-processes",
    aliases: ["http-workers"],
    kind: "int",
    owner: "edge",
    arg: "N",
    default: "1",
    doc: "number of router processes sharing the listeners (SO_REUSEPORT)",
  },
  {
    name: "plugin",
    aliases: ["plugins"],
    kind: "list",
    owner: "accepted",
    arg: "NAME[,NAME]",
    doc: "accepted for compatibility (http and corerouter are built in)",
  },
  {
    name: "listen",
    kind: "int",
    owner: "accepted",
    arg: "N",
    doc: "accepted for compatibility; the runtime picks the listen backlog",
  },
  {
    name: "buffer-size",
    aliases: ["b"],
    kind: "int",
    owner: "edge",
    arg: "BYTES",
    default: "65535",
    doc:
      "the backends' largest var block (uWSGI's buffer-size): bigger requests get 431 here instead of an empty reply there",
  },
  {
    name: "http-buffer-size",
    kind: "int",
    owner: "edge",
    arg: "BYTES",
    default: "8192",
    doc: "initial per-connection request buffer (it grows to 64 KiB for big heads)",
  },
  {
    name: "http-manage-expect",
    kind: "switch-int",
    owner: "edge",
    arg: "[N]",
    default: "on",
    doc: "answer Expect: 100-continue; N > 1 = largest Content-Length accepted, above it 413",
  },
  {
    name: "http-enable-proxy-protocol",
    aliases: ["enable-proxy-protocol"],
    kind: "bool",
    owner: "edge",
    default: "false",
    doc:
      "require a PROXY protocol header (v1 or v2) before the requests: its source becomes REMOTE_ADDR/REMOTE_PORT",
  },
  {
    name: "http-trusted-proxies",
    kind: "list",
    owner: "edge",
    arg: "CIDR[,CIDR]",
    doc:
      "proxies (CDN, load balancer) whose X-Forwarded-For/-Proto and X-Request-Id are believed; from anyone else they are replaced (nginx set_real_ip_from)",
  },
  {
    name: "http-request-id",
    kind: "bool",
    owner: "edge",
    default: "on",
    doc:
      "give each request an id: HTTP_X_REQUEST_ID for the app, X-Request-Id in the response (a trusted proxy's own is kept)",
  },
  {
    name: "log-format",
    kind: "string",
    owner: "edge",
    arg: "FORMAT",
    default: "text",
    doc:
      "access lines as text (uWSGI-like) or json (time, id, client, method, uri, status, bytes, ms, node, upstream_ms)",
  },
  {
    name: "http-x-forwarded",
    kind: "bool",
    owner: "edge",
    default: "false",
    doc:
      "nginx-style X-Forwarded-For (client appended) and X-Forwarded-Proto (replaced) to backends",
  },

  {
    name: "die-on-term",
    kind: "bool",
    owner: "accepted",
    doc: "accepted: SIGTERM always means graceful shutdown in uwsgi-edge",
  },
  {
    name: "reload-mercy",
    kind: "int",
    owner: "edge",
    arg: "N",
    default: "25",
    doc:
      "seconds a graceful stop (SIGTERM/SIGINT) may take in all, workers included, and a SIGHUP may wait for old requests (25: under Heroku's 30 s)",
  },
  {
    name: "uwsgi-binary",
    kind: "string",
    owner: "edge",
    arg: "PATH",
    default: "uwsgi on PATH",
    doc: "the uWSGI that embedded mode starts",
  },
];
