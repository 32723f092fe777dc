import assert from "node:assert/strict";
import { Logger } from "../src/log.ts";

/** Resolves once the event loop has turned (after setImmediate callbacks queued before). */
const nextTurn = () => new Promise((resolve) => setTimeout(resolve, 5));

Deno.test("log lines of one event-loop turn reach the sink in one write, in order", async () => {
  const writes: string[] = [];
  const logger = new Logger((text) => writes.push(text), () => 0);
  logger.info("first");
  // a later callback of the same turn (a microtask checkpoint between them)
  await Promise.resolve();
  logger.warn("second");
  await Promise.resolve();
  logger.error("third");
  assert.deepEqual(writes, []);
  await nextTurn();
  assert.deepEqual(writes, [
    "[1970-01-01T00:00:00.000Z] first\n" +
    "[1970-01-01T00:00:00.000Z] warning: second\n" +
    "[1970-01-01T00:00:00.000Z] error: third\n",
  ]);
  logger.info("fourth");
  logger.flush();
  assert.equal(writes.length, 2);
  assert.equal(writes[1], "[1970-01-01T00:00:00.000Z] fourth\n");
  await nextTurn();
  assert.equal(writes.length, 2, "a flushed line is not written again");
});
