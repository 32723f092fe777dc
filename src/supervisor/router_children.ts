/** `http-processes`: the router processes the master starts, watches and respawns. */
import type { Logger } from "../log.ts";
import type { ChildProcess, Runtime } from "../runtime/types.ts";
import { POOL_FILE_ENV, ROUTER_CHILD_ENV, SUB_SOCKET_ENV } from "./_common.ts";
import { RestartPolicy } from "./restart_policy.ts";

/** `http-processes` N: router processes sharing the listening ports, each respawned. */
export class RouterChildren {
  readonly #children: Array<{ child: ChildProcess; policy: RestartPolicy } | undefined> = [];
  #stopping = false;

  constructor(
    readonly runtime: Runtime,
    readonly logger: Logger,
    readonly count: number,
    readonly dir: string,
    readonly args: readonly string[],
    readonly onFatal: (message: string) => void,
  ) {}

  /** Pids of the running router processes. */
  get pids(): number[] {
    return this.#children.flatMap((c) => (c ? [c.child.pid] : []));
  }

  async start(): Promise<void> {
    const ready = [];
    for (let i = 0; i < this.count; i++) {
      ready.push(this.#spawn(i, new RestartPolicy(this.runtime.now)));
    }
    await Promise.all(ready);
  }

  /** Starts router `index`; resolves once it listens. */
  #spawn(index: number, policy: RestartPolicy): Promise<void> {
    const self = this.runtime.selfCommand();
    const child = this.runtime.spawn(self.command, [...self.args, ...this.args], {
      env: {
        ...this.runtime.env(),
        [ROUTER_CHILD_ENV]: String(index + 1),
        [POOL_FILE_ENV]: `${this.dir}/pool`,
        [SUB_SOCKET_ENV]: `${this.dir}/sub-${index + 1}.sock`,
      },
    });
    policy.started();
    this.#children[index] = { child, policy };
    const listeners = new Promise<void>((resolve, reject) => {
      let seen = "";
      let up = false;
      (async () => {
        for await (const text of child.output) {
          this.runtime.writeStderr(text);
          if (!up) {
            seen += text;
            if (/listening on/.test(seen)) {
              up = true;
              resolve();
            }
          }
        }
        if (!up) {
          reject(
            new Error(
              `router process ${index + 1} exited before listening: ${seen.trim().slice(-300)}`,
            ),
          );
        }
      })();
    });
    child.status.then((status) => {
      if (this.#stopping || this.#children[index]?.child !== child) return;
      const decision = policy.exited();
      const how = status.signal ? `killed by ${status.signal}` : `exited with code ${status.code}`;
      if (decision.action === "give-up") {
        this.onFatal(
          `router process ${index + 1} ${how}, ${decision.crashes} times in a row: giving up`,
        );
        return;
      }
      this.logger.warn(
        `router process ${
          index + 1
        } (pid ${child.pid}) ${how}; respawning in ${decision.delayMs} ms`,
      );
      setTimeout(() => {
        if (!this.#stopping) this.#spawn(index, policy).catch((e) => this.logger.error(e.message));
      }, decision.delayMs);
    });
    return listeners;
  }

  /** Tells every router to use `socketPath`, and waits until they drained the old pool. */
  async switchPool(socketPath: string, mercyMs: number): Promise<void> {
    const name = socketPath.slice(socketPath.lastIndexOf("/") + 1);
    const pids = this.pids;
    for (const c of this.#children) c?.child.kill("SIGHUP");
    const deadline = Date.now() + mercyMs;
    for (const pid of pids) {
      while (Date.now() < deadline) {
        try {
          this.runtime.readTextFile(`${this.dir}/drained-${pid}-${name}`);
          break;
        } catch {
          // not drained yet
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    }
  }

  async stop(mercyMs: number): Promise<void> {
    this.#stopping = true;
    await Promise.all(this.#children.map(async (c) => {
      if (!c) return;
      c.child.kill("SIGTERM");
      const timer = setTimeout(() => c.child.kill("SIGKILL"), mercyMs);
      await c.child.status;
      clearTimeout(timer);
    }));
  }

  async kill(): Promise<void> {
    this.#stopping = true;
    await Promise.all(this.#children.map(async (c) => {
      c?.child.kill("SIGKILL");
      await c?.child.status;
    }));
  }
}
