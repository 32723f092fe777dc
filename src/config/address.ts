/** uWSGI address forms for listening and connecting (§4.1), extended with IPv6 and DNS. */
import type { ConnectAddress, ListenAddress } from "../runtime/types.ts";

/** A parsed address or the rule it broke. */
export type Parsed<T> = { ok: true; address: T } | { ok: false; rule: string };

function splitHostPort(
  spec: string,
): { ok: true; host: string; port: number } | { ok: false; rule: string } {
  let host: string;
  let portText: string;
  if (spec.startsWith("[")) {
    const close = spec.indexOf("]");
    if (close < 0 || spec[close + 1] !== ":") {
      return { ok: false, rule: "an IPv6 address must look like [::1]:8080" };
    }
    host = spec.slice(1, close);
    portText = spec.slice(close + 2);
  } else {
    const colon = spec.lastIndexOf(":");
    host = spec.slice(0, colon);
    portText = spec.slice(colon + 1);
  }
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) {
    return { ok: false, rule: "the port must be a number from 0 to 65535" };
  }
  return { ok: true, host, port: Number(portText) };
}

/** Spaces around a TCP address's parts are dropped, as uWSGI reads ": 5000" as :5000. */
function tidy(spec: string): string {
  return spec.includes(":") ? spec.replace(/\s+/g, "") : spec.trim();
}

/** `:port` (all IPv4), `host:port`, `[v6]:port` or a unix socket path. */
export function parseListenAddress(text: string): Parsed<ListenAddress> {
  const spec = tidy(text);
  if (spec === "") return { ok: false, rule: "an address is needed" };
  if (/^=\d*$/.test(spec)) {
    return {
      ok: false,
      rule:
        "=N refers to a uWSGI shared-socket, which the edge does not use (it binds its own listeners): give the address itself",
    };
  }
  if (!spec.includes(":")) return unixPath(spec);
  const split = splitHostPort(spec);
  if (!split.ok) return split;
  return {
    ok: true,
    address: { transport: "tcp", hostname: split.host || "0.0.0.0", port: split.port },
  };
}

/** `host:port` (names resolved, unlike uWSGI), `[v6]:port`, `:port` (this machine) or a path. */
export function parseConnectAddress(text: string): Parsed<ConnectAddress> {
  const spec = tidy(text);
  if (spec === "") return { ok: false, rule: "an address is needed" };
  if (!spec.includes(":")) return unixPath(spec);
  const split = splitHostPort(spec);
  if (!split.ok) return split;
  if (split.port === 0) return { ok: false, rule: "port 0 cannot be connected to" };
  return {
    ok: true,
    address: { transport: "tcp", hostname: split.host || "127.0.0.1", port: split.port },
  };
}

function unixPath(spec: string): Parsed<ListenAddress & ConnectAddress> {
  if (spec.startsWith("@") || spec.startsWith("\0")) {
    return { ok: false, rule: "abstract unix sockets are not supported: use a path" };
  }
  return { ok: true, address: { transport: "unix", path: spec } };
}

/** SERVER_PORT for a listener: the text after the last ":" ("" for unix sockets). */
export function serverPortOf(text: string): string {
  const spec = tidy(text);
  const colon = spec.lastIndexOf(":");
  return colon < 0 ? "" : spec.slice(colon + 1);
}

/** How an address reads in logs. */
export function formatAddress(address: ListenAddress | ConnectAddress): string {
  if (address.transport === "unix") return address.path;
  const host = address.hostname.includes(":") ? `[${address.hostname}]` : address.hostname;
  return `${host}:${address.port}`;
}
