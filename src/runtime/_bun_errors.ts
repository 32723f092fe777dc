/**
 * Bun's socket errors say only "Failed to connect" or "Failed to listen at ...", their code
 * telling the cause (connect errors other than ENOENT come as ECONNREFUSED): the logs say
 * the cause, in the words of `deno run`. Used by the Bun binding (bun.ts) only.
 */
const SYSTEM_ERRORS: Record<string, string> = {
  ENOENT: "No such file or directory (os error 2)",
  EACCES: "Permission denied (os error 13)",
  EADDRINUSE: "Address already in use (os error 98)",
  EADDRNOTAVAIL: "Cannot assign requested address (os error 99)",
  ECONNREFUSED: "Connection refused (os error 111)",
};

/** `error` with the cause in words, where Bun gave only a code. */
export function describe(error: Error & { code?: string }): Error {
  const text = SYSTEM_ERRORS[error.code ?? ""];
  if (text === undefined) return error;
  return Object.assign(new Error(text), { code: error.code });
}
