/**
 * The option table: one row per uWSGI option uwsgi-edge knows. It drives the CLI parser,
 * validation, `--help` and the README reference. Names keep uWSGI's spelling. The rows
 * live in options_*.ts, by section.
 */
import { BACKEND_OPTIONS } from "./options_backends.ts";
import { LISTEN_OPTIONS } from "./options_listen.ts";
import { META_OPTIONS } from "./options_meta.ts";
import { SERVE_OPTIONS } from "./options_serve.ts";

/**
 * How a value is read.
 * - `bool`: true/yes/on/1 or no value = true; false/no/off/0 = false.
 * - `int`: a non-negative integer.
 * - `switch-int`: an integer where true/yes/on/no value mean 1 and false/no/off mean 0
 *   (uWSGI reads `http-keepalive = true` as 0; we read it as on).
 * - `string`: the last occurrence wins.
 * - `list`: every occurrence is kept, in order.
 */
export type OptionKind = "bool" | "int" | "switch-int" | "string" | "list";

/**
 * Who acts on an option.
 * - `edge`: the proxy itself.
 * - `meta`: config loading and the command line (ini, set, help, ...).
 * - `app`: application/worker options: they start embedded mode and go to the workers.
 * - `accepted`: meaningful to uWSGI, harmless here, accepted and ignored (README says why).
 * - `ignored`: a uWSGI router option the edge does not implement: accepted with a warning
 *   saying why (never passed to the workers, where it would mean nothing).
 */
export type OptionOwner = "edge" | "meta" | "app" | "accepted" | "ignored";

/** One row of the table. */
export interface OptionSpec {
  name: string;
  aliases?: string[];
  kind: OptionKind;
  owner: OptionOwner;
  /** Argument shown in --help ("ADDR", "N"). */
  arg?: string;
  /** Default shown in --help. */
  default?: string;
  doc: string;
  /** Not implemented yet: using it is a config error naming the issue that brings it. */
  planned?: string;
}

/** Every option uwsgi-edge knows, in --help order. */
export const OPTIONS: readonly OptionSpec[] = [
  ...LISTEN_OPTIONS,
  ...BACKEND_OPTIONS,
  ...SERVE_OPTIONS,
  ...META_OPTIONS,
];

const BY_NAME = new Map<string, OptionSpec>();
for (const spec of OPTIONS) {
  BY_NAME.set(spec.name, spec);
  for (const alias of spec.aliases ?? []) BY_NAME.set(alias, spec);
}

/** The table row for a name or alias. */
export function findOption(name: string): OptionSpec | undefined {
  return BY_NAME.get(name);
}

/** The closest known option name, for "did you mean" hints (or undefined if none is close). */
export function suggestOption(name: string): string | undefined {
  return closestName(name, BY_NAME.keys());
}

/** The name of `names` closest to `name`, if it is close enough to be a typo of it. */
export function closestName(name: string, names: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of names) {
    if (candidate.length < 3) continue;
    const d = editDistance(name, candidate);
    if (d < bestDistance) {
      bestDistance = d;
      best = candidate;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row.push(Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost));
    }
    prev = row;
  }
  return prev[b.length]!;
}
