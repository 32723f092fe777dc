/**
 * The options the installed uWSGI knows, with the plugins in use (`uwsgi --help`): keys
 * the edge does not know are passed to the workers, so each is checked against this list.
 * A typo gets a warning with the closest name (an error with `strict`, as in uWSGI).
 */
import { ConfigError, type Entry } from "../config/errors.ts";
import { closestName, suggestOption } from "../config/options.ts";
import type { Runtime } from "../runtime/types.ts";

/** uWSGI's option names ("socket", "stats", ...), read from its --help output. */
export async function uwsgiOptions(
  runtime: Runtime,
  uwsgi: string,
  plugins: string[],
): Promise<Set<string>> {
  const args = plugins.flatMap((p) => ["--plugin", p]);
  const child = runtime.spawn(uwsgi, [...args, "--help"]);
  let text = "";
  for await (const chunk of child.output) text += chunk;
  await child.status;
  const names = new Set<string>();
  for (const match of text.matchAll(/^\s+(?:-\w\|)?--([a-z0-9][\w-]*)/gm)) names.add(match[1]!);
  return names;
}

/**
 * Checks the keys neither the edge nor uWSGI knows: warnings (or a ConfigError with
 * `strict`). Returns the warnings.
 */
export function checkUnknown(
  unknown: readonly Entry[],
  known: ReadonlySet<string>,
  strict: boolean,
): string[] {
  const warnings: string[] = [];
  for (const entry of unknown) {
    if (known.has(entry.key)) continue;
    const hint = closestName(entry.key, known) ?? suggestOption(entry.key);
    const suggestion = hint ? `: did you mean "${hint}"?` : "";
    if (strict) {
      throw new ConfigError(
        `Unknown option "${entry.key}" (${entry.origin}), neither uwsgi-edge's nor uWSGI's (strict)${suggestion}`,
      );
    }
    warnings.push(
      `Unknown option "${entry.key}" (${entry.origin}) is neither uwsgi-edge's nor uWSGI's (uwsgi --help): the workers get it and will ignore it${suggestion}`,
    );
  }
  return warnings;
}
