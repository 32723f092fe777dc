/** `--help` text, generated from the option table. */
import { OPTIONS, type OptionSpec } from "../config/options.ts";
import { VERSION } from "../version.ts";

function usage(spec: OptionSpec): string {
  const names = [spec.name, ...(spec.aliases ?? [])].map((
    n,
  ) => (n.length === 1 ? `-${n}` : `--${n}`));
  return names.join(", ") + (spec.arg ? ` ${spec.arg}` : "");
}

/** The help text. */
export function helpText(): string {
  const rows = OPTIONS.filter((spec) => spec.owner !== "app" && !spec.planned).map((spec) => {
    const dflt = spec.default ? ` (default: ${spec.default})` : "";
    return [usage(spec), spec.doc + dflt] as const;
  });
  const width = Math.min(40, Math.max(...rows.map(([u]) => u.length)) + 2);
  const lines = rows.map((
    [u, d],
  ) => (u.length + 2 > width ? `  ${u}\n  ${"".padEnd(width)}${d}` : `  ${u.padEnd(width)}${d}`));
  const planned = OPTIONS.filter((spec) => spec.planned && spec.owner !== "app").map((s) => s.name);
  return [
    `uwsgi-edge ${VERSION}: an HTTP edge proxy for uwsgi-protocol backends`,
    "",
    "usage: uwsgi-edge --config app.ini",
    "       uwsgi-edge --http :8080 --http-to /tmp/app.sock [--http-to 127.0.0.1:3031 ...]",
    "       uwsgi-edge --http :8080 --wsgi-file app.py --master --processes 4 [uWSGI options]",
    "       uwsgi-edge app.ini | --ini app.ini[:section]",
    "",
    "Embedded mode: application options (module, wsgi-file, processes, threads, -w, -M, ...",
    "any uWSGI option) make the edge start uWSGI workers with them on a private socket;",
    "options that contradict the edge owning HTTP are dropped with a warning.",
    "",
    "Every option is also an ini key ([uwsgi] section) and a UWSGI_<NAME> environment",
    "variable. Repeat list options to add values; the last value of the others wins.",
    "",
    "options:",
    ...lines,
    "",
    `not available yet: ${planned.join(", ")}`,
    "exit codes: 0 stopped cleanly, 1 runtime failure (e.g. cannot listen), 2 configuration error",
    "",
  ].join("\n");
}

/** The README's option reference, as a Markdown table (a test keeps README in sync). */
export function optionTableMarkdown(): string {
  const rows = OPTIONS.filter((spec) => spec.owner !== "app").map((spec) => {
    const names = [spec.name, ...(spec.aliases ?? [])].map((n) => "`" + n + "`").join(", ");
    const status = spec.planned
      ? ` **Not available yet:** ${spec.planned}.`
      : spec.owner === "accepted"
      ? " Accepted, no effect."
      : "";
    return `| ${names} | ${spec.arg ?? ""} | ${spec.default ?? ""} | ${spec.doc}.${status} |`;
  });
  return ["| option | value | default | meaning |", "|---|---|---|---|", ...rows].join("\n");
}
