/** The program: argv -> config -> the master (or a router process). Returns the exit code. */
import { ConfigError } from "../config/errors.ts";
import { loadConfig, type Loaded } from "../config/load.ts";
import { environmentEntries, expandIncludes } from "../config/sources.ts";
import { Logger } from "../log.ts";
import type { Runtime } from "../runtime/types.ts";
import { POOL_FILE_ENV, ROUTER_CHILD_ENV } from "../supervisor/_common.ts";
import { runMaster } from "../supervisor/master.ts";
import { routerTag, runRouterChild } from "../supervisor/router_child.ts";
import { VERSION } from "../version.ts";
import { parseArgv } from "./argv.ts";
import { helpText } from "./help.ts";

/** Exit codes (README "Exit codes"). */
export const EXIT_OK = 0;
export const EXIT_RUNTIME = 1;
export const EXIT_CONFIG = 2;

/** Reads the configuration; a ConfigError means exit 2. */
export function readConfig(args: readonly string[], runtime: Runtime): Loaded {
  const env = runtime.env();
  const cliEntries = parseArgv(args);
  const sources = expandIncludes([...environmentEntries(env), ...cliEntries], {
    readFile: runtime.readTextFile,
    env,
    cwd: runtime.cwd(),
    hostname: runtime.hostname(),
    cpuCount: runtime.cpuCount(),
    now: Math.floor(runtime.now() / 1000),
    version: VERSION,
  });
  const loaded = loadConfig(sources.entries, { env, readFile: runtime.readTextFile });
  loaded.warnings.unshift(...sources.warnings);
  return loaded;
}

function checkRunnable(loaded: Loaded): void {
  const config = loaded.config;
  if (config.listeners.length === 0) {
    throw new ConfigError(
      'Cannot start as no listener is configured: add "http = :8080" (or --http :8080)',
    );
  }
  if (
    !loaded.embedded && config.nodes.length === 0 && config.fallbacks.length === 0 &&
    !config.subscriptionServer
  ) {
    throw new ConfigError(
      'Cannot start as no backend is configured: add "http-to = /path/to/app.sock" (or --http-to ADDR), or application options such as "module = app" to let the edge run the workers',
    );
  }
}

/** Runs uwsgi-edge with `args` on `runtime`; resolves to the exit code. */
export async function main(args: readonly string[], runtime: Runtime): Promise<number> {
  const routerIndex = runtime.env()[ROUTER_CHILD_ENV];
  const logger = new Logger(
    runtime.writeStderr,
    runtime.now,
    routerIndex ? routerTag(routerIndex, runtime.pid()) : "",
  );
  try {
    return await run(args, runtime, logger, routerIndex);
  } finally {
    // lines wait for the end of the event loop's turn: the process exits before that
    logger.flush();
  }
}

/** main() once the logger is made. */
async function run(
  args: readonly string[],
  runtime: Runtime,
  logger: Logger,
  routerIndex: string | undefined,
): Promise<number> {
  let loaded: Loaded;
  try {
    loaded = readConfig(args, runtime);
    if (loaded.help) {
      runtime.writeStdout(helpText());
      return EXIT_OK;
    }
    if (loaded.version) {
      runtime.writeStdout(`uwsgi-edge ${VERSION} (${runtime.name})\n`);
      return EXIT_OK;
    }
    if (loaded.gets.length > 0) {
      runtime.writeStdout(loaded.gets.map((v) => v + "\n").join(""));
      return EXIT_OK;
    }
    logger.accessFormat = loaded.config.logFormat;
    if (!routerIndex) { for (const warning of loaded.warnings) logger.warn(warning); }
    checkRunnable(loaded);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    logger.flush();
    runtime.writeStderr(`uwsgi-edge: ${error.message}\n`);
    return EXIT_CONFIG;
  }
  if (routerIndex) {
    return await runRouterChild(
      runtime,
      logger,
      loaded,
      routerIndex,
      runtime.env()[POOL_FILE_ENV] ?? "",
    );
  }
  return await runMaster(args, runtime, logger, loaded, (a) => readConfig(a, runtime));
}
