/** The edge's option values -> the typed `Config` (the one place that maps names to fields). */
import { TrustedProxies } from "../http/trust.ts";
import type { Config } from "./config_types.ts";
import type { Entry } from "./errors.ts";
import { findOption } from "./options.ts";
import { readListeners, readListenOption, readNodes } from "./listeners.ts";
import { fail, readBool, readInt, type Values } from "./values.ts";

/** Builds the config; what is ignored is said in `warnings`. */
export function buildConfig(
  values: Values,
  readFile: (path: string) => string,
  warnings: string[],
): Config {
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
  const text = (name: string): string => values.last(name)?.value ?? "";
  const timeout = int("http-timeout", 60, 1);
  return {
    listeners: readListeners(values, readFile),
    nodes: readNodes(values, "http-to"),
    fallbacks: readNodes(values, "http-fallback"),
    gracetime: int("http-gracetime", 30),
    timeout,
    connectTimeout: int("http-connect-timeout", 0) || timeout,
    headersTimeout: int("http-headers-timeout", 0) || timeout,
    keepalive: int("http-keepalive", 1),
    modifier1: modifier(values, "http-modifier1"),
    modifier2: modifier(values, "http-modifier2"),
    vars: vars(values.all("http-var"), warnings),
    addHeaders: values.all("add-header").map(header),
    logging: !bool("disable-logging", false),
    quiet: bool("http-quiet", false),
    serverNameAsHttpHost: bool("http-server-name-as-http-host", false),
    maxBody: int("http-max-body", 1 << 30),
    requestBuffering: bool("http-request-buffering", true),
    bodyBufferSize: int("http-body-buffer-size", 1 << 20),
    responseBuffering: bool("http-response-buffering", true),
    responseBufferSize: int("http-response-buffer-size", 256 * 1024),
    maxTempFileSize: int("http-max-temp-file-size", 1 << 30),
    tempPath: text("http-temp-path"),
    underscoresInHeaders: bool("http-underscores-in-headers", false),
    nodeMaxInflight: int("http-node-max-inflight", 0),
    queueTimeout: int("http-queue-timeout", 0) || int("http-connect-timeout", 0) || timeout,
    queueSize: int("http-queue-size", 10000, 1),
    websockets: bool("http-websockets", true),
    websocketsTimeout: int("http-websockets-timeout", 0) || timeout,
    processes: int("http-processes", 1, 1),
    reloadMercy: int("reload-mercy", 25, 1),
    uwsgiBinary: text("uwsgi-binary"),
    autoGzip: bool("http-auto-gzip", false),
    bufferSize: Math.min(int("buffer-size", 65535, 1), 65535),
    clientBufferSize: Math.min(Math.max(int("http-buffer-size", 8192), 1024), 65536),
    manageExpect: int("http-manage-expect", 1),
    proxyProtocol: bool("http-enable-proxy-protocol", false),
    xForwarded: bool("http-x-forwarded", false),
    trustedProxies: trustedProxies(values.all("http-trusted-proxies")),
    requestIds: bool("http-request-id", true),
    healthCheck: healthCheck(values.last("http-health-check")),
    healthPath: healthPath(values.last("http-health-path")),
    logFormat: logFormat(values.last("log-format"), warnings),
    subscriptionServer: readListenOption(values, "http-subscription-server"),
    subscriptionServerSpec: text("http-subscription-server"),
    subscriptionFallbackKey: values.last("http-subscription-fallback-key")?.value,
    subscriptionAlgo: subscriptionAlgo(values.last("subscription-algo")),
    subscriptionTolerance: int("subscription-tolerance", 17, 1),
    subscriptionDotsplit: bool("subscription-dotsplit", false),
    stats: readListenOption(values, "http-stats"),
    statsSpec: text("http-stats"),
  };
}

/** `http-modifier1/2`: 0 to 255. */
function modifier(values: Values, name: string): number {
  const entry = values.last(name);
  if (entry === undefined) return 0;
  const n = readInt(entry, findOption(name)!);
  if (n > 255) fail(entry, "it must be from 0 to 255");
  return n;
}

/** `http-var KEY=VALUE` entries; others are ignored with a warning (as uWSGI does). */
function vars(entries: Entry[], warnings: string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const entry of entries) {
    const eq = entry.value.indexOf("=");
    if (eq <= 0) {
      warnings.push(
        `Ignoring option "http-var" (${entry.origin}) as it must be KEY=VALUE: current value is "${entry.value}"`,
      );
      continue;
    }
    out.push([entry.value.slice(0, eq), entry.value.slice(eq + 1)]);
  }
  return out;
}

/** `add-header = Name: value`. */
function header(entry: Entry): [string, string] {
  const colon = entry.value.indexOf(":");
  const name = entry.value.slice(0, colon).trim();
  if (colon <= 0 || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
    fail(entry, 'it must be "Name: value"');
  }
  return [name, entry.value.slice(colon + 1).trim()];
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

/** `http-health-path = /PATH`. */
function healthPath(entry: Entry | undefined): string {
  if (entry === undefined) return "";
  if (!entry.value.startsWith("/")) fail(entry, "it must start with /");
  return entry.value;
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

/** `subscription-algo`. */
function subscriptionAlgo(entry: Entry | undefined): Config["subscriptionAlgo"] {
  if (entry === undefined) return "wrr";
  if (!["wrr", "lrc", "wlrc", "iphash"].includes(entry.value)) {
    fail(entry, "it must be wrr, lrc, wlrc or iphash");
  }
  return entry.value as Config["subscriptionAlgo"];
}
