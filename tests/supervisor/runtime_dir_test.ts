import assert from "node:assert/strict";
import { createRuntimeDir } from "../../src/supervisor/runtime_dir.ts";
import { Logger } from "../../src/log.ts";
import { fakeRuntime } from "../fake_runtime.ts";

/** /proc/PID/stat text with `start` as its start time (field 22). */
function stat(pid: number, start: string): string {
  return `${pid} (edge) S ${"1 ".repeat(18)}${start} 0`;
}

/** A runtime with other edges' directories in /tmp; `proc` = the readable /proc stats. */
function machine(owners: Record<string, string>, proc: Record<number, string>) {
  const files: Record<string, string> = {};
  for (const [name, note] of Object.entries(owners)) files[`/tmp/${name}/edge.pid`] = note;
  for (const [pid, text] of Object.entries(proc)) files[`/proc/${pid}/stat`] = text;
  const removed: string[] = [];
  const runtime = {
    ...fakeRuntime({ files }),
    pid: () => 100,
    makeTempDir: () => "/tmp/uwsgi-edge-self",
    listDir: () => ["uwsgi-edge-self", ...Object.keys(owners)],
    removePath: (path: string) => void removed.push(path),
  };
  return { runtime, removed, logger: new Logger(() => {}) };
}

Deno.test("runtime dir: only the directories of edges known to be dead are removed", () => {
  const { runtime, removed, logger } = machine(
    {
      "uwsgi-edge-alive": "200 555",
      "uwsgi-edge-dead": "300 777",
      "uwsgi-edge-reused": "400 888",
      "uwsgi-edge-unknown": "",
    },
    { 100: stat(100, "111"), 200: stat(200, "555"), 400: stat(400, "999") },
  );
  assert.equal(createRuntimeDir(runtime, logger), "/tmp/uwsgi-edge-self");
  assert.equal(runtime.written["/tmp/uwsgi-edge-self/edge.pid"], "100 111");
  // 300 is gone and 400 is another process now; an empty note (no /proc) is left alone
  assert.deepEqual(removed.sort(), ["/tmp/uwsgi-edge-dead", "/tmp/uwsgi-edge-reused"]);
});

Deno.test("runtime dir: an edge that cannot read /proc removes nothing", () => {
  // deno run without -A: every /proc read fails, so every other edge looks dead
  const { runtime, removed, logger } = machine({ "uwsgi-edge-alive": "200 555" }, {});
  createRuntimeDir(runtime, logger);
  assert.equal(runtime.written["/tmp/uwsgi-edge-self/edge.pid"], "");
  assert.deepEqual(removed, []);
});
