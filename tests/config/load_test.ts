import assert from "node:assert/strict";
import { main, readConfig } from "../../src/cli/main.ts";
import { ConfigError } from "../../src/config/errors.ts";
import { fakeRuntime } from "../fake_runtime.ts";

const APP_INI = Deno.readTextFileSync(new URL("../testdata/conf/app.ini", import.meta.url));
const EXTRA_INI = Deno.readTextFileSync(new URL("../testdata/conf/extra.ini", import.meta.url));
const files = { "/srv/conf/app.ini": APP_INI, "/srv/conf/extra.ini": EXTRA_INI };

function load(
  args: string[],
  extra: { env?: Record<string, string>; files?: Record<string, string> } = {},
) {
  return readConfig(
    args,
    fakeRuntime({ files: { ...files, ...extra.files }, env: extra.env ?? {}, cwd: "/srv" }),
  );
}

function configError(args: string[], message: string, extra = {}) {
  assert.throws(() => load(args, extra), (error: unknown) => {
    assert.ok(error instanceof ConfigError, String(error));
    assert.equal(error.message, message);
    return true;
  });
}

Deno.test("readConfig() loads an ini with placeholders, includes in place and reopened sections", () => {
  const { config, warnings } = load(["--config", "conf/app.ini"]);
  assert.deepEqual(config.listeners.map((l) => [l.option, l.spec, l.serverPort]), [
    ["http", "127.0.0.1:9000", "9000"],
  ]);
  assert.deepEqual(config.nodes.map((n) => n.spec), [
    "/tmp/a.sock",
    "127.0.0.1:3031",
    "/tmp/from-extra.sock",
  ]);
  assert.equal(config.timeout, 10);
  assert.equal(config.keepalive, 1, "http-keepalive = true means on (not uWSGI's 0)");
  assert.deepEqual(config.vars, [["REOPENED", "1"]]);
  assert.deepEqual(warnings, []);
});

Deno.test("readConfig() reads file:section and :section", () => {
  const { config } = load(["--ini", "conf/app.ini:other"]);
  assert.deepEqual(config.listeners.map((l) => l.address), [
    { transport: "tcp", hostname: "0.0.0.0", port: 7000 },
  ]);
  assert.deepEqual(config.nodes.map((n) => n.spec), ["/tmp/other.sock"]);
});

Deno.test("readConfig() lets the command line after an ini override scalars and add to lists", () => {
  const { config } = load(["conf/app.ini", "--http-timeout", "5", "--http-to=127.0.0.1:4000"]);
  assert.equal(config.timeout, 5);
  assert.equal(config.nodes.at(-1)?.spec, "127.0.0.1:4000");
});

Deno.test("readConfig() reads UWSGI_* environment options and $(ENV)", () => {
  const { config } = load(["--http", ":$(PORT)"], {
    env: { PORT: "5000", UWSGI_HTTP_TO: "/tmp/env.sock", UWSGI_RELOADS: "3" },
  });
  assert.equal(
    config.listeners[0]!.address.transport === "tcp" && config.listeners[0]!.address.port,
    5000,
  );
  assert.deepEqual(config.nodes.map((n) => n.spec), ["/tmp/env.sock"]);
});

Deno.test("readConfig() supports --set and %() in command-line values", () => {
  const { config } = load(["--set", "base=8000", "--http", ":%(base + 80)", "--http-to", "/s"]);
  assert.equal(config.listeners[0]!.serverPort, "8080");
});

Deno.test("readConfig() warns about an unknown ini key that nothing uses", () => {
  const { warnings } = load(["conf/x.ini"], {
    files: { "/srv/conf/x.ini": "[uwsgi]\nhtp = :80\nused = 1\nhttp-to = /s%(used)\n" },
  });
  assert.deepEqual(warnings, [
    'Unknown option "htp" (conf/x.ini:2) is kept as a placeholder but nothing uses it: did you mean "http"?',
  ]);
});

Deno.test("readConfig() applies strict to unknown ini keys", () => {
  configError(["conf/x.ini"], 'Unknown option "htp" (conf/x.ini:3): did you mean "http"?', {
    files: { "/srv/conf/x.ini": "[uwsgi]\nstrict = true\nhtp = :80\n" },
  });
});

Deno.test("readConfig() rejects bad values naming option, origin and value", () => {
  configError(
    ["conf/x.ini"],
    'Cannot use option "http-timeout" (conf/x.ini:2) as it must be a non-negative integer: current value is "ten"',
    { files: { "/srv/conf/x.ini": "[uwsgi]\nhttp-timeout = ten\n" } },
  );
  configError(
    ["--http", "127.0.0.1:99999"],
    'Cannot use option "http" (command line) as the port must be a number from 0 to 65535: current value is "127.0.0.1:99999"',
  );
  configError(
    ["--disable-logging=maybe"],
    'Cannot use option "disable-logging" (command line) as it must be true/yes/on/1 or false/no/off/0: current value is "maybe"',
  );
  configError(
    ["--http-to", "@abstract"],
    'Cannot use option "http-to" (command line) as abstract unix sockets are not supported: use a path: current value is "@abstract"',
  );
});

Deno.test("readConfig() suggests the closest option for an unknown flag", () => {
  configError(["--htp", ":80"], 'Unknown option "htp" (command line): did you mean "http"?');
  configError(
    ["--http-timeot", "3"],
    'Unknown option "http-timeot" (command line): did you mean "http-timeout"?',
  );
});

Deno.test("readConfig() names a missing ini file", () => {
  configError(
    ["--ini", "nope.ini"],
    'Cannot use option "ini" (command line) as the file cannot be read (No such file or directory: /srv/nope.ini): current value is "nope.ini"',
  );
});

Deno.test("readConfig() refuses options it does not implement, saying so", () => {
  configError(
    ["--http-raw-body"],
    'Cannot use option "http-raw-body" (command line) as raw-mode request bodies is not available in this version of uwsgi-edge: current value is ""',
  );
});

Deno.test("readConfig() ignores http-var entries without '=' with a warning", () => {
  const { config, warnings } = load([
    "--http-var",
    "NOEQ",
    "--http-var",
    "K=",
    "--http-var",
    "A=B=C",
  ]);
  assert.deepEqual(config.vars, [["K", ""], ["A", "B=C"]]);
  assert.equal(warnings.length, 1);
});

Deno.test("main() exits 2 with one line for a config error, 0 for --help and --get", async () => {
  const runtime = fakeRuntime();
  assert.equal(await main(["--htp", ":80"], runtime), 2);
  assert.deepEqual(runtime.stderr, [
    'uwsgi-edge: Unknown option "htp" (command line): did you mean "http"?\n',
  ]);

  const nothing = fakeRuntime();
  assert.equal(await main([], nothing), 2);
  assert.match(nothing.stderr.join(""), /no listener is configured/);

  const help = fakeRuntime();
  assert.equal(await main(["--help"], help), 0);
  assert.match(help.stdout.join(""), /--http-to ADDR/);

  const get = fakeRuntime();
  assert.equal(await main(["--set", "a=1", "--http", ":%(a + 1)", "--get", "http"], get), 0);
  assert.deepEqual(get.stdout, [":2\n"]);
});

Deno.test("readConfig() reads --http-keepalive N, and explains --flag VALUE for booleans", () => {
  assert.equal(load(["--http-keepalive", "75"]).config.keepalive, 75);
  assert.equal(load(["--http-keepalive"]).config.keepalive, 1);
  assert.equal(load(["--http-keepalive=off"]).config.keepalive, 0);
  configError(
    ["--disable-logging", "yes"],
    'Cannot use argument "yes" (command line) after "--disable-logging" as that option takes a value only as --disable-logging=VALUE',
  );
});
