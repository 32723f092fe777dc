/** Entries -> a validated `Config`, the workers' entries (embedded mode) and warnings. */
import { buildConfig } from "./build.ts";
import type { Config, Loaded } from "./config_types.ts";
import { readEntries, type Scope } from "./entries.ts";
import { ConfigError, type Entry } from "./errors.ts";
import { findOption, suggestOption } from "./options.ts";
import { fail, readBool, readInt, type Values } from "./values.ts";

export type { Config, ListenerConfig, Loaded, NodeConfig } from "./config_types.ts";

/** Validates every entry and builds the config. */
export function loadConfig(entries: Entry[], scope: Scope): Loaded {
  const warnings: string[] = [];
  const { values, appEntries, unknown, referenced, get } = readEntries(entries, scope);
  const embedded = wantsWorkers(appEntries, warnings);
  const strict = values.all("strict").some(readBool);
  if (!embedded) checkPlaceholders(unknown, referenced, strict, warnings);
  checkUnsupported(entries, warnings);
  validateEvery(entries, values);
  const config = buildConfig(values, scope.readFile, warnings);
  checkTogether(config, values, embedded, warnings);
  return {
    config,
    warnings,
    gets: values.all("get").map((entry) => get(entry.value)),
    help: last(values, "help"),
    version: last(values, "version"),
    embedded,
    appEntries: embedded ? appEntries : [],
    unknown,
    strict,
  };
}

/** A boolean option's winning value (false when absent). */
function last(values: Values, name: string): boolean {
  const entry = values.last(name);
  return entry !== undefined && readBool(entry);
}

/**
 * Application options mean embedded mode, except `processes = 0` (uWSGI's "router only"
 * idiom beside http-to): then there are no workers at all.
 */
function wantsWorkers(appEntries: readonly Entry[], warnings: string[]): boolean {
  const appOptions = appEntries.filter((entry) => findOption(entry.key)?.owner === "app");
  const workers = appEntries.filter((e) => e.key === "processes" || e.key === "workers").at(-1);
  if (workers === undefined || parseInt(workers.value, 10) !== 0) return appOptions.length > 0;
  const others = [...new Set(appOptions.map((e) => e.key))].filter((k) =>
    k !== "processes" && k !== "workers"
  );
  warnings.push(
    `Option "${workers.key} = 0" (${workers.origin}): no workers, the edge is a router only` +
      (others.length > 0 ? `; ignoring the application options ${others.join(", ")}` : ""),
  );
  return false;
}

/** Without workers, unknown keys are uWSGI placeholders: unused ones get a warning. */
function checkPlaceholders(
  unknown: readonly Entry[],
  referenced: ReadonlySet<string>,
  strict: boolean,
  warnings: string[],
): void {
  for (const entry of unknown) {
    const hint = suggestOption(entry.key);
    const suggestion = hint ? `: did you mean "${hint}"?` : "";
    // uWSGI refuses unknown flags; with no workers to hand them to, so does the edge
    if (strict || entry.origin === "command line") {
      throw new ConfigError(`Unknown option "${entry.key}" (${entry.origin})${suggestion}`);
    }
    if (!referenced.has(entry.key)) {
      warnings.push(
        `Unknown option "${entry.key}" (${entry.origin}) is kept as a placeholder but nothing uses it${suggestion}`,
      );
    }
  }
}

/** uWSGI router options the edge ignores (a warning) or does not have yet (an error). */
function checkUnsupported(entries: readonly Entry[], warnings: string[]): void {
  for (const entry of entries) {
    const spec = findOption(entry.key);
    if (spec?.owner === "ignored") {
      warnings.push(
        `Ignoring option "${spec.name}" (${entry.origin}): ${spec.doc.replace(/^[^:]*: /, "")}`,
      );
    }
    if (spec?.planned) {
      throw new ConfigError(
        `Cannot use option "${spec.name}" (${entry.origin}) as ${spec.planned} is not available in this version of uwsgi-edge: current value is "${entry.value}"`,
      );
    }
  }
}

/** Every occurrence of a scalar option is checked, not just the one that wins. */
function validateEvery(entries: readonly Entry[], values: Values): void {
  for (const spec of new Set(entries.map((e) => findOption(e.key)))) {
    if (!spec) continue;
    for (const entry of values.all(spec.name)) {
      if (spec.kind === "bool") readBool(entry);
      if (spec.kind === "int" || spec.kind === "switch-int") readInt(entry, spec);
    }
  }
}

/** Options that cannot go together. */
function checkTogether(config: Config, values: Values, embedded: boolean, warnings: string[]) {
  const engine = values.last("http-engine");
  if (engine && engine.value !== "native") {
    warnings.push(
      `Ignoring option "http-engine" (${engine.origin}): one event-driven engine serves every listener now: current value is "${engine.value}"`,
    );
  }
  const processes = values.last("http-processes");
  const unix = config.listeners.find((l) => l.address.transport === "unix");
  if (processes && config.processes > 1 && unix) {
    fail(processes, `unix listeners (${unix.spec}) cannot be shared by several processes`);
  }
  if (embedded && config.nodes.length > 0) {
    fail(
      values.all("http-to")[0]!,
      "the edge runs the application's workers itself (embedded mode): drop http-to, or the application options",
    );
  }
}
