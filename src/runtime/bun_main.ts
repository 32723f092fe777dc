// Entry point of the Bun build (compile.sh): the same program on the Bun runtime adapter.
// JavaScriptCore's options first (the program may start again with them); then the rest.
import { applyJscOptions } from "./_bun_jsc_options.ts";

await applyJscOptions();
const { main } = await import("../cli/main.ts");
const { bunRuntime: runtime } = await import("./bun.ts");
runtime.exit(await main(runtime.args(), runtime));
