/** The uwsgi packet for a request, built the same way by both HTTP engines. */
import type { Config } from "../config/load.ts";
import { encodePacket } from "../uwsgi/packet.ts";
import { type RequestFacts, requestVars } from "../uwsgi/request_vars.ts";

/** Header + vars of a request; throws RangeError when the vars exceed 65535 bytes. */
export function requestPacket(facts: RequestFacts, config: Config, hostname: string): Uint8Array {
  return encodePacket(
    requestVars(facts, {
      hostname,
      serverNameAsHttpHost: config.serverNameAsHttpHost,
      extra: config.vars,
    }),
    config.modifier1,
    config.modifier2,
  );
}
