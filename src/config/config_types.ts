/** The validated configuration's types (built by load.ts). */
import type { ConnectAddress, ListenAddress, TlsConfig } from "../runtime/types.ts";
import type { Entry } from "./errors.ts";

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
