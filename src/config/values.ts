/** Option entries by name, and the readers of their values (errors name option and place). */
import { ConfigError, type Entry } from "./errors.ts";
import type { OptionSpec } from "./options.ts";

/** Expanded option values by name, with their origins. */
export class Values {
  readonly #map = new Map<string, Entry[]>();

  add(entry: Entry): void {
    const list = this.#map.get(entry.key);
    if (list) list.push(entry);
    else this.#map.set(entry.key, [entry]);
  }

  all(name: string): Entry[] {
    return this.#map.get(name) ?? [];
  }

  last(name: string): Entry | undefined {
    const list = this.#map.get(name);
    return list?.[list.length - 1];
  }
}

/** Throws the config error naming the entry, its place and value. */
export function fail(entry: Entry, rule: string): never {
  throw new ConfigError(
    `Cannot use option "${entry.key}" (${entry.origin}) as ${rule}: current value is "${entry.value}"`,
  );
}

const TRUE_WORDS = new Set(["", "1", "true", "yes", "on", "y"]);
const FALSE_WORDS = new Set(["0", "false", "no", "off", "n"]);

/** A boolean as uWSGI reads it. */
export function readBool(entry: Entry): boolean {
  const word = entry.value.trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  return fail(entry, "it must be true/yes/on/1 or false/no/off/0");
}

/** A non-negative integer (switch-ints also take booleans). */
export function readInt(entry: Entry, spec: OptionSpec): number {
  // uWSGI reads the leading number: "4 ; four workers" is 4 (ini has no inline comments)
  const text = entry.value.trim().replace(/^(\d+)\s+[;#].*$/, "$1");
  if (spec.kind === "switch-int") {
    const word = text.toLowerCase();
    if (TRUE_WORDS.has(word) && !/^\d+$/.test(word)) return 1;
    if (FALSE_WORDS.has(word) && !/^\d+$/.test(word)) return 0;
  }
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    return fail(entry, "it must be a non-negative integer");
  }
  return Number(text);
}
