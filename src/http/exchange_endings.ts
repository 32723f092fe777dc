/**
 * How an exchange ends when its backend closes or its time runs out, once a connection
 * was made: the phases of an exchange, and the endings with the causes they log.
 */

// the phases of an exchange
export const QUEUED = 0;
export const CONNECTING = 1;
export const WAITING = 2;
export const BODY = 3;
export const TUNNEL = 4;
export const DONE = 5;

/** An ending's kind: the response is complete, or cut off after it began (else a status). */
export const COMPLETE = 0;
export const ABORT = 1;

/** How an exchange ends: COMPLETE, ABORT, or the status to answer with (502, 504). */
export interface Ending {
  how: number;
  cause: string;
}

/** uWSGI's default buffer-size: larger var blocks are dropped by its workers. */
const UWSGI_DEFAULT_BUFFER_SIZE = 4096;

/**
 * The backend closed (with `error` when the socket failed); null when nothing ends.
 * `varsSize` is the request's vars block: a big one explains a uWSGI that closed at once.
 */
export function closedEnding(
  phase: number,
  response: { partialHead: boolean; unfinished: boolean },
  varsSize: number,
  error?: Error,
): Ending | null {
  const why = error ? `: ${error.message}` : "";
  switch (phase) {
    case WAITING:
      return { how: 502, cause: backendClosed(response.partialHead, varsSize, why) };
    case BODY:
      return error || response.unfinished
        ? { how: ABORT, cause: `the backend closed the connection before the response ended${why}` }
        : { how: COMPLETE, cause: "" };
    case TUNNEL:
      return error
        ? { how: ABORT, cause: `the backend connection failed${why}` }
        : { how: COMPLETE, cause: "" };
  }
  return null;
}

/** The time limits an exchange runs under, in ms. */
export interface ExchangeTimeouts {
  timeoutMs: number;
  tunnelTimeoutMs: number;
}

/**
 * The time without progress ran out once connected. `bodyEnded`: the whole request body
 * was sent; `paused`: the backend waits for a client that took nothing meanwhile.
 */
export function timeoutEnding(
  phase: number,
  limits: ExchangeTimeouts,
  bodyEnded: boolean,
  paused: boolean,
): Ending | null {
  const seconds = limits.timeoutMs / 1000;
  switch (phase) {
    case WAITING:
      return bodyEnded
        ? { how: 504, cause: `no answer for ${seconds} s before the response head` }
        : { how: ABORT, cause: `the request body stalled for ${seconds} s` };
    case BODY:
      return {
        how: ABORT,
        cause: paused
          ? `the client read nothing for ${seconds} s`
          : `no data from the backend for ${seconds} s`,
      };
    case TUNNEL:
      return { how: ABORT, cause: `the tunnel was silent for ${limits.tunnelTimeoutMs / 1000} s` };
  }
  return null;
}

/** The backend closed before a whole response head (`why`: the socket error's ": text"). */
function backendClosed(partialHead: boolean, varsSize: number, why: string): string {
  const what = partialHead
    ? "the backend closed the connection inside the response head"
    : "the backend closed the connection without a response";
  const hint = varsSize > UWSGI_DEFAULT_BUFFER_SIZE
    ? ` (the request vars were ${varsSize} bytes: a uWSGI backend drops requests larger than its buffer-size, 4096 by default)`
    : "";
  return what + why + hint;
}
