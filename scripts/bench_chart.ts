/**
 * Draws the README's performance chart from `../shared/bench/run` output: req/s per scenario
 * for the edge (the candidate), nginx uwsgi_pass and uWSGI's router, as grouped bars.
 *
 *   deno run --allow-read --allow-write --allow-run scripts/bench_chart.ts bench.txt docs/bench.svg [TITLE]
 */

interface Row {
  scenario: string;
  variant: string;
  rps: number;
}

const SERIES = [
  { variant: "candidate", label: "uwsgi-edge", color: "#2b7bb9" },
  { variant: "nginx", label: "nginx uwsgi_pass", color: "#4a9a4a" },
  { variant: "uwsgi", label: "uWSGI router", color: "#d08a2c" },
];

/** The table rows: `scenario variant req/s p50 p99 cpu errors closes`. */
export function parseBench(text: string): Row[] {
  const rows: Row[] = [];
  for (const line of text.split("\n")) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 3 || line.startsWith("#") || fields[0] === "ratio") continue;
    const rps = Number(fields[2]);
    if (!Number.isFinite(rps) || fields[2] === "") continue;
    rows.push({ scenario: fields[0]!, variant: fields[1]!, rps });
  }
  return rows;
}

function escape(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

/** A grouped bar chart, one group per scenario, bars labelled with their req/s. */
export function chartSvg(rows: readonly Row[], title: string): string {
  const scenarios = [...new Set(rows.map((r) => r.scenario))];
  const value = (s: string, v: string) => rows.find((r) => r.scenario === s && r.variant === v);
  const top = Math.max(
    ...rows.filter((r) => SERIES.some((s) => s.variant === r.variant))
      .map((r) => r.rps),
  );
  const bar = 34, gap = 30, left = 60, base = 300, height = 230;
  const group = SERIES.length * bar + gap;
  const width = left + scenarios.length * group + 20;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="370" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${left}" y="22" font-size="14" font-weight="bold">${escape(title)}</text>`,
    `<line x1="${left}" y1="${base}" x2="${width - 10}" y2="${base}" stroke="#333"/>`,
    `<text x="12" y="${base - height}" fill="#555">req/s</text>`,
  ];
  scenarios.forEach((scenario, g) => {
    const x0 = left + g * group + gap / 2;
    SERIES.forEach((series, i) => {
      const row = value(scenario, series.variant);
      if (row === undefined) return;
      const h = Math.max(1, Math.round((row.rps / top) * height));
      const x = x0 + i * bar;
      out.push(
        `<rect x="${x}" y="${base - h}" width="${bar - 4}" height="${h}" fill="${series.color}"/>`,
        `<text x="${x + (bar - 4) / 2}" y="${base - h - 4}" text-anchor="middle">${
          Math.round(row.rps)
        }</text>`,
      );
    });
    out.push(
      `<text x="${x0 + (SERIES.length * bar) / 2}" y="${
        base + 18
      }" text-anchor="middle" font-size="13">${escape(scenario)}</text>`,
    );
  });
  SERIES.forEach((series, i) => {
    const x = left + i * 150;
    out.push(
      `<rect x="${x}" y="340" width="12" height="12" fill="${series.color}"/>`,
      `<text x="${x + 18}" y="350">${escape(series.label)}</text>`,
    );
  });
  out.push("</svg>");
  return out.join("\n") + "\n";
}

if (import.meta.main) {
  const [input, output, title] = Deno.args;
  if (input === undefined || output === undefined) {
    console.error("usage: bench_chart.ts BENCH_OUTPUT.txt CHART.svg [TITLE]");
    Deno.exit(2);
  }
  const rows = parseBench(Deno.readTextFileSync(input));
  if (rows.length === 0) {
    console.error(`bench_chart: no result rows in ${input}`);
    Deno.exit(1);
  }
  Deno.writeTextFileSync(output, chartSvg(rows, title ?? "requests/s (higher is better)"));
  // laid out as `deno fmt` wants it, so that the CI's format check passes on a redrawn chart
  const fmt = new Deno.Command(Deno.execPath(), { args: ["fmt", "--quiet", output] }).outputSync();
  if (!fmt.success) console.error(`bench_chart: deno fmt ${output} failed`);
}
