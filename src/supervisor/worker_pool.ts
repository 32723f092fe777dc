/**
 * Embedded mode's workers: one uWSGI master (with its own workers) started from a private
 * ini, supervised — respawned with backoff when it dies, given up on after a burst of fast
 * crashes — and stopped on request.
 */
import type { Logger } from "../log.ts";
import type { ChildProcess, Runtime } from "../runtime/types.ts";
import { RestartPolicy } from "./restart_policy.ts";
import { type ReadyOptions, workersReady } from "./worker_ready.ts";

const READY_TIMEOUT_MS = 60_000;

/**
 * Starts "$@" only while the edge ($1) is still the parent (it dies with it from then on).
 * "$@" starts with setsid where there is one: uWSGI leads a process group of its own, so a
 * hard stop kills its workers with it, even one forked a moment before (which would
 * outlive a master killed alone, as its death signal is not set up yet).
 */
const GUARD = '[ "$PPID" = "$1" ] || exit 70; shift; exec "$@"';

/**
 * GUARD for a uWSGI that changes its user (which clears its death signal): a root shell
 * stays between the edge and uWSGI. It passes SIGTERM on, turns SIGUSR1 (its own death
 * signal, and the edge's hard stop) into SIGKILL of uWSGI's group, and ends as uWSGI
 * ended. (Not SIGQUIT: a shell cannot trap a signal ignored when it started, as
 * background jobs ignore QUIT.)
 */
const WATCH = [
  '[ "$PPID" = "$1" ] || exit 70',
  "shift",
  "pid= sig=",
  `trap 'sig=TERM; [ -z "$pid" ] || kill -TERM "$pid"' TERM`,
  `trap 'sig=KILL; [ -z "$pid" ] || kill -s KILL -- -"$pid" "$pid" 2>/dev/null' USR1`,
  '"$@" &',
  "pid=$!",
  '[ -z "$sig" ] || kill -"$sig" "$pid"',
  'while :; do wait "$pid"; status=$?; kill -0 "$pid" 2>/dev/null || break; done',
  'if [ "$status" -gt 128 ]; then trap - TERM USR1; kill -"$((status - 128))" $$; fi',
  'exit "$status"',
].join("\n");

/** A supervised uWSGI instance serving the app on `socketPath`. */
export class WorkerPool {
  readonly socketPath: string;
  readonly #runtime: Runtime;
  readonly #logger: Logger;
  readonly #uwsgi: string;
  readonly #iniPath: string;
  readonly #onFatal: (message: string) => void;
  readonly #ready: ReadyOptions;
  readonly #ownDir: string | undefined;
  readonly #policy: RestartPolicy;
  /** setpriv, found once; without it uWSGI is spawned directly. */
  readonly #setpriv: string | undefined;
  /** setsid (util-linux too): with it, uWSGI leads its own process group. */
  readonly #setsid: string | undefined;
  /** A root watcher runs uWSGI, which changes its user (uid/gid). */
  readonly #watched: boolean;
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
      onHealth: (ok: boolean, why: string) => void;
      logsElsewhere: boolean;
      lazyApps: boolean;
      /** A directory of the workers' own (uid/gid), removed when they are stopped. */
      ownDir?: string | undefined;
      /** uWSGI changes its user (uid/gid): a watcher must stop it if the edge dies. */
      dropsUser?: boolean;
    },
  ) {
    this.#ownDir = options.ownDir;
    this.#setpriv = options.runtime.findExecutable("setpriv");
    this.#setsid = options.runtime.findExecutable("setsid");
    this.#watched = this.#setpriv !== undefined && (options.dropsUser ?? false);
    this.#runtime = options.runtime;
    this.#logger = options.logger;
    this.#uwsgi = options.uwsgi;
    this.#iniPath = options.iniPath;
    this.socketPath = options.socketPath;
    this.#onFatal = options.onFatal;
    this.#ready = {
      runtime: options.runtime,
      socketPath: options.socketPath,
      logsElsewhere: options.logsElsewhere,
      lazyApps: options.lazyApps,
      timeoutMs: READY_TIMEOUT_MS,
      onHealth: options.onHealth,
    };
    this.#policy = new RestartPolicy(options.runtime.now);
  }

  /** The uWSGI master's pid (tests kill it to prove respawning). */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Starts uWSGI and resolves once it accepts; rejects if it dies or stalls first. */
  async start(): Promise<void> {
    const child = this.#spawn();
    await workersReady(child, this.#ready);
  }

  #spawn(): ChildProcess {
    const child = this.#runtime.spawn(...this.#command(), { env: this.#runtime.env() });
    this.#child = child;
    this.#policy.started();
    this.#logger.info(`workers: ${this.#name(child)} on ${this.socketPath}`);
    this.#gone = child.status.then((status) => this.#exited(child, status.code, status.signal));
    return child;
  }

  /**
   * With setpriv, uWSGI's master gets SIGKILL when the edge dies, even by kill -9 (or its
   * watcher SIGUSR1, when uWSGI changes its user). The shell step closes the race of an
   * edge dying before setpriv set that up: then the shell's parent is no longer the edge,
   * and uWSGI is not started.
   */
  #command(): [string, string[]] {
    const args = ["--ini", this.#iniPath];
    if (this.#setpriv === undefined) return [this.#uwsgi, args];
    const watch = this.#watched;
    const edge = String(this.#runtime.pid());
    const uwsgi = this.#setsid === undefined ? [this.#uwsgi] : [this.#setsid, this.#uwsgi];
    const shell = ["/bin/sh", "-c", watch ? WATCH : GUARD, "sh", edge, ...uwsgi, ...args];
    return [this.#setpriv, ["--pdeathsig", watch ? "USR1" : "KILL", ...shell]];
  }

  /** Kills uWSGI at once: its process group, or SIGUSR1 to its watcher (which does so). */
  #hardKill(child: ChildProcess): void {
    if (this.#watched) child.kill("SIGUSR1");
    else child.killGroup("SIGKILL");
  }

  #name(child: ChildProcess): string {
    return `${this.#watched ? "uWSGI under watcher pid" : "uWSGI pid"} ${child.pid}`;
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
        workersReady(next, this.#ready).then(
          () => this.#logger.info(`workers: ${this.#name(next)} serving again`),
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
    const timer = setTimeout(() => this.#hardKill(child), graceMs);
    await child.status;
    clearTimeout(timer);
    await this.#gone;
    if (this.#ownDir) this.#runtime.removePath(this.#ownDir);
  }

  /** Kills uWSGI at once (SIGQUIT on the edge). */
  async kill(): Promise<void> {
    this.#stopping = true;
    if (this.#restartTimer !== undefined) clearTimeout(this.#restartTimer);
    if (this.#child) this.#hardKill(this.#child);
    await this.#child?.status;
    if (this.#ownDir) this.#runtime.removePath(this.#ownDir);
  }
}
