import assert from "node:assert/strict";
import {
  ABORT,
  BODY,
  closedEnding,
  COMPLETE,
  CONNECTING,
  QUEUED,
  timeoutEnding,
  TUNNEL,
  WAITING,
} from "../../src/http/exchange_endings.ts";

const whole = { partialHead: false, unfinished: false };
const limits = { timeoutMs: 30000, tunnelTimeoutMs: 600000 };

Deno.test("closedEnding() answers 502 when the backend closed before a response head", () => {
  const none = closedEnding(WAITING, whole, 300)!;
  assert.equal(none.how, 502);
  assert.equal(none.cause, "the backend closed the connection without a response");
  const partial = closedEnding(WAITING, { ...whole, partialHead: true }, 300, new Error("reset"))!;
  assert.equal(partial.how, 502);
  assert.equal(partial.cause, "the backend closed the connection inside the response head: reset");
});

Deno.test("closedEnding() names uWSGI's buffer-size when the vars were bigger", () => {
  const ending = closedEnding(WAITING, whole, 5000)!;
  assert.match(ending.cause, /the request vars were 5000 bytes: .* buffer-size, 4096 by default/);
});

Deno.test("closedEnding() completes a body the backend ended by closing, cuts an unfinished one", () => {
  assert.equal(closedEnding(BODY, whole, 300)!.how, COMPLETE);
  const short = closedEnding(BODY, { ...whole, unfinished: true }, 300)!;
  assert.deepEqual(short, {
    how: ABORT,
    cause: "the backend closed the connection before the response ended",
  });
  assert.equal(closedEnding(BODY, whole, 300, new Error("reset"))!.how, ABORT);
});

Deno.test("closedEnding() ends a tunnel: cleanly on FIN, cut off on a socket error", () => {
  assert.equal(closedEnding(TUNNEL, whole, 300)!.how, COMPLETE);
  assert.deepEqual(closedEnding(TUNNEL, whole, 300, new Error("reset")), {
    how: ABORT,
    cause: "the backend connection failed: reset",
  });
  assert.equal(closedEnding(CONNECTING, whole, 300), null);
});

Deno.test("timeoutEnding() answers 504 before a head, once the body was sent", () => {
  assert.deepEqual(timeoutEnding(WAITING, limits, true, false), {
    how: 504,
    cause: "no answer for 30 s before the response head",
  });
  assert.deepEqual(timeoutEnding(WAITING, limits, false, false), {
    how: ABORT,
    cause: "the request body stalled for 30 s",
  });
});

Deno.test("timeoutEnding() tells a client that reads nothing from a silent backend", () => {
  assert.equal(timeoutEnding(BODY, limits, true, true)!.cause, "the client read nothing for 30 s");
  assert.equal(
    timeoutEnding(BODY, limits, true, false)!.cause,
    "no data from the backend for 30 s",
  );
  assert.equal(
    timeoutEnding(TUNNEL, limits, true, false)!.cause,
    "the tunnel was silent for 600 s",
  );
  assert.equal(timeoutEnding(QUEUED, limits, true, false), null);
});
