/**
 * Embedded mode: the options that belong to the application's uWSGI workers, and the
 * private ini that starts them behind the edge. The edge owns HTTP and the socket the
 * workers serve on: options that would contradict it are dropped, each with a warning.
 */
import type { Entry } from "../config/errors.ts";
import { ConfigError } from "../config/errors.ts";

/** Plugins the edge replaces: never loaded in the workers. */
const ROUTER_PLUGINS = new Set(["http", "corerouter"]);

/** Worker options the edge decides itself, and why each is dropped. */
const DROPPED: Record<string, string> = {
  socket: "the workers serve the edge on its private socket",
  "uwsgi-socket": "the workers serve the edge on its private socket",
  "suwsgi-socket": "the workers serve the edge on its private socket",
  "ssl-socket": "the workers serve the edge on its private socket",
  "https-socket": "the edge terminates TLS (https)",
  "fastcgi-socket": "the workers speak uwsgi to the edge",
  "scgi-socket": "the workers speak uwsgi to the edge",
  protocol: "the workers speak uwsgi to the edge",
  "shared-socket": "the edge binds its own listeners",
  "http-socket-modifier1": "the edge sets modifiers (http-modifier1)",
  "http-socket-modifier2": "the edge sets modifiers (http-modifier2)",
  "chmod-socket": "the private socket is made for the workers' user by the edge",
  "chown-socket": "the private socket is made for the workers' user by the edge",
  vacuum: "the edge removes its runtime directory itself",
  daemonize2: "the edge supervises the workers: they must stay in the foreground",
};

/** Values as written in an ini uWSGI reads: `%` is its magic-variable sigil. */
function iniValue(entry: Entry): string {
  if (/[\r\n]/.test(entry.value)) {
    throw new ConfigError(
      `Cannot use option "${entry.key}" (${entry.origin}) as a worker option cannot span lines: current value is "${entry.value}"`,
    );
  }
  return entry.value.replaceAll("%", "%%");
}

/** The workers' ini and what was dropped from it. */
export function workerIni(
  entries: readonly Entry[],
  socketPath: string,
): { text: string; warnings: string[] } {
  const warnings: string[] = [];
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
    const why = DROPPED[entry.key];
    if (why !== undefined) {
      warnings.push(`Dropping option "${entry.key}" (${entry.origin}) from the workers: ${why}`);
      continue;
    }
    if (entry.key === "daemonize") {
      // a daemon cannot be supervised: its log file is kept, the fork is not
      warnings.push(
        `Dropping option "daemonize" (${entry.origin}): the edge supervises the workers in the foreground; their log goes to ${entry.value} (logto)`,
      );
      lines.push(`logto = ${iniValue(entry)}`);
      continue;
    }
    lines.push(`${entry.key} = ${iniValue(entry)}`);
  }
  // Debian's uwsgi-core has no built-in language plugin
  if (plugins === 0) lines.splice(2, 0, "plugins = python3");
  return { text: lines.join("\n") + "\n", warnings };
}
