/**
 * Rows of the option table (options.ts), in --help order: the listeners (HTTP, HTTPS, SNI),
 * subscriptions, the stats server and WebSockets.
 */
import type { OptionSpec } from "./options.ts";

export const LISTEN_OPTIONS: readonly OptionSpec[] = [
  {
    name: "http",
    aliases: ["httprouter"],
    kind: "list",
    owner: "edge",
    arg: "ADDR",
    doc: "HTTP listener: :port (all IPv4), host:port, [v6]:port or a unix socket path",
  },
  {
    name: "http-socket",
    kind: "list",
    owner: "edge",
    arg: "ADDR",
    doc: "HTTP listener (same as http: the edge parses HTTP, always HTTP/1.1-correct)",
  },
  {
    name: "http11-socket",
    kind: "list",
    owner: "edge",
    arg: "ADDR",
    doc: "HTTP listener (same as http)",
  },
  {
    name: "https",
    kind: "list",
    owner: "edge",
    arg: "ADDR,CRT,KEY",
    doc: "HTTPS listener (HTTP/2 by ALPN); CIPHERS and CLIENT_CA are refused on this runtime",
  },
  {
    name: "sni",
    kind: "list",
    owner: "edge",
    arg: "HOST,CRT,KEY",
    doc:
      "certificate for clients asking for HOST by SNI, on every https listener (*.example.com matches one label)",
  },
  {
    name: "http-to-https",
    kind: "list",
    owner: "edge",
    arg: "ADDR[,PORT]",
    doc: "listener that redirects every request to https",
  },
  {
    name: "http-engine",
    kind: "string",
    owner: "accepted",
    arg: "ENGINE",
    doc:
      "accepted for compatibility with earlier versions: one event-driven engine serves every listener",
  },
  // subscriptions, stats, WebSockets
  {
    name: "http-subscription-server",
    kind: "string",
    owner: "edge",
    arg: "ADDR",
    doc: "subscription server: UDP host:port, or a unix datagram socket path",
  },
  {
    name: "http-subscription-fallback-key",
    kind: "string",
    owner: "edge",
    arg: "KEY",
    doc: "key whose nodes serve requests for keys without a live node",
  },
  {
    name: "subscription-algo",
    kind: "string",
    owner: "edge",
    arg: "ALGO",
    default: "wrr",
    doc: "balancing within a key: wrr, lrc, wlrc or iphash",
  },
  {
    name: "subscription-tolerance",
    kind: "int",
    owner: "edge",
    arg: "N",
    default: "17",
    doc: "seconds without an announcement before a node stops getting requests",
  },
  {
    name: "subscription-dotsplit",
    kind: "bool",
    owner: "edge",
    default: "false",
    doc: "on a miss, retry the key without its first label (a.example.com -> .example.com)",
  },
  {
    name: "http-stats",
    aliases: ["http-stats-server", "http-ss"],
    kind: "string",
    owner: "edge",
    arg: "ADDR",
    doc:
      "operations listener (host:port or unix path): uWSGI's stats JSON (raw or GET /), GET /metrics (Prometheus), /healthz, /readyz",
  },

  {
    name: "http-websockets",
    kind: "bool",
    owner: "edge",
    default: "on",
    doc: "pass WebSocket upgrades through to the backend (101, then bytes both ways)",
  },
  {
    name: "http-websockets-timeout",
    kind: "int",
    owner: "edge",
    arg: "N",
    default: "http-timeout",
    doc: "seconds a WebSocket tunnel may be silent both ways before it is closed",
  },
  ...["http-raw-body", "http-chunked-input"].map((name): OptionSpec => ({
    name,
    kind: "bool",
    owner: "edge",
    doc: "raw-mode request bodies (chunked input passed through)",
    planned: "raw-mode request bodies",
  })),
];
