import assert from "node:assert/strict";
import { ConfigError } from "../../src/config/errors.ts";
import { workerIni } from "../../src/supervisor/worker_ini.ts";

const e = (key: string, value: string) => ({ key, value, origin: "app.ini:1" });

Deno.test("workerIni() writes the app options behind the private socket", () => {
  const { text: ini } = workerIni(
    [
      e("module", "app:application"),
      e("processes", "4"),
      e("env", "A=50%"),
      e("max-requests", "100"),
    ],
    "/run/edge/app.sock",
  );
  assert.equal(
    ini,
    [
      "; written by uwsgi-edge for its workers; edits are lost on restart",
      "[uwsgi]",
      "plugins = python3",
      "socket = /run/edge/app.sock",
      "master = true",
      "die-on-term = true",
      "no-orphans = true",
      "need-app = true",
      "disable-logging = true",

      "module = app:application",
      "processes = 4",
      "env = A=50%%",
      "max-requests = 100",
      "",
    ].join("\n"),
  );
});

Deno.test("workerIni() keeps the user's plugins but never the router's", () => {
  const { text: ini } = workerIni([e("plugins", "http, python3"), e("plugin", "corerouter")], "/s");
  assert.match(ini, /^plugins = python3$/m);
  assert.doesNotMatch(ini, /http|corerouter/);
});

Deno.test("workerIni() refuses a value spanning lines", () => {
  assert.throws(() => workerIni([e("env", "A=1\nB=2")], "/s"), ConfigError);
});

Deno.test("workerIni() drops what the edge owns and keeps daemonize's log file", () => {
  const { text, warnings } = workerIni(
    [
      e("socket", ":3031"),
      e("protocol", "http"),
      e("daemonize", "/var/log/app.log"),
      e("module", "app"),
    ],
    "/s",
  );
  assert.doesNotMatch(text, /:3031|protocol|daemonize/);
  assert.match(text, /^logto = \/var\/log\/app\.log$/m);
  assert.match(text, /^module = app$/m);
  assert.equal(warnings.length, 3);
  assert.match(warnings[0]!, /^Dropping option "socket" \(app\.ini:1\) from the workers/);
});
