import assert from "node:assert/strict";
import { optionTableMarkdown } from "../../src/cli/help.ts";

const README = Deno.readTextFileSync(new URL("../../README.md", import.meta.url));

/** Table cells, so that deno fmt's column alignment does not matter. */
function cells(table: string): string[][] {
  return table.trim().split("\n").map((row) =>
    row.split("|").map((cell) => cell.trim().replace(/^-+$/, "-"))
  );
}

Deno.test("README's option reference is the one generated from the option table", () => {
  const start = README.indexOf("<!-- options:begin -->");
  const end = README.indexOf("<!-- options:end -->");
  assert.ok(start >= 0 && end > start, "README has the options markers");
  const block = README.slice(start + "<!-- options:begin -->".length, end);
  assert.deepEqual(
    cells(block),
    cells(optionTableMarkdown()),
    "run: deno task readme-options",
  );
});

Deno.test("README names the test command that .ci/run runs", () => {
  const ci = Deno.readTextFileSync(new URL("../../.ci/run", import.meta.url));
  assert.match(ci, /scripts\/test/);
  assert.match(README, /^scripts\/test$/m);
});
