/** The command line -> option entries (same names as the ini keys). */
import { ConfigError, type Entry } from "../config/errors.ts";
import { findOption } from "../config/options.ts";

const ORIGIN = "command line";
const CONFIG_EXTENSIONS = [".ini"];

/** uWSGI's one-letter flags (`uwsgi --help`: "-w|--module"), so its command lines work here. */
const SHORT_FLAGS: Record<string, string> = {
  s: "socket",
  p: "processes",
  t: "harakiri",
  S: "set",
  d: "daemonize",
  l: "listen",
  v: "max-vars",
  b: "buffer-size",
  m: "memory-report",
  c: "cgi-mode",
  a: "abstract-socket",
  C: "chmod-socket",
  T: "enable-threads",
  i: "single-interpreter",
  M: "master",
  h: "help",
  r: "reaper",
  R: "max-requests",
  z: "socket-timeout",
  A: "sharedarea",
  Q: "spooler",
  L: "disable-logging",
  w: "module",
  J: "test",
  H: "home",
  O: "optimize",
};

/** A name uWSGI could know: options unknown here go to the workers (embedded mode). */
const OPTION_NAME = /^[a-z0-9][a-z0-9_-]*$/i;

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
    const given = eq >= 0 ? body.slice(0, eq) : body;
    if (!long && given.length !== 1) {
      throw new ConfigError(
        `Cannot use argument "${arg}" (command line) as one-letter options take one letter: write --${given}`,
      );
    }
    const name = long ? given : SHORT_FLAGS[given] ?? given;
    const spec = findOption(name);
    if (spec === undefined) {
      if (!long && SHORT_FLAGS[given] === undefined) {
        throw new ConfigError(`Unknown option "-${given}" (command line)`);
      }
      if (!OPTION_NAME.test(name)) {
        throw new ConfigError(
          `Cannot use argument "${arg}" (command line) as it is not an option name`,
        );
      }
      // an option of uWSGI's (checked against its own list later): a value unless a flag follows
      const next = args[i + 1];
      if (eq >= 0) entries.push({ key: name, value: body.slice(eq + 1), origin: ORIGIN });
      else if (next !== undefined && !next.startsWith("-")) {
        entries.push({ key: name, value: next, origin: ORIGIN });
        i++;
      } else entries.push({ key: name, value: "", origin: ORIGIN, bare: true });
      continue;
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
