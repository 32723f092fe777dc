import assert from "node:assert/strict";
import { RestartPolicy } from "../../src/supervisor/restart_policy.ts";

Deno.test("RestartPolicy doubles the delay of fast crashes up to a cap, then gives up", () => {
  let now = 0;
  const policy = new RestartPolicy(() => now, { initialMs: 500, maxMs: 1500, burst: 5 });
  const delays: unknown[] = [];
  for (let i = 0; i < 5; i++) {
    now += 100;
    delays.push(policy.exited());
    policy.started();
  }
  assert.deepEqual(delays, [
    { action: "restart", delayMs: 500 },
    { action: "restart", delayMs: 1000 },
    { action: "restart", delayMs: 1500 },
    { action: "restart", delayMs: 1500 },
    { action: "give-up", crashes: 5 },
  ]);
});

Deno.test("RestartPolicy forgets fast crashes after a process that lived long enough", () => {
  let now = 0;
  const policy = new RestartPolicy(() => now, { fastMs: 10_000 });
  now += 100;
  policy.exited();
  policy.started();
  now += 100;
  assert.deepEqual(policy.exited(), { action: "restart", delayMs: 1000 });
  policy.started();
  now += 60_000;
  assert.deepEqual(policy.exited(), { action: "restart", delayMs: 500 });
});
