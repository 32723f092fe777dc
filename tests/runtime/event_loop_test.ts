import assert from "node:assert/strict";
import { EventLoop, MAX_WAIT_MS } from "../../src/runtime/_event_loop.ts";
import { EPOLLIN } from "../../src/runtime/_sys.ts";
import { FakeSys, LAYOUT } from "./fake_sys.ts";

function setup() {
  const sys = new FakeSys();
  const scheduled: Array<() => void> = [];
  const faults: Error[] = [];
  const loop = new EventLoop(sys, LAYOUT, {
    schedule: (turn) => scheduled.push(turn),
    fault: (error) => faults.push(error),
  }, [4]);
  return { sys, scheduled, faults, loop };
}

Deno.test("EventLoop delivers events to the watcher of their descriptor", () => {
  const { sys, loop } = setup();
  const seen: string[] = [];
  loop.add(7, EPOLLIN, { ready: (events) => seen.push(`7:${events}`) });
  loop.add(8, EPOLLIN, { ready: (events) => seen.push(`8:${events}`) });
  sys.raise(8, 1);
  sys.raise(7, 5);
  loop.turn();
  assert.deepEqual(seen, ["8:1", "7:5"]);
});

Deno.test("EventLoop drops an event of a descriptor forgotten and reused in the same batch", () => {
  const { sys, loop } = setup();
  const seen: string[] = [];
  loop.add(7, EPOLLIN, { ready: () => seen.push("old") });
  sys.raise(7, 1);
  // the event was queued for the old registration; the descriptor is then reused
  const stale = sys.interest.get(7)!;
  loop.forget(7);
  loop.add(7, EPOLLIN, { ready: () => seen.push("new") });
  sys.interest.set(7, stale);
  loop.turn();
  assert.deepEqual(seen, []);
});

Deno.test("EventLoop runs later() calls after the turn's events, and does not wait for them", () => {
  const { sys, loop } = setup();
  const seen: string[] = [];
  loop.add(7, EPOLLIN, {
    ready: (events) => {
      seen.push(`event ${events}`);
      loop.later({ ready: (e) => seen.push(`later ${e}`) });
    },
  });
  sys.raise(7, 1);
  loop.turn();
  assert.deepEqual(seen, ["event 1", "later 0"]);
  loop.later({ ready: () => seen.push("queued") });
  loop.turn();
  assert.equal(sys.waits.at(-1), 0, "something to do: no wait");
  assert.deepEqual(seen.at(-1), "queued");
});

Deno.test("EventLoop waits longer while idle, briefly again after activity", () => {
  const { sys, loop } = setup();
  loop.add(7, EPOLLIN, { ready: () => {} });
  for (let i = 0; i < 10; i++) loop.turn();
  assert.equal(sys.waits[0], 1);
  assert.equal(sys.waits[1], 2);
  assert.equal(sys.waits.at(-1), MAX_WAIT_MS);
  sys.raise(7, 1);
  loop.turn();
  loop.turn();
  assert.equal(sys.waits.at(-1), 1);
});

Deno.test("EventLoop schedules turns only while something is watched or asked for", () => {
  const { scheduled, loop } = setup();
  assert.equal(scheduled.length, 0, "the runtime's own descriptor keeps nothing going");
  loop.add(7, EPOLLIN, { ready: () => {} });
  assert.equal(scheduled.length, 1);
  loop.add(8, EPOLLIN, { ready: () => {} });
  assert.equal(scheduled.length, 1, "one turn at a time");
  scheduled.shift()!();
  assert.equal(scheduled.length, 1, "the next turn");
  loop.forget(7);
  loop.forget(8);
  scheduled.shift()!();
  assert.equal(scheduled.length, 0, "nothing watched: turns stop");
});

Deno.test("EventLoop reports a watcher that throws and goes on with the others", () => {
  const { sys, faults, loop } = setup();
  const seen: number[] = [];
  loop.add(7, EPOLLIN, {
    ready: () => {
      throw new Error("bug");
    },
  });
  loop.add(8, EPOLLIN, { ready: () => seen.push(8) });
  sys.raise(7, 1);
  sys.raise(8, 1);
  loop.turn();
  assert.equal(faults[0]?.message, "bug");
  assert.deepEqual(seen, [8]);
});
