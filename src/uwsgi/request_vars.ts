/** An HTTP request -> the uwsgi vars uWSGI's router sends, in its wire order (spec §1.6-1.7). */
import type { Var } from "./packet.ts";
import { decodePathInfo } from "./path_info.ts";

/** What the router knows about one request. Header names may be in any case. */
export interface RequestFacts {
  method: string;
  /** The raw request target ("/p%41th?q=1"). */
  target: string;
  /** "HTTP/1.1" */
  protocol: string;
  /** Header lines in order; duplicates already merged or not, both work. */
  headers: Iterable<[string, string]>;
  remoteAddr: string;
  remotePort: number;
  /** SERVER_PORT text of the listener. */
  serverPort: string;
  https: boolean;
}

/** Per-router settings that shape the vars. */
export interface VarsSettings {
  /** SERVER_NAME unless `serverNameAsHttpHost`. */
  hostname: string;
  serverNameAsHttpHost: boolean;
  /** `http-var` entries, appended last. */
  extra: readonly Var[];
}

const KEY_CACHE = new Map<string, string>();

/** `x-forwarded-for` -> `HTTP_X_FORWARDED_FOR`; CONTENT_TYPE/CONTENT_LENGTH keep no prefix. */
export function headerVarName(name: string): string {
  let key = KEY_CACHE.get(name);
  if (key === undefined) {
    const upper = name.toUpperCase().replaceAll("-", "_");
    key = upper === "CONTENT_TYPE" || upper === "CONTENT_LENGTH" ? upper : "HTTP_" + upper;
    if (KEY_CACHE.size < 512) KEY_CACHE.set(name, key);
  }
  return key;
}

/** The vars of one request. Duplicate headers (same var name) are joined with ", ". */
export function requestVars(facts: RequestFacts, settings: VarsSettings): Var[] {
  const vars: Var[] = [["REQUEST_METHOD", facts.method]];
  const target = facts.target;
  const q = target.indexOf("?");
  if (q >= 0) {
    vars.push(
      ["PATH_INFO", decodePathInfo(target.slice(0, q))],
      ["REQUEST_URI", target],
      ["QUERY_STRING", target.slice(q + 1)],
    );
  } else {
    vars.push(["REQUEST_URI", target], ["PATH_INFO", decodePathInfo(target)], ["QUERY_STRING", ""]);
  }
  vars.push(["SERVER_PROTOCOL", facts.protocol], ["SCRIPT_NAME", ""]);
  if (!settings.serverNameAsHttpHost) vars.push(["SERVER_NAME", settings.hostname]);
  vars.push(["SERVER_PORT", facts.serverPort], ["UWSGI_ROUTER", "http"]);
  if (facts.https) vars.push(["HTTPS", "on"]);
  vars.push(["REMOTE_ADDR", facts.remoteAddr], ["REMOTE_PORT", String(facts.remotePort)]);

  let seen: Map<string, number> | undefined;
  for (const [name, value] of facts.headers) {
    const key = headerVarName(name);
    seen ??= new Map();
    const at = seen.get(key);
    if (at !== undefined) {
      const entry = vars[at]!;
      entry[1] += ", " + value;
      continue;
    }
    seen.set(key, vars.length);
    vars.push([key, value]);
    if (settings.serverNameAsHttpHost && key === "HTTP_HOST") vars.push(["SERVER_NAME", value]);
  }
  for (const extra of settings.extra) vars.push([extra[0], extra[1]]);
  return vars;
}
