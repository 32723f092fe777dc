import { main } from "./src/cli/main.ts";
import { denoRuntime } from "./src/runtime/deno.ts";

if (import.meta.main) Deno.exit(await main(Deno.args, denoRuntime));
