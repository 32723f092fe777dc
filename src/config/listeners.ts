/** Listener and node options -> addresses (each checked, errors naming option and place). */
import { parseConnectAddress, parseListenAddress, serverPortOf } from "./address.ts";
import type { ListenerConfig, NodeConfig } from "./config_types.ts";
import { httpsEntry, sniEntry } from "./tls.ts";
import { fail, type Values } from "./values.ts";

/** Every listener: http, http-socket, http11-socket, https (with sni), http-to-https. */
export function readListeners(values: Values, readFile: (path: string) => string) {
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
  const sni = values.all("sni").map((entry) => sniEntry(entry, readFile));
  for (const entry of values.all("https")) {
    const { spec, tls } = httpsEntry(entry, readFile);
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
  return listeners;
}

/** The nodes of `http-to` or `http-fallback`. */
export function readNodes(values: Values, option: string): NodeConfig[] {
  return values.all(option).map((entry) => {
    const parsed = parseConnectAddress(entry.value);
    if (!parsed.ok) fail(entry, parsed.rule);
    return { spec: entry.value, address: parsed.address };
  });
}

/** A listen address option (`http-stats`, `http-subscription-server`), or undefined. */
export function readListenOption(values: Values, option: string) {
  const entry = values.last(option);
  if (entry === undefined) return undefined;
  const parsed = parseListenAddress(entry.value);
  if (!parsed.ok) fail(entry, parsed.rule);
  return parsed.address;
}
