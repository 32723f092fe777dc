/**
 * Embedded mode's workers: one uWSGI master (with its own workers) started from a private
 * ini, supervised — respawned with backoff when it dies, given up on after a burst of fast
 * crashes — and stopped on request.
 */
import type { Logger } from "../log.ts";
import type { ChildProcess, Runtime } from "../runtime/types.ts";
import { RestartPolicy } from "./restart_policy.ts";

/** uWSGI prints this once a worker runs; with need-app, the app is loaded by then. */
const READY = /spawned uWSGI worker \d+/;
const READY_TIMEOUT_MS = 60_000;

/** A supervised uWSGI instance serving the app on `socketPath`. */
export class WorkerPool {
  readonly socketPath: string;
  readonly #runtime: Runtime;
  readonly #logger: Logger;
  readonly #uwsgi: string;
  readonly #iniPath: string;
  readonly #onFatal: (message: string) => void;
  readonly #policy: RestartPolicy;
  #child: ChildProcess | undefined;
  #stopping = false;
  #restartTimer: ReturnType<typeof setTimeout> | undefined;
  /** Resolves once the current child is gone (and no restart is pending). */
  #gone: Promise<void> = Promise.resolve();

  constructor(
    options: {
      runtime: Runtime;
      logger: Logger;
      uwsgi: string;
      iniPath: string;
      socketPath: string;
      onFatal: (message: string) => void;
    },
  ) {
    this.#runtime = options.runtime;
    this.#logger = options.logger;
    this.#uwsgi = options.uwsgi;
    this.#iniPath = options.iniPath;
    this.socketPath = options.socketPath;
    this.#onFatal = options.onFatal;
    this.#policy = new RestartPolicy(options.runtime.now);
  }

  /** The uWSGI master's pid (tests kill it to prove respawning). */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Starts uWSGI and resolves once it accepts; rejects if it dies or stalls first. */
  async start(): Promise<void> {
    const child = this.#spawn();
    await this.#ready(child);
  }

  #spawn(): ChildProcess {
    // with setpriv, uWSGI's master gets SIGKILL when the edge dies, even by kill -9
    const setpriv = this.#runtime.findExecutable("setpriv");
    const child = setpriv
      ? this.#runtime.spawn(setpriv, ["--pdeathsig", "KILL", this.#uwsgi, "--ini", this.#iniPath], {
        env: this.#runtime.env(),
      })
      : this.#runtime.spawn(this.#uwsgi, ["--ini", this.#iniPath], { env: this.#runtime.env() });
    this.#child = child;
    this.#policy.started();
    this.#logger.info(`workers: uWSGI pid ${child.pid} on ${this.socketPath}`);
    this.#gone = child.status.then((status) => this.#exited(child, status.code, status.signal));
    return child;
  }

  /** Copies uWSGI's output to ours and resolves when a worker was spawned. */
  #ready(child: ChildProcess): Promise<void> {
    return new Promise((resolve, reject) => {
      let seen = "";
      let ready = false;
      const timer = setTimeout(() => {
        if (!ready) {
          reject(new Error(`uWSGI did not spawn a worker in ${READY_TIMEOUT_MS / 1000} s`));
        }
      }, READY_TIMEOUT_MS);
      (async () => {
        for await (const text of child.output) {
          this.#runtime.writeStderr(text);
          if (!ready) {
            seen = (seen + text).slice(-4096);
            if (READY.test(seen)) {
              ready = true;
              clearTimeout(timer);
              resolve();
            }
          }
        }
        if (!ready) {
          clearTimeout(timer);
          const status = await child.status;
          reject(
            new Error(
              `uWSGI exited (code ${status.code}${
                status.signal ? `, ${status.signal}` : ""
              }) before serving: ` +
                seen.trim().split("\n").slice(-3).join(" | "),
            ),
          );
        }
      })();
    });
  }

  #exited(child: ChildProcess, code: number, signal: string | null): Promise<void> | void {
    if (this.#stopping || child !== this.#child) return;
    const decision = this.#policy.exited();
    const how = signal ? `killed by ${signal}` : `exited with code ${code}`;
    if (decision.action === "give-up") {
      this.#onFatal(
        `uWSGI workers ${how}: ${decision.crashes} crashes in a row, each soon after its start; giving up (see uWSGI's output above)`,
      );
      return;
    }
    this.#logger.warn(`uWSGI workers ${how}; respawning in ${decision.delayMs} ms`);
    return new Promise<void>((resolve) => {
      this.#restartTimer = setTimeout(() => {
        this.#restartTimer = undefined;
        if (this.#stopping) return resolve();
        let next: ChildProcess;
        try {
          next = this.#spawn();
        } catch (error) {
          this.#onFatal(`cannot respawn uWSGI: ${(error as Error).message}`);
          return resolve();
        }
        this.#ready(next).then(
          () => this.#logger.info(`workers: uWSGI pid ${next.pid} serving again`),
          (error) => this.#logger.warn(`respawned uWSGI is not serving: ${error.message}`),
        );
        resolve();
      }, decision.delayMs);
    });
  }

  /** Stops uWSGI: SIGTERM (a shutdown with die-on-term), SIGKILL after `graceMs`. */
  async stop(graceMs: number): Promise<void> {
    this.#stopping = true;
    if (this.#restartTimer !== undefined) clearTimeout(this.#restartTimer);
    const child = this.#child;
    if (!child) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    await child.status;
    clearTimeout(timer);
    await this.#gone;
  }

  /** Kills uWSGI at once (SIGQUIT on the edge). */
  async kill(): Promise<void> {
    this.#stopping = true;
    if (this.#restartTimer !== undefined) clearTimeout(this.#restartTimer);
    this.#child?.kill("SIGKILL");
    await this.#child?.status;
  }
}
