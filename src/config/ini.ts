/**
 * The uWSGI ini dialect: magic variables substituted on the raw text, then lines split
 * into entries of the requested section (every repeated key kept, in order).
 */
import { basename, dirname } from "./paths.ts";
import type { Entry } from "./errors.ts";

/** What the magic variables of one file expand to. */
export interface MagicContext {
  /** Absolute path of the file. */
  path: string;
  /** The file name as given, without ":section". */
  asGiven: string;
  /** The section given explicitly with file:section ("" otherwise). */
  section: string;
  hostname: string;
  cpuCount: number;
  cwd: string;
  /** Seconds since the epoch at startup. */
  now: number;
  version: string;
  /** The first (non-template) config file, for the upper-case variables. */
  first?: MagicContext | undefined;
}

/** The magic variables of §7.3 for one file: letter -> value. */
export function magicTable(ctx: MagicContext): Map<string, string> {
  const dir = dirname(ctx.path);
  const name = basename(ctx.path);
  const dot = name.lastIndexOf(".");
  const table = new Map<string, string>([
    ["p", ctx.path],
    ["d", dir === "/" ? "/" : dir + "/"],
    ["s", name],
    ["n", dot > 0 ? name.slice(0, dot) : name],
    ["e", dot > 0 ? name.slice(dot + 1) : ""],
    ["c", basename(dir)],
    ["x", ctx.section],
    ["o", ctx.asGiven],
    ["h", ctx.hostname],
    ["k", String(ctx.cpuCount)],
    ["v", ctx.cwd],
    ["t", String(ctx.now)],
    ["T", String(ctx.now * 1_000_000)],
    ["V", ctx.version],
    ["[", "\x1b"],
  ]);
  dir.split("/").filter((part) => part !== "").slice(0, 10).forEach((part, i) => {
    table.set(String(i), part);
  });
  const upper = ctx.first === undefined ? table : magicTable({ ...ctx.first, first: undefined });
  for (const letter of "pdsnecxo") table.set(letter.toUpperCase(), upper.get(letter) ?? "");
  return table;
}

/** The result of reading one ini file. */
export interface IniResult {
  entries: Entry[];
  /** Human-readable notes about lossy magic variables (unknown `%X`, trailing `%`). */
  warnings: string[];
  /** True when at least one `[section]` header named the requested section. */
  sectionFound: boolean;
}

/**
 * Substitutes magic variables on raw text exactly as uWSGI does: unknown `%X` becomes
 * nothing, `%` at the end of a line joins it with the next, `%(` is kept for placeholders.
 */
export function substituteMagic(
  text: string,
  table: Map<string, string>,
  file: string,
): { text: string; warnings: string[] } {
  if (!text.includes("%")) return { text, warnings: [] };
  const warnings: string[] = [];
  let out = "";
  let line = 1;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === "\n") line++;
    if (ch !== "%") {
      out += ch;
      continue;
    }
    const next = text[i + 1];
    if (next === undefined) break;
    if (next === "(") {
      out += "%";
      continue;
    }
    i++;
    if (next === "%") {
      out += "%";
    } else if (table.has(next)) {
      out += table.get(next);
    } else if (next === "\n" || next === "\r") {
      warnings.push(`${file}:${line}: "%" at the end of a line joins the next line to it`);
      line++;
      if (next === "\r" && text[i + 1] === "\n") i++;
    } else {
      warnings.push(`${file}:${line}: unknown magic variable "%${next}" was replaced by nothing`);
    }
  }
  return { text: out, warnings };
}

/** Splits (already substituted) ini text into the entries of `section`. */
export function parseIni(text: string, file: string, section: string): IniResult {
  const entries: Entry[] = [];
  let current = "uwsgi";
  let sectionFound = false;
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/^[ \t\r]+|[ \t\r]+$/g, "");
    if (line === "" || line.startsWith(";") || line.startsWith("#")) continue;
    if (line.startsWith("[")) {
      // uWSGI drops the last character whatever it is
      current = line.slice(1, -1);
      if (current === section) sectionFound = true;
      continue;
    }
    if (current !== section) continue;
    const origin = `${file}:${i + 1}`;
    const eq = line.indexOf("=");
    if (eq < 0) {
      entries.push({ key: line, value: "", origin, bare: true });
    } else {
      const key = line.slice(0, eq).trim();
      const value = line.slice(eq + 1).trim();
      entries.push({ key, value, origin });
    }
  }
  return { entries, warnings: [], sectionFound };
}
