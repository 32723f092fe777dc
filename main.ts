import { main } from "./src/cli/main.ts";
import { denoRuntime as runtime } from "./src/runtime/deno.ts";

if (import.meta.main) runtime.exit(await main(runtime.args(), runtime));
