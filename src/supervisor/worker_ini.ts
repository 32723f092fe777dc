/**
 * Embedded mode: the options that belong to the application's uWSGI workers, and the
 * private ini that starts them behind the edge.
 */
import type { Entry } from "../config/errors.ts";
import { ConfigError } from "../config/errors.ts";

/** Plugins the edge replaces: never loaded in the workers. */
const ROUTER_PLUGINS = new Set(["http", "corerouter"]);

/** Values as written in an ini uWSGI reads: `%` is its magic-variable sigil. */
function iniValue(entry: Entry): string {
  if (/[\r\n]/.test(entry.value)) {
    throw new ConfigError(
      `Cannot use option "${entry.key}" (${entry.origin}) as a worker option cannot span lines: current value is "${entry.value}"`,
    );
  }
  return entry.value.replaceAll("%", "%%");
}

/** The workers' ini: their options, the private socket, and what the edge needs of them. */
export function workerIni(entries: readonly Entry[], socketPath: string): string {
  const lines = [
    "; written by uwsgi-edge for its workers; edits are lost on restart",
    "[uwsgi]",
    `socket = ${socketPath}`,
    "master = true",
    "die-on-term = true",
    // workers leave when their master does (it dies with the edge: setpriv --pdeathsig)
    "no-orphans = true",
    "need-app = true",
    // the edge logs every request (naming the node); the workers would log each twice
    "disable-logging = true",
  ];

  let plugins = 0;
  for (const entry of entries) {
    if (entry.key === "plugin" || entry.key === "plugins") {
      const names = entry.value.split(",").map((n) => n.trim()).filter((n) =>
        n !== "" && !ROUTER_PLUGINS.has(n)
      );
      if (names.length > 0) {
        lines.push(`plugins = ${names.join(",")}`);
        plugins++;
      }
      continue;
    }
    lines.push(`${entry.key} = ${iniValue(entry)}`);
  }
  // Debian's uwsgi-core has no built-in language plugin
  if (plugins === 0) lines.splice(2, 0, "plugins = python3");
  return lines.join("\n") + "\n";
}
