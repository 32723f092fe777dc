/** Entries -> a validated, typed `Config` (the one place that maps option names to fields). */
import type { ConnectAddress, ListenAddress, TlsConfig } from "../runtime/types.ts";
import { parseConnectAddress, parseListenAddress, serverPortOf } from "./address.ts";
import { ConfigError, type Entry } from "./errors.ts";
import { findOption, type OptionSpec, suggestOption } from "./options.ts";
import { expandValue } from "./placeholders.ts";
import { httpsEntry, sniEntry } from "./tls.ts";
import { TrustedProxies } from "../http/trust.ts";

/** One HTTP listener. */
export interface ListenerConfig {
  /** The option that declared it ("http", "http-socket", "http11-socket", "https", "http-to-https"). */
  option: string;
  /** PEM certificates and keys of an `https` listener. */
  tls?: TlsConfig;
  /** `http-to-https`: every request is redirected; the https port to put in the URL ("" = none). */
  redirectPort?: string;
  spec: string;
  address: ListenAddress;
  /** SERVER_PORT text for requests on it. */
  serverPort: string;
}

/** One backend node. */
export interface NodeConfig {
  spec: string;
  address: ConnectAddress;
}

/** Everything the proxy needs, validated. Times are in seconds. */
export interface Config {
  listeners: ListenerConfig[];
  nodes: NodeConfig[];
  fallbacks: NodeConfig[];
  gracetime: number;
  timeout: number;
  connectTimeout: number;
  headersTimeout: number;
  keepalive: number;
  modifier1: number;
  modifier2: number;
  vars: Array<[string, string]>;
  addHeaders: Array<[string, string]>;
  logging: boolean;
  quiet: boolean;
  serverNameAsHttpHost: boolean;
  /** Largest request body (0 = no limit). */
  maxBody: number;
  requestBuffering: boolean;
  bodyBufferSize: number;
  responseBuffering: boolean;
  responseBufferSize: number;
  maxTempFileSize: number;
  /** Parent of the private temp dir ("" = the system's). */
  tempPath: string;
  underscoresInHeaders: boolean;
  /** Requests at once per node; 0 = automatic. */
  nodeMaxInflight: number;
  queueTimeout: number;
  queueSize: number;
  websockets: boolean;
  websocketsTimeout: number;
  processes: number;
  /** Seconds in-flight requests get on shutdown and reload. */
  reloadMercy: number;
  /** uWSGI for embedded mode ("" = found on PATH). */
  uwsgiBinary: string;

  autoGzip: boolean;
  /** Largest var block the backends take (buffer-size). */
  bufferSize: number;
  /** Initial client buffer (http-buffer-size). */
  clientBufferSize: number;
  /** 0 = never answer Expect, 1 = answer, N > 1 = answer up to N body bytes. */
  manageExpect: number;
  proxyProtocol: boolean;
  xForwarded: boolean;
  /** `http-trusted-proxies` ranges (validated). */
  trustedProxies: string[];
  /** `http-health-check`: path and interval (s), or undefined. */
  healthCheck: { path: string; interval: number } | undefined;
  /** `http-health-path` ("" = none). */
  healthPath: string;
  requestIds: boolean;
  logFormat: "text" | "json";
  /** `http-subscription-server`, parsed (UDP as a tcp-kind address). */
  subscriptionServer: ListenAddress | undefined;
  subscriptionServerSpec: string;
  subscriptionFallbackKey: string | undefined;
  subscriptionAlgo: "wrr" | "lrc" | "wlrc" | "iphash";
  subscriptionTolerance: number;
  subscriptionDotsplit: boolean;
  stats: ListenAddress | undefined;
  statsSpec: string;
}

/** What loading produced besides the config. */
export interface Loaded {
  config: Config;
  warnings: string[];
  /** Values asked for with --get, in order. */
  gets: string[];
  help: boolean;
  version: boolean;
  /** Application options are present: the edge starts and supervises uWSGI workers. */
  embedded: boolean;
  /** The workers' options, expanded, in order (embedded mode). */
  appEntries: Entry[];
  /** Keys the edge does not know (checked against uWSGI's own list in embedded mode). */
  unknown: Entry[];
  /** `strict`: unknown keys are errors. */
  strict: boolean;
}

/** Expanded option values by name, with their origins. */
class Values {
  readonly #map = new Map<string, Entry[]>();

  add(entry: Entry): void {
    const list = this.#map.get(entry.key);
    if (list) list.push(entry);
    else this.#map.set(entry.key, [entry]);
  }

  all(name: string): Entry[] {
    return this.#map.get(name) ?? [];
  }

  last(name: string): Entry | undefined {
    const list = this.#map.get(name);
    return list?.[list.length - 1];
  }
}

function fail(entry: Entry, rule: string): never {
  throw new ConfigError(
    `Cannot use option "${entry.key}" (${entry.origin}) as ${rule}: current value is "${entry.value}"`,
  );
}

const TRUE_WORDS = new Set(["", "1", "true", "yes", "on", "y"]);
const FALSE_WORDS = new Set(["0", "false", "no", "off", "n"]);

function readBool(entry: Entry): boolean {
  const word = entry.value.trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  return fail(entry, "it must be true/yes/on/1 or false/no/off/0");
}

function readInt(entry: Entry, spec: OptionSpec): number {
  // uWSGI reads the leading number: "4 ; four workers" is 4 (ini has no inline comments)
  const text = entry.value.trim().replace(/^(\d+)\s+[;#].*$/, "$1");
  if (spec.kind === "switch-int") {
    const word = text.toLowerCase();
    if (TRUE_WORDS.has(word) && !/^\d+$/.test(word)) return 1;
    if (FALSE_WORDS.has(word) && !/^\d+$/.test(word)) return 0;
  }
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    return fail(entry, "it must be a non-negative integer");
  }
  return Number(text);
}

/** Validates every entry and builds the config. */
export function loadConfig(
  entries: Entry[],
  scope: { env: Record<string, string>; readFile: (path: string) => string },
): Loaded {
  const warnings: string[] = [];
  // placeholders: unknown keys (ini, environment) and `set NAME=VALUE`
  const firstValue = new Map<string, string>();
  const unknown: Entry[] = [];
  for (const entry of entries) {
    const spec = findOption(entry.key);
    if (spec?.name === "set") {
      const eq = entry.value.indexOf("=");
      if (eq < 0) fail(entry, "it must be NAME=VALUE");
      const name = entry.value.slice(0, eq);
      if (!firstValue.has(name)) firstValue.set(name, entry.value.slice(eq + 1));
      continue;
    }
    if (spec === undefined) unknown.push(entry);
    const key = spec?.name ?? entry.key;
    if (!firstValue.has(key)) firstValue.set(key, entry.value);
  }
  const referenced = new Set<string>();
  const lookupScope = {
    env: scope.env,
    readFile: scope.readFile,
    lookup: (name: string) => {
      referenced.add(name);
      return firstValue.get(name);
    },
  };
  const expand = (entry: Entry): string => {
    try {
      return expandValue(entry.value, lookupScope);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      return fail(entry, `a file named by @() cannot be read (${why})`);
    }
  };

  const values = new Values();
  // embedded mode: application options (and keys unknown to the edge) go to the workers
  const appEntries: Entry[] = [];
  for (const entry of entries) {
    const spec = findOption(entry.key);
    if (spec?.name === "set") continue;
    if (spec === undefined || spec.owner === "app" || WORKER_SHARED.has(spec.name)) {
      appEntries.push({ ...entry, key: spec?.name ?? entry.key, value: expand(entry) });
    }
    if (spec !== undefined) values.add({ ...entry, key: spec.name, value: expand(entry) });
  }
  // `processes = 0` beside http-to is uWSGI's "router only" idiom: no workers at all
  const workersEntry = appEntries.filter((e) => e.key === "processes" || e.key === "workers").at(
    -1,
  );
  const routerOnly = workersEntry !== undefined && parseInt(workersEntry.value, 10) === 0;
  const appOptions = appEntries.filter((entry) => findOption(entry.key)?.owner === "app");
  const embedded = !routerOnly && appOptions.length > 0;
  if (routerOnly) {
    const others = [...new Set(appOptions.map((e) => e.key))].filter((k) =>
      k !== "processes" && k !== "workers"
    );
    warnings.push(
      `Option "${workersEntry.key} = 0" (${workersEntry.origin}): no workers, the edge is a router only` +
        (others.length > 0 ? `; ignoring the application options ${others.join(", ")}` : ""),
    );
  }

  const strict = values.all("strict").some(readBool);
  for (const entry of embedded ? [] : unknown) {
    const hint = suggestOption(entry.key);
    // uWSGI refuses unknown flags; with no workers to hand them to, so does the edge
    if (strict || entry.origin === "command line") {
      throw new ConfigError(
        `Unknown option "${entry.key}" (${entry.origin})` +
          (hint ? `: did you mean "${hint}"?` : ""),
      );
    }
    if (!referenced.has(entry.key)) {
      warnings.push(
        `Unknown option "${entry.key}" (${entry.origin}) is kept as a placeholder but nothing uses it` +
          (hint ? `: did you mean "${hint}"?` : ""),
      );
    }
  }

  for (const entry of entries) {
    const spec = findOption(entry.key);
    if (spec?.owner === "ignored") {
      warnings.push(
        `Ignoring option "${spec.name}" (${entry.origin}): ${spec.doc.replace(/^[^:]*: /, "")}`,
      );
    }
    if (spec?.planned) {
      throw new ConfigError(
        `Cannot use option "${spec.name}" (${entry.origin}) as ${spec.planned} is not available in this version of uwsgi-edge: current value is "${entry.value}"`,
      );
    }
  }

  const bool = (name: string, fallback: boolean): boolean => {
    const entry = values.last(name);
    return entry ? readBool(entry) : fallback;
  };
  const int = (name: string, fallback: number, min = 0): number => {
    const entry = values.last(name);
    if (!entry) return fallback;
    const n = readInt(entry, findOption(name)!);
    if (n < min) fail(entry, `it must be at least ${min}`);
    return n;
  };
  // validate every occurrence of scalar options, not just the winning one
  for (const spec of new Set(entries.map((e) => findOption(e.key)))) {
    if (!spec) continue;
    for (const entry of values.all(spec.name)) {
      if (spec.kind === "bool") readBool(entry);
      if (spec.kind === "int" || spec.kind === "switch-int") readInt(entry, spec);
    }
  }

  const listeners: ListenerConfig[] = [];
  for (const option of ["http", "http-socket", "http11-socket"]) {
    for (const entry of values.all(option)) {
      const parsed = parseListenAddress(entry.value);
      if (!parsed.ok) fail(entry, parsed.rule);
      listeners.push({
        option,
        spec: entry.value,
        address: parsed.address,
        serverPort: serverPortOf(entry.value),
      });
    }
  }
  const sni = values.all("sni").map((entry) => sniEntry(entry, scope.readFile));
  for (const entry of values.all("https")) {
    const { spec, tls } = httpsEntry(entry, scope.readFile);
    const parsed = parseListenAddress(spec);
    if (!parsed.ok) fail(entry, parsed.rule);
    listeners.push({
      option: "https",
      spec,
      address: parsed.address,
      serverPort: serverPortOf(spec),
      tls: { ...tls, contexts: sni },
    });
  }
  if (sni.length > 0 && !listeners.some((l) => l.tls)) {
    const first = values.all("sni")[0]!;
    fail(first, 'it needs an https listener (add "https = :443,site.crt,site.key")');
  }
  for (const entry of values.all("http-to-https")) {
    const [spec = "", port = ""] = entry.value.split(",");
    if (port !== "" && !/^\d{1,5}$/.test(port)) fail(entry, "the https port must be a number");
    const parsed = parseListenAddress(spec);
    if (!parsed.ok) fail(entry, parsed.rule);
    listeners.push({
      option: "http-to-https",
      spec,
      address: parsed.address,
      serverPort: serverPortOf(spec),
      redirectPort: port,
    });
  }
  const nodes = (option: string): NodeConfig[] =>
    values.all(option).map((entry) => {
      const parsed = parseConnectAddress(entry.value);
      if (!parsed.ok) fail(entry, parsed.rule);
      return { spec: entry.value, address: parsed.address };
    });

  const vars: Array<[string, string]> = [];
  for (const entry of values.all("http-var")) {
    const eq = entry.value.indexOf("=");
    if (eq <= 0) {
      warnings.push(
        `Ignoring option "http-var" (${entry.origin}) as it must be KEY=VALUE: current value is "${entry.value}"`,
      );
      continue;
    }
    vars.push([entry.value.slice(0, eq), entry.value.slice(eq + 1)]);
  }
  const addHeaders: Array<[string, string]> = values.all("add-header").map((entry) => {
    const colon = entry.value.indexOf(":");
    const name = entry.value.slice(0, colon).trim();
    if (colon <= 0 || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
      fail(entry, 'it must be "Name: value"');
    }
    return [name, entry.value.slice(colon + 1).trim()];
  });

  const timeout = int("http-timeout", 60, 1);
  const config: Config = {
    listeners,
    nodes: nodes("http-to"),
    fallbacks: nodes("http-fallback"),
    gracetime: int("http-gracetime", 30),
    timeout,
    connectTimeout: int("http-connect-timeout", 0) || timeout,
    headersTimeout: int("http-headers-timeout", 0) || timeout,
    keepalive: int("http-keepalive", 1),
    modifier1: int("http-modifier1", 0),
    modifier2: int("http-modifier2", 0),
    vars,
    addHeaders,
    logging: !bool("disable-logging", false),
    quiet: bool("http-quiet", false),
    serverNameAsHttpHost: bool("http-server-name-as-http-host", false),
    maxBody: int("http-max-body", 1 << 30),
    requestBuffering: bool("http-request-buffering", true),
    bodyBufferSize: int("http-body-buffer-size", 1 << 20),
    responseBuffering: bool("http-response-buffering", true),
    responseBufferSize: int("http-response-buffer-size", 256 * 1024),
    maxTempFileSize: int("http-max-temp-file-size", 1 << 30),
    tempPath: values.last("http-temp-path")?.value ?? "",
    underscoresInHeaders: bool("http-underscores-in-headers", false),
    nodeMaxInflight: int("http-node-max-inflight", 0),
    queueTimeout: int("http-queue-timeout", 0) || int("http-connect-timeout", 0) || timeout,
    queueSize: int("http-queue-size", 10000, 1),
    websockets: bool("http-websockets", true),
    websocketsTimeout: int("http-websockets-timeout", 0) || timeout,
    processes: int("http-processes", 1, 1),
    reloadMercy: int("reload-mercy", 25, 1),
    uwsgiBinary: values.last("uwsgi-binary")?.value ?? "",
    autoGzip: bool("http-auto-gzip", false),
    bufferSize: Math.min(int("buffer-size", 65535, 1), 65535),
    clientBufferSize: Math.min(Math.max(int("http-buffer-size", 8192), 1024), 65536),
    manageExpect: int("http-manage-expect", 1),
    proxyProtocol: bool("http-enable-proxy-protocol", false),
    xForwarded: bool("http-x-forwarded", false),
    trustedProxies: trustedProxies(values.all("http-trusted-proxies")),
    requestIds: bool("http-request-id", true),
    healthCheck: healthCheck(values.last("http-health-check")),
    healthPath: values.last("http-health-path")?.value ?? "",
    logFormat: logFormat(values.last("log-format"), warnings),
    subscriptionServer: undefined,
    subscriptionServerSpec: values.last("http-subscription-server")?.value ?? "",
    subscriptionFallbackKey: values.last("http-subscription-fallback-key")?.value,
    subscriptionAlgo: "wrr",
    subscriptionTolerance: int("subscription-tolerance", 17, 1),
    subscriptionDotsplit: bool("subscription-dotsplit", false),
    stats: undefined,
    statsSpec: values.last("http-stats")?.value ?? "",
  };
  const subscriptionEntry = values.last("http-subscription-server");
  if (subscriptionEntry) {
    const parsed = parseListenAddress(subscriptionEntry.value);
    if (!parsed.ok) fail(subscriptionEntry, parsed.rule);
    config.subscriptionServer = parsed.address;
  }
  const healthPath = values.last("http-health-path");
  if (healthPath && !healthPath.value.startsWith("/")) fail(healthPath, "it must start with /");
  const statsEntry = values.last("http-stats");
  if (statsEntry) {
    const parsed = parseListenAddress(statsEntry.value);
    if (!parsed.ok) fail(statsEntry, parsed.rule);
    config.stats = parsed.address;
  }
  const algo = values.last("subscription-algo");
  if (algo) {
    if (!["wrr", "lrc", "wlrc", "iphash"].includes(algo.value)) {
      fail(algo, "it must be wrr, lrc, wlrc or iphash");
    }
    config.subscriptionAlgo = algo.value as Config["subscriptionAlgo"];
  }
  const engine = values.last("http-engine");
  if (engine && engine.value !== "native") {
    warnings.push(
      `Ignoring option "http-engine" (${engine.origin}): one event-driven engine serves every listener now: current value is "${engine.value}"`,
    );
  }
  for (const name of ["http-modifier1", "http-modifier2"]) {
    const entry = values.last(name);
    if (entry && Number(entry.value) > 255) fail(entry, "it must be from 0 to 255");
  }
  const processes = values.last("http-processes");
  if (processes && config.processes > 1) {
    const unix = config.listeners.find((l) => l.address.transport === "unix");
    if (unix) {
      fail(processes, `unix listeners (${unix.spec}) cannot be shared by several processes`);
    }
  }
  if (embedded && config.nodes.length > 0) {
    const first = values.all("http-to")[0]!;
    fail(
      first,
      "the edge runs the application's workers itself (embedded mode): drop http-to, or the application options",
    );
  }

  const gets = values.all("get").map((entry) => firstValue.get(entry.value) ?? "");
  return {
    config,
    warnings,
    gets: gets.map((v) => expandValue(v, lookupScope)),
    help: bool("help", false),
    version: bool("version", false),
    embedded,
    appEntries: embedded ? appEntries : [],
    unknown,
    strict,
  };
}

/** `http-trusted-proxies` values, each checked to be addresses or CIDR ranges. */
function trustedProxies(entries: Entry[]): string[] {
  for (const entry of entries) {
    const parsed = TrustedProxies.parse([entry.value]);
    if (typeof parsed === "string") fail(entry, parsed);
  }
  return entries.map((entry) => entry.value);
}

/** `http-health-check = PATH[,SECONDS]`. */
function healthCheck(entry: Entry | undefined): Config["healthCheck"] {
  if (entry === undefined) return undefined;
  const [path = "", seconds = "5"] = entry.value.split(",").map((s) => s.trim());
  if (!path.startsWith("/")) fail(entry, "it must be PATH[,SECONDS] with PATH starting with /");
  if (!/^\d+$/.test(seconds) || Number(seconds) < 1) {
    fail(entry, "the interval must be a whole number of seconds, at least 1");
  }
  return { path, interval: Number(seconds) };
}

/** `log-format`: json, or text; uWSGI's %(...) format strings are not the edge's business. */
function logFormat(entry: Entry | undefined, warnings: string[]): "text" | "json" {
  if (entry === undefined || entry.value === "text" || entry.value === "") return "text";
  if (entry.value === "json") return "json";
  if (entry.value.includes("%(")) {
    warnings.push(
      `Ignoring option "log-format" (${entry.origin}): uWSGI's log-format strings are not interpreted; the edge writes its own access line (use json for JSON lines): current value is "${entry.value}"`,
    );
    return "text";
  }
  return fail(entry, 'it must be "text" or "json"');
}

/** Edge options the workers need as well. */
const WORKER_SHARED = new Set(["plugin", "buffer-size", "listen"]);
