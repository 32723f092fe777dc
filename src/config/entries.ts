/**
 * The entries as given -> expanded values by option, the workers' entries (embedded mode)
 * and the keys the edge does not know (uWSGI placeholders, or the workers' options).
 */
import type { Entry } from "./errors.ts";
import { findOption } from "./options.ts";
import { expandValue } from "./placeholders.ts";
import { fail, Values } from "./values.ts";

/** Edge options the workers need as well. */
const WORKER_SHARED = new Set(["plugin", "buffer-size", "listen"]);

/** Where values come from: the environment and files (`$(ENV)`, `@(file)`). */
export interface Scope {
  env: Record<string, string>;
  readFile: (path: string) => string;
}

/** The entries, sorted out. */
export interface ReadEntries {
  /** The edge's options, expanded. */
  values: Values;
  /** Application options and unknown keys, expanded, in order (the workers' ini). */
  appEntries: Entry[];
  /** Keys the edge does not know, as given. */
  unknown: Entry[];
  /** Placeholder names some value used. */
  referenced: Set<string>;
  /** Expands a `--get NAME` value. */
  get: (name: string) => string;
}

/** Expands every value (placeholders: unknown keys and `set NAME=VALUE`) and sorts them. */
export function readEntries(entries: readonly Entry[], scope: Scope): ReadEntries {
  const firstValue = new Map<string, string>();
  const unknown: Entry[] = [];
  for (const entry of entries) {
    const spec = findOption(entry.key);
    if (spec?.name === "set") {
      const eq = entry.value.indexOf("=");
      if (eq < 0) fail(entry, "it must be NAME=VALUE");
      const name = entry.value.slice(0, eq);
      if (!firstValue.has(name)) firstValue.set(name, entry.value.slice(eq + 1));
      continue;
    }
    if (spec === undefined) unknown.push(entry);
    const key = spec?.name ?? entry.key;
    if (!firstValue.has(key)) firstValue.set(key, entry.value);
  }
  const referenced = new Set<string>();
  const lookupScope = {
    env: scope.env,
    readFile: scope.readFile,
    lookup: (name: string) => {
      referenced.add(name);
      return firstValue.get(name);
    },
  };
  const expand = (entry: Entry): string => {
    try {
      return expandValue(entry.value, lookupScope);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      return fail(entry, `a file named by @() cannot be read (${why})`);
    }
  };

  const values = new Values();
  const appEntries: Entry[] = [];
  for (const entry of entries) {
    const spec = findOption(entry.key);
    if (spec?.name === "set") continue;
    if (spec === undefined || spec.owner === "app" || WORKER_SHARED.has(spec.name)) {
      appEntries.push({ ...entry, key: spec?.name ?? entry.key, value: expand(entry) });
    }
    if (spec !== undefined) values.add({ ...entry, key: spec.name, value: expand(entry) });
  }
  const get = (name: string) => expandValue(firstValue.get(name) ?? "", lookupScope);
  return { values, appEntries, unknown, referenced, get };
}
