/**
 * When a uWSGI instance serves, read from its output (a worker spawned; with lazy-apps, an
 * app loaded) or, when its log goes elsewhere (logto, daemonize, a logger), from its socket
 * (a connection accepted). An app that cannot load fails the start; after the start it
 * makes the workers unhealthy, so requests get 502 at once instead of waiting.
 */
import type { ChildProcess, ConnectEvents, Runtime, StreamSocket } from "../runtime/types.ts";

const SPAWNED = /spawned uWSGI worker \d+/;
/** "WSGI app 0 (mountpoint='') ready in 0 seconds ..." and the other languages' lines. */
const APP_READY = /\bapp \d+ \(mountpoint='[^']*'\) (ready|loaded)/;
const NO_APP = /no app loaded\. GAME OVER|\*\*\* no app loaded/;
const PROBE_MS = 200;

/** How to tell. */
export interface ReadyOptions {
  runtime: Runtime;
  socketPath: string;
  logsElsewhere: boolean;
  lazyApps: boolean;
  timeoutMs: number;
  /** Told when the app stops or starts loading after the start. */
  onHealth: (ok: boolean, why: string) => void;
}

/** Tries the socket until a connection is accepted (or `stopped()` says to give up). */
function probeSocket(runtime: Runtime, path: string, stopped: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const attempt = () => {
      if (stopped()) return;
      const owner: ConnectEvents = {
        opened: (socket: StreamSocket) => {
          socket.terminate();
          resolve();
        },
        connectFailed: () => setTimeout(attempt, PROBE_MS),
        data: () => {},
        drain: () => {},
        end: () => {},
        closed: () => {},
      };
      runtime.connect({ transport: "unix", path }, owner);
    };
    attempt();
  });
}

/** Copies uWSGI's output to ours; resolves once it serves, rejects if it cannot. */
export function workersReady(child: ChildProcess, options: ReadyOptions): Promise<void> {
  const { runtime } = options;
  return new Promise((resolve, reject) => {
    let seen = "";
    let settled = false;
    const settle = (error?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) reject(error);
      else resolve();
    };
    const waitingFor = options.logsElsewhere
      ? "its socket to accept"
      : options.lazyApps
      ? "an app to load (lazy-apps)"
      : "a worker";
    const timer = setTimeout(
      () =>
        settle(
          new Error(
            `uWSGI did not serve in ${options.timeoutMs / 1000} s (waited for ${waitingFor})`,
          ),
        ),
      options.timeoutMs,
    );
    if (options.logsElsewhere) {
      probeSocket(runtime, options.socketPath, () => settled).then(() => settle());
    }
    const lastLines = () => seen.trim().split("\n").slice(-3).join(" | ");
    (async () => {
      for await (const text of child.output) {
        runtime.writeStderr(text);
        seen = (seen + text).slice(-4096);
        if (NO_APP.test(text)) {
          if (!settled) settle(new Error(`the application could not be loaded: ${lastLines()}`));
          else options.onHealth(false, "the application could not be loaded (see uWSGI's output)");
        } else if (APP_READY.test(text)) {
          if (settled) options.onHealth(true, "the application loaded");
          else if (options.lazyApps) settle();
        }
        if (!options.logsElsewhere && !options.lazyApps && SPAWNED.test(seen)) settle();
      }
      if (!settled) {
        const status = await child.status;
        const how = `code ${status.code}${status.signal ? `, ${status.signal}` : ""}`;
        settle(new Error(`uWSGI exited (${how}) before serving: ${lastLines()}`));
      }
    })();
  });
}
