/**
 * The option table: one row per uWSGI option uwsgi-edge knows. It drives the CLI parser,
 * validation, `--help` and the README reference. Names keep uWSGI's spelling.
 */

/**
 * How a value is read.
 * - `bool`: true/yes/on/1 or no value = true; false/no/off/0 = false.
 * - `int`: a non-negative integer.
 * - `switch-int`: an integer where true/yes/on/no value mean 1 and false/no/off mean 0
 *   (uWSGI reads `http-keepalive = true` as 0; we read it as on).
 * - `string`: the last occurrence wins.
 * - `list`: every occurrence is kept, in order.
 */
export type OptionKind = "bool" | "int" | "switch-int" | "string" | "list";

/**
 * Who acts on an option.
 * - `edge`: the proxy itself.
 * - `meta`: config loading and the command line (ini, set, help, ...).
 * - `app`: application/worker options: they start embedded mode and go to the workers.
 * - `accepted`: meaningful to uWSGI, harmless here, accepted and ignored (README says why).
 * - `ignored`: a uWSGI router option the edge does not implement: accepted with a warning
 *   saying why (never passed to the workers, where it would mean nothing).
 */
export type OptionOwner = "edge" | "meta" | "app" | "accepted" | "ignored";

/** One row of the table. */
export interface OptionSpec {
  name: string;
  aliases?: string[];
  kind: OptionKind;
  owner: OptionOwner;
  /** Argument shown in --help ("ADDR", "N"). */
  arg?: string;
  /** Default shown in --help. */
  default?: string;
  doc: string;
  /** Not implemented yet: using it is a config error naming the issue that brings it. */
  planned?: string;
}

const SECONDS = "N";

/** Every option uwsgi-edge knows, in --help order. */
export const OPTIONS: readonly OptionSpec[] = [
  // listeners
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
  // not available yet: named so that configs using them fail clearly instead of silently
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
  // backends

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
  // configuration

  {
    name: "config",
    kind: "list",
    owner: "meta",
    arg: "FILE",
    doc: "load a config file (ini, by extension)",
  },
  {
    name: "ini",
    aliases: ["include"],
    kind: "list",
    owner: "meta",
    arg: "FILE[:SECTION]",
    doc: "load an ini file (section [uwsgi] unless given)",
  },
  {
    name: "set",
    aliases: ["set-placeholder", "set-ph"],
    kind: "list",
    owner: "meta",
    arg: "NAME=VALUE",
    doc: "define a placeholder usable as %(NAME)",
  },
  {
    name: "strict",
    kind: "bool",
    owner: "meta",
    doc: "unknown ini keys are errors instead of placeholders",
  },
  {
    name: "get",
    kind: "list",
    owner: "meta",
    arg: "NAME",
    doc: "print the expanded value of an option or placeholder and exit",
  },
  { name: "help", aliases: ["h"], kind: "bool", owner: "meta", doc: "print this help and exit" },
  { name: "version", kind: "bool", owner: "meta", doc: "print the version and exit" },
  // uWSGI router options the edge does not implement: a warning each, never an error
  ...([
    ["https2", "SPDY is gone: use https (HTTP/2 by ALPN)"],
    ["https-export-cert", "client certificates are not supported"],
    ["https-session-context", "the TLS library keeps its own session contexts"],
    ["http-zerg", "zerg servers are not supported: the edge binds its listeners itself"],
    ["http-use-cache", "cache-based routing is not supported: use subscriptions or http-to"],
    ["http-use-pattern", "pattern routing is not supported: use subscriptions or http-to"],
    ["http-use-base", "base routing is not supported: use subscriptions or http-to"],
    ["http-use-code-string", "routing by plugin code is not supported"],
    ["http-use-socket", "the edge routes to http-to nodes or its own workers"],
    ["http-events", "the event loop sizes itself"],
    ["http-cheap", "the edge accepts connections with or without subscribed nodes"],
    ["http-harakiri", "an event loop that blocks is a bug here; http-timeout bounds each request"],
    ["http-stud-prefix", "stud is obsolete: use https, or the PROXY protocol"],
    ["http-uid", "run the edge as the user it should be (Docker USER, systemd User=)"],
    ["http-gid", "run the edge as the group it should be"],
    ["http-resubscribe", "forwarding subscriptions is not supported"],
    ["http-manage-source", "the SOURCE method (Icecast) is not supported"],
    ["http-manage-rtsp", "RTSP is not supported"],
  ] as const).map(([name, why]): OptionSpec => ({
    name,
    kind: "list",
    owner: "ignored",
    arg: "VALUE",
    doc: `uWSGI router option with no effect here: ${why}`,
  })),
  // application options (embedded mode)
  ...[
    "module",
    "wsgi-file",
    "wsgi",
    "file",
    "callable",
    "mount",
    "processes",
    "workers",
    "threads",
    "enable-threads",
    "harakiri",
    "virtualenv",
    "venv",
    "home",
    "chdir",
    "pythonpath",
    "env",
    "socket",
    "uwsgi-socket",
    "lazy-apps",
    "lazy",
    "max-requests",
    "max-worker-lifetime",
    "reload-on-rss",
    "vacuum",
    "static-map",
    "static-map2",
    "check-static",
    "offload-threads",
    "touch-reload",
    "py-autoreload",
    "single-interpreter",
    "need-app",
    "thunder-lock",
    "cheaper",
    "uid",
    "gid",
    "umask",
    "chmod-socket",
    "logto",
    "ignore-sigpipe",
    "ignore-write-errors",
    "disable-write-exception",
    "post-buffering",
    "pyhome",
    "manage-script-name",
    "log-x-forwarded-for",
    "memory-report",
    "procname-prefix",
    "auto-procname",
    "worker-reload-mercy",
    "harakiri-verbose",
    "py-tracebacker",
  ].map((name): OptionSpec => ({
    name,
    kind: "list",
    owner: "app",
    arg: "VALUE",
    doc: "application option: starts embedded mode, passed to the uWSGI workers",
  })),
];

const BY_NAME = new Map<string, OptionSpec>();
for (const spec of OPTIONS) {
  BY_NAME.set(spec.name, spec);
  for (const alias of spec.aliases ?? []) BY_NAME.set(alias, spec);
}

/** The table row for a name or alias. */
export function findOption(name: string): OptionSpec | undefined {
  return BY_NAME.get(name);
}

/** The closest known option name, for "did you mean" hints (or undefined if none is close). */
export function suggestOption(name: string): string | undefined {
  return closestName(name, BY_NAME.keys());
}

/** The name of `names` closest to `name`, if it is close enough to be a typo of it. */
export function closestName(name: string, names: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of names) {
    if (candidate.length < 3) continue;
    const d = editDistance(name, candidate);
    if (d < bestDistance) {
      bestDistance = d;
      best = candidate;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row.push(Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost));
    }
    prev = row;
  }
  return prev[b.length]!;
}
