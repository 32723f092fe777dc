/**
 * `https` listeners and `sni` certificates: PEM files read and checked at load time, so a
 * bad file is a config error naming the option, where it came from and the file.
 */
import process from "node:process";
import type { TlsConfig } from "../runtime/types.ts";
import { ConfigError, type Entry } from "./errors.ts";

/** Reads files for the config (tests pass a map). */
export type ReadFile = (path: string) => string;

function fail(entry: Entry, rule: string): never {
  throw new ConfigError(
    `Cannot use option "${entry.key}" (${entry.origin}) as ${rule}: current value is "${entry.value}"`,
  );
}

/** A certificate and key pair from their files, checked to be PEM. */
function pemPair(entry: Entry, certPath: string, keyPath: string, readFile: ReadFile) {
  const read = (path: string, what: string) => {
    try {
      return readFile(path);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      return fail(entry, `the ${what} file ${path} cannot be read (${why})`);
    }
  };
  const cert = read(certPath, "certificate");
  const key = read(keyPath, "key");
  if (!cert.includes("-----BEGIN CERTIFICATE-----")) {
    fail(entry, `${certPath} is not a PEM certificate`);
  }
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(key)) {
    fail(entry, `${keyPath} is not a PEM private key`);
  }
  // checked here: TLS libraries may only find out at the first handshake
  let matches: boolean;
  try {
    // loaded here: a proxy without TLS does not carry node:crypto (~6 MB of RSS)
    const { createPrivateKey, X509Certificate } = process.getBuiltinModule("node:crypto");
    matches = new X509Certificate(cert).checkPrivateKey(createPrivateKey(key));
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return fail(entry, `its certificate and key were refused (${why})`);
  }
  if (!matches) {
    fail(entry, `its certificate and key were refused: ${keyPath} is not the key of ${certPath}`);
  }
  return { cert, key };
}

/** One `https = ADDR,CRT,KEY` entry: its address text and its default certificate. */
export function httpsEntry(entry: Entry, readFile: ReadFile): { spec: string; tls: TlsConfig } {
  const [spec = "", certPath = "", keyPath = "", ciphers = "", ca = ""] = entry.value.split(",");
  if (certPath === "" || keyPath === "") fail(entry, "it must be ADDR,CRT,KEY");
  if (ciphers !== "") {
    fail(
      entry,
      "cipher strings cannot be honoured on this runtime (it picks its own safe suite): drop the 4th field",
    );
  }
  if (ca !== "") {
    fail(entry, "client certificates (the 5th field) are not supported on this runtime");
  }
  return { spec, tls: { ...pemPair(entry, certPath, keyPath, readFile), contexts: [] } };
}

/**
 * `sni = HOSTNAME,CRT,KEY` (uWSGI's option): a certificate served on every https listener
 * to clients asking for HOSTNAME (`*.example.com` matches one label).
 */
export function sniEntry(entry: Entry, readFile: ReadFile): TlsConfig["contexts"][number] {
  const [serverName = "", certPath = "", keyPath = "", ...rest] = entry.value.split(",");
  if (serverName === "" || certPath === "" || keyPath === "") {
    fail(entry, "it must be HOSTNAME,CRT,KEY");
  }
  if (rest.some((field) => field !== "")) {
    fail(
      entry,
      "ciphers and client CAs (the 4th and 5th fields) are not supported on this runtime",
    );
  }
  if (!/^(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.?$/.test(serverName)) {
    fail(entry, `"${serverName}" is not a host name (a leading "*." is allowed)`);
  }
  return { serverName, ...pemPair(entry, certPath, keyPath, readFile), source: entry.origin };
}
