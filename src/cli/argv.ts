/** The command line -> option entries (same names as the ini keys). */
import { ConfigError, type Entry } from "../config/errors.ts";
import { findOption, suggestOption } from "../config/options.ts";

const ORIGIN = "command line";
const CONFIG_EXTENSIONS = [".ini"];

/**
 * Reads `--name value`, `--name=value`, `-x value` and bare `FILE.ini` arguments.
 * Options whose value is optional (booleans, switch-ints) only take one with `=`,
 * as in uWSGI's getopt table.
 */
export function parseArgv(args: readonly string[]): Entry[] {
  const entries: Entry[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith("-") || arg === "-") {
      if (CONFIG_EXTENSIONS.some((ext) => arg.endsWith(ext) || arg.includes(ext + ":"))) {
        entries.push({ key: "ini", value: arg, origin: ORIGIN });
        continue;
      }
      throw new ConfigError(
        `Cannot use argument "${arg}" (command line) as it is not an option: options start with "--"`,
      );
    }
    const long = arg.startsWith("--");
    const body = arg.slice(long ? 2 : 1);
    const eq = body.indexOf("=");
    const name = eq >= 0 ? body.slice(0, eq) : body;
    const spec = findOption(name);
    if (spec === undefined || (!long && name.length !== 1) || (long && name.length === 1)) {
      const hint = suggestOption(name);
      throw new ConfigError(
        `Unknown option "${name}" (command line)` + (hint ? `: did you mean "${hint}"?` : ""),
      );
    }
    if (eq >= 0) {
      entries.push({ key: spec.name, value: body.slice(eq + 1), origin: ORIGIN });
      continue;
    }
    const next = args[i + 1];
    if (spec.kind === "switch-int" && next !== undefined && /^\d+$/.test(next)) {
      // `--http-keepalive 75` reads as a number, as people expect
      entries.push({ key: spec.name, value: next, origin: ORIGIN });
      i++;
      continue;
    }
    if (spec.kind === "bool" || spec.kind === "switch-int") {
      entries.push({ key: spec.name, value: "", origin: ORIGIN, bare: true });
      if (next !== undefined && !next.startsWith("-") && !next.endsWith(".ini")) {
        throw new ConfigError(
          `Cannot use argument "${next}" (command line) after "--${name}" as that option takes a value only as --${name}=VALUE`,
        );
      }
      continue;
    }
    if (spec.owner === "app" && (next === undefined || next.startsWith("--"))) {
      // worker options may be flags (--enable-threads): uWSGI knows their arity, we do not
      entries.push({ key: spec.name, value: "", origin: ORIGIN, bare: true });
      continue;
    }
    const value = next;
    if (value === undefined) {
      throw new ConfigError(
        `Cannot use option "${spec.name}" (command line) as it needs a value: none was given`,
      );
    }
    i++;
    entries.push({ key: spec.name, value, origin: ORIGIN });
  }
  return entries;
}
