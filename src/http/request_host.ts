/**
 * The contract between a connection and its request in flight: what a ClientRequest may
 * do to its connection, the phases it moves it through and the timers it arms there.
 */
import type { ClientInput } from "./client_input.ts";
import type { OutQueue } from "./out_queue.ts";
import type { ServerContext } from "./server_context.ts";

/** The phases a request moves its connection through. */
export const BODY = 1;
export const EXCHANGE = 2;
export const TUNNEL = 3;
/** The timers a request arms on its connection: its body, and a client that reads nothing. */
export const T_BODY = 3;
export const T_SEND = 4;

/** What a request needs of its connection. */
export interface RequestHost {
  readonly ctx: ServerContext;
  readonly out: OutQueue;
  readonly input: ClientInput;
  /** The client sent its FIN. */
  readonly ended: boolean;
  /** The connection's phase is now BODY, EXCHANGE or TUNNEL. */
  enter(phase: number): void;
  /** Arms a timer (T_BODY, T_SEND) in `ms`. */
  setTimer(kind: number, ms: number): void;
  clearTimer(): void;
  pauseRead(): void;
  resumeRead(): void;
  /** The request is over and logged: the next one may come when `reusable`. */
  requestDone(reusable: boolean): void;
  /** Closes after what is queued. */
  close(): void;
  /** Resets at once. */
  terminate(): void;
}
