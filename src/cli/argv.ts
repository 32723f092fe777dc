/** The command line -> option entries (same names as the ini keys). */
import { ConfigError, type Entry } from "../config/errors.ts";
import { findOption, type OptionSpec } from "../config/options.ts";

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
    if (arg.startsWith("-") && arg !== "-") i += readOption(arg, args[i + 1], entries);
    else entries.push(configFile(arg));
  }
  return entries;
}

/** A bare argument: a config file, or a mistake. */
function configFile(arg: string): Entry {
  if (CONFIG_EXTENSIONS.some((ext) => arg.endsWith(ext) || arg.includes(ext + ":"))) {
    return { key: "ini", value: arg, origin: ORIGIN };
  }
  throw new ConfigError(
    `Cannot use argument "${arg}" (command line) as it is not an option: options start with "--"`,
  );
}

/** Reads the option `arg` into `entries`; returns 1 when it took `next` as its value, else 0. */
function readOption(arg: string, next: string | undefined, entries: Entry[]): number {
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
  const inline = eq >= 0 ? body.slice(eq + 1) : undefined;
  const spec = findOption(name);
  if (spec !== undefined) return knownOption(spec, name, inline, next, entries);
  if (!long && SHORT_FLAGS[given] === undefined) {
    throw new ConfigError(`Unknown option "-${given}" (command line)`);
  }
  if (!OPTION_NAME.test(name)) {
    throw new ConfigError(
      `Cannot use argument "${arg}" (command line) as it is not an option name`,
    );
  }
  // an option of uWSGI's (checked against its own list later): a value unless a flag follows
  if (inline !== undefined) entries.push({ key: name, value: inline, origin: ORIGIN });
  else if (next !== undefined && !next.startsWith("-")) {
    entries.push({ key: name, value: next, origin: ORIGIN });
    return 1;
  } else entries.push({ key: name, value: "", origin: ORIGIN, bare: true });
  return 0;
}

/** An option of the table, `--name` or `-x` as `name`; returns 1 when it took `next`. */
function knownOption(
  spec: OptionSpec,
  name: string,
  inline: string | undefined,
  next: string | undefined,
  entries: Entry[],
): number {
  if (inline !== undefined) {
    entries.push({ key: spec.name, value: inline, origin: ORIGIN });
    return 0;
  }
  if (spec.kind === "switch-int" && next !== undefined && /^\d+$/.test(next)) {
    // `--http-keepalive 75` reads as a number, as people expect
    entries.push({ key: spec.name, value: next, origin: ORIGIN });
    return 1;
  }
  if (spec.kind === "bool" || spec.kind === "switch-int") {
    entries.push({ key: spec.name, value: "", origin: ORIGIN, bare: true });
    if (next !== undefined && !next.startsWith("-") && !next.endsWith(".ini")) {
      throw new ConfigError(
        `Cannot use argument "${next}" (command line) after "--${name}" as that option takes a value only as --${name}=VALUE`,
      );
    }
    return 0;
  }
  if (spec.owner === "app" && (next === undefined || next.startsWith("--"))) {
    // worker options may be flags (--enable-threads): uWSGI knows their arity, we do not
    entries.push({ key: spec.name, value: "", origin: ORIGIN, bare: true });
    return 0;
  }
  if (next === undefined) {
    throw new ConfigError(
      `Cannot use option "${spec.name}" (command line) as it needs a value: none was given`,
    );
  }
  entries.push({ key: spec.name, value: next, origin: ORIGIN });
  return 1;
}
