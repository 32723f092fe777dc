// Rewrites README.md's option reference from the option table (deno task readme-options).
import { optionTableMarkdown } from "../src/cli/help.ts";

const path = new URL("../README.md", import.meta.url);
const readme = Deno.readTextFileSync(path);
const begin = "<!-- options:begin -->";
const end = "<!-- options:end -->";
const start = readme.indexOf(begin);
const stop = readme.indexOf(end);
if (start < 0 || stop < start) throw new Error("README.md lacks the options markers");
Deno.writeTextFileSync(
  path,
  readme.slice(0, start + begin.length) + "\n" + optionTableMarkdown() + "\n" + readme.slice(stop),
);
