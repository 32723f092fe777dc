/** The one table that maps failures to what the client sees: a status and a short body. */
import type { FailureKind } from "./upstream.ts";

/** Statuses the edge itself produces. */
export const STATUS_TEXT: Record<number, string> = {
  400: "Bad Request",
  408: "Request Timeout",
  413: "Content Too Large",
  417: "Expectation Failed",
  431: "Request Header Fields Too Large",
  501: "Not Implemented",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
  505: "HTTP Version Not Supported",
};

/** Status for a backend failure: timeouts 504, everything else 502. */
export function statusForFailure(kind: FailureKind): number {
  if (kind === "timeout") return 504;
  if (kind === "client") return 400;
  return 502;
}

/** A small plain-text error response, the same shape for every error. */
export function errorResponse(status: number, extraHeaders?: Array<[string, string]>): Response {
  const text = `${status} ${STATUS_TEXT[status] ?? "Error"}\n`;
  const headers = new Headers({ "content-type": "text/plain; charset=utf-8" });
  for (const [name, value] of extraHeaders ?? []) headers.append(name, value);
  return new Response(text, { status, headers });
}
