/**
 * Gathers every option entry in uWSGI's order: `UWSGI_*` environment options first, then
 * the command line with each `ini` / `config` / `include` file expanded in place.
 */
import { ConfigError, type Entry } from "./errors.ts";
import { type MagicContext, magicTable, parseIni, substituteMagic } from "./ini.ts";
import { resolvePath } from "./paths.ts";

/** The outside world config loading may look at (injected, never global). */
export interface SourceContext {
  readFile: (path: string) => string;
  env: Record<string, string>;
  cwd: string;
  hostname: string;
  cpuCount: number;
  /** Seconds since the epoch. */
  now: number;
  version: string;
}

/** uWSGI's internal variables that are not options. */
const INTERNAL_ENV = new Set([
  "UWSGI_RELOADS",
  "UWSGI_VASSALS_DIR",
  "UWSGI_EMPEROR_FD",
  "UWSGI_EMPEROR_FD_CONFIG",
  "UWSGI_BROODLORD_NUM",
  "UWSGI_EMPEROR_PROXY",
  "UWSGI_JAIL_PID",
  "UWSGI_ORIGINAL_PROC_NAME",
]);

const INCLUDE_KEYS = new Set(["ini", "include", "config"]);
const MAX_INCLUDE_DEPTH = 16;

/** The entries with includes expanded, plus warnings worth logging. */
export interface Sources {
  entries: Entry[];
  warnings: string[];
}

/** `UWSGI_FOO_BAR=v` -> entry `foo-bar = v`. */
export function environmentEntries(env: Record<string, string>): Entry[] {
  const entries: Entry[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith("UWSGI_") || INTERNAL_ENV.has(name) || name.length === 6) continue;
    const key = name.slice(6).toLowerCase().replaceAll("_", "-");
    entries.push({ key, value, origin: `environment ${name}` });
  }
  return entries;
}

/** Expands every include entry of `input` (env + CLI entries) in place. */
export function expandIncludes(input: Entry[], ctx: SourceContext): Sources {
  const warnings: string[] = [];
  let first: MagicContext | undefined;
  let lastFile: string | undefined;

  const expand = (entries: Entry[], depth: number): Entry[] => {
    const out: Entry[] = [];
    for (const entry of entries) {
      if (!INCLUDE_KEYS.has(entry.key)) {
        out.push(entry);
        continue;
      }
      if (depth >= MAX_INCLUDE_DEPTH) {
        throw new ConfigError(
          `Cannot use option "${entry.key}" (${entry.origin}) as includes nest deeper than ${MAX_INCLUDE_DEPTH}: current value is "${entry.value}"`,
        );
      }
      const { file, section, explicit } = splitSection(entry.value, lastFile);
      if (entry.key === "config" && !file.endsWith(".ini")) {
        throw new ConfigError(
          `Cannot use option "config" (${entry.origin}) as only .ini files are supported: current value is "${entry.value}"`,
        );
      }
      const path = resolvePath(ctx.cwd, file);
      let text: string;
      try {
        text = ctx.readFile(path);
      } catch (error) {
        const why = error instanceof Error ? error.message : String(error);
        throw new ConfigError(
          `Cannot use option "${entry.key}" (${entry.origin}) as the file cannot be read (${why}): current value is "${entry.value}"`,
        );
      }
      lastFile = file;
      const magic: MagicContext = {
        path,
        asGiven: file,
        section: explicit ? section : "",
        hostname: ctx.hostname,
        cpuCount: ctx.cpuCount,
        cwd: ctx.cwd,
        now: ctx.now,
        version: ctx.version,
        first,
      };
      first ??= magic;
      const substituted = substituteMagic(text, magicTable(magic), file);
      warnings.push(...substituted.warnings);
      const parsed = parseIni(substituted.text, file, section);
      if (!parsed.sectionFound) {
        warnings.push(`Cannot find section [${section}] in ${file}: nothing read from it`);
      }
      out.push(...expand(parsed.entries, depth + 1));
    }
    return out;
  };

  return { entries: expand(input, 0), warnings };
}

/** `file:section`, `file` (section uwsgi) or `:section` (the last file loaded). */
function splitSection(
  value: string,
  lastFile: string | undefined,
): { file: string; section: string; explicit: boolean } {
  const colon = value.lastIndexOf(":");
  if (colon < 0) return { file: value, section: "uwsgi", explicit: false };
  const file = value.slice(0, colon) || lastFile || "";
  const section = value.slice(colon + 1);
  return { file, section: section || "uwsgi", explicit: section !== "" };
}
