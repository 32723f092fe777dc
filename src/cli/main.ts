/** The program: argv -> config -> listeners, until a signal stops it. Returns the exit code. */
import { StaticPool } from "../balancer/static_pool.ts";
import { formatAddress } from "../config/address.ts";
import { ConfigError } from "../config/errors.ts";
import { type Config, loadConfig } from "../config/load.ts";
import { environmentEntries, expandIncludes } from "../config/sources.ts";
import { IdleSweeper } from "../http/idle_sweeper.ts";
import { createProxyApp, type ListenerEnv } from "../http/proxy.ts";
import { Logger } from "../log.ts";
import type { Runtime } from "../runtime/types.ts";
import { H1Server } from "../http/h1_server.ts";
import { VERSION } from "../version.ts";
import { parseArgv } from "./argv.ts";
import { helpText } from "./help.ts";

/** Exit codes (README "Exit codes"). */
export const EXIT_OK = 0;
export const EXIT_RUNTIME = 1;
export const EXIT_CONFIG = 2;

/** Reads the configuration; a ConfigError means exit 2. */
export function readConfig(args: readonly string[], runtime: Runtime) {
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

function checkRunnable(config: Config): void {
  if (config.listeners.length === 0) {
    throw new ConfigError(
      'Cannot start as no listener is configured: add "http = :8080" (or --http :8080)',
    );
  }
  if (config.nodes.length === 0 && config.fallbacks.length === 0) {
    throw new ConfigError(
      'Cannot start as no backend is configured: add "http-to = /path/to/app.sock" (or --http-to ADDR)',
    );
  }
}

/** Runs uwsgi-edge with `args` on `runtime`; resolves to the exit code. */
export async function main(args: readonly string[], runtime: Runtime): Promise<number> {
  const logger = new Logger(runtime.writeStderr, runtime.now);
  let config: Config;
  try {
    const loaded = readConfig(args, runtime);
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
    for (const warning of loaded.warnings) logger.warn(warning);
    config = loaded.config;
    checkRunnable(config);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    logger.flush();
    runtime.writeStderr(`uwsgi-edge: ${error.message}\n`);
    return EXIT_CONFIG;
  }

  const pool = new StaticPool(
    config.nodes.map((node) => ({ node, name: node.spec })),
    config.gracetime * 1000,
    runtime.now,
  );
  const sweeper = new IdleSweeper(runtime.now);
  const forwardDeps = {
    config,
    pool,
    connect: runtime.connect,
    hostname: runtime.hostname(),
    logger,
    now: runtime.now,
    sweeper,
  };
  const app = createProxyApp(forwardDeps);
  logger.info(`uwsgi-edge ${VERSION} (${runtime.name}) pid ${runtime.pid()}`);
  for (const node of config.nodes) logger.info(`node ${formatAddress(node.address)} (http-to)`);
  for (const node of config.fallbacks) {
    logger.info(`node ${formatAddress(node.address)} (http-fallback)`);
  }

  const stoppers: Array<() => Promise<void>> = [];
  const stopAll = () => Promise.all(stoppers.map((stop) => stop()));
  for (const listener of config.listeners) {
    try {
      if (config.engine === "native") {
        const server = new H1Server(runtime.listen(listener.address), listener, forwardDeps);
        server.start();
        stoppers.push(() => server.shutdown());
        logger.info(`${listener.option} listening on ${formatAddress(listener.address)}`);
      } else {
        const server = await runtime.serve(
          listener.address,
          (request, peer) => app.fetch(request, { peer, listener } satisfies ListenerEnv),
        );
        stoppers.push(() => server.shutdown());
        logger.info(`${listener.option} listening on ${formatAddress(server.address)} (hono)`);
      }
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      logger.error(`cannot listen on ${listener.spec} (${listener.option}): ${why}`);
      await stopAll();
      logger.flush();
      return EXIT_RUNTIME;
    }
  }
  logger.flush();

  const stopped = new Promise<string>((resolve) => {
    const removers = (["SIGINT", "SIGTERM", "SIGQUIT"] as const).map((signal) =>
      runtime.onSignal(signal, () => {
        for (const remove of removers) remove();
        resolve(signal);
      })
    );
  });
  const signal = await stopped;
  logger.info(`${signal}: graceful shutdown, finishing in-flight requests`);
  await stopAll();
  sweeper.close();
  logger.info("goodbye");
  logger.flush();
  return EXIT_OK;
}
