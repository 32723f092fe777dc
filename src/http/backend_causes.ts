/** The causes an exchange logs when its backend lets it down before a response head. */

/** uWSGI's default buffer-size: larger var blocks are dropped by its workers. */
const UWSGI_DEFAULT_BUFFER_SIZE = 4096;

/**
 * The backend closed before a whole response head: `partialHead` when part of one came,
 * `varsSize` the request's vars block (a big one explains a uWSGI that closed at once),
 * `why` the socket error's text, if any (": ..." or "").
 */
export function backendClosed(partialHead: boolean, varsSize: number, why: string): string {
  const what = partialHead
    ? "the backend closed the connection inside the response head"
    : "the backend closed the connection without a response";
  const hint = varsSize > UWSGI_DEFAULT_BUFFER_SIZE
    ? ` (the request vars were ${varsSize} bytes: a uWSGI backend drops requests larger than its buffer-size, 4096 by default)`
    : "";
  return what + why + hint;
}
