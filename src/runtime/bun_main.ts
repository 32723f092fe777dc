// Entry point of the Bun build (compile.sh): the same program on the Bun runtime adapter.
import { main } from "../cli/main.ts";
import { bunRuntime as runtime } from "./bun.ts";

runtime.exit(await main(runtime.args(), runtime));
