import assert from "node:assert/strict";
import { magicTable, parseIni, substituteMagic } from "../../src/config/ini.ts";

const ctx = {
  path: "/tmp/demo/conf/sub/myapp.ini",
  asGiven: "conf/sub/myapp.ini",
  section: "",
  hostname: "vm",
  cpuCount: 2,
  cwd: "/tmp/demo",
  now: 1_700_000_000,
  version: "0.1.0",
};

Deno.test("magicTable() gives the §7.3 values for a file", () => {
  const t = magicTable(ctx);
  assert.equal(t.get("p"), "/tmp/demo/conf/sub/myapp.ini");
  assert.equal(t.get("d"), "/tmp/demo/conf/sub/");
  assert.equal(t.get("s"), "myapp.ini");
  assert.equal(t.get("n"), "myapp");
  assert.equal(t.get("e"), "ini");
  assert.equal(t.get("c"), "sub");
  assert.equal(t.get("0"), "tmp");
  assert.equal(t.get("3"), "sub");
  assert.equal(t.get("h"), "vm");
  assert.equal(t.get("k"), "2");
  assert.equal(t.get("o"), "conf/sub/myapp.ini");
  assert.equal(t.get("P"), "/tmp/demo/conf/sub/myapp.ini");
});

Deno.test("magicTable() upper-case letters describe the first config file", () => {
  const t = magicTable({ ...ctx, path: "/etc/other.ini", first: ctx });
  assert.equal(t.get("n"), "other");
  assert.equal(t.get("N"), "myapp");
  assert.equal(t.get("D"), "/tmp/demo/conf/sub/");
});

Deno.test("substituteMagic() keeps %( and %%, drops unknown letters with a warning", () => {
  const out = substituteMagic("a = %n\nb = %(x)\nc = 100%%\nd = x%zy\n", magicTable(ctx), "f.ini");
  assert.equal(out.text, "a = myapp\nb = %(x)\nc = 100%\nd = xy\n");
  assert.deepEqual(out.warnings, ['f.ini:4: unknown magic variable "%z" was replaced by nothing']);
});

Deno.test("substituteMagic() joins a line ending in % with the next one, as uWSGI does", () => {
  const out = substituteMagic("b = 100%\nc = 1\n", magicTable(ctx), "f.ini");
  assert.equal(out.text, "b = 100c = 1\n");
  assert.equal(out.warnings.length, 1);
});

Deno.test("parseIni() keeps repeated keys, reopened sections, bare keys and raw values", () => {
  const text = [
    "[uwsgi]",
    "http = :1",
    "  http = :2  ",
    "; comment",
    "# comment",
    "master",
    'inline = "x" ; y',
    "http-var = A=B=C",
    "[other]",
    "http = :3",
    "[uwsgi]",
    "http = :4",
  ].join("\n");
  const { entries, sectionFound } = parseIni(text, "f.ini", "uwsgi");
  assert.ok(sectionFound);
  assert.deepEqual(entries.map((e) => [e.key, e.value, e.origin]), [
    ["http", ":1", "f.ini:2"],
    ["http", ":2", "f.ini:3"],
    ["master", "", "f.ini:6"],
    ["inline", '"x" ; y', "f.ini:7"],
    ["http-var", "A=B=C", "f.ini:8"],
    ["http", ":4", "f.ini:12"],
  ]);
  assert.equal(entries[2]!.bare, true);
  assert.deepEqual(parseIni(text, "f.ini", "other").entries.map((e) => e.value), [":3"]);
  assert.equal(parseIni(text, "f.ini", "missing").sectionFound, false);
});

Deno.test("parseIni() handles CRLF files", () => {
  const { entries } = parseIni("[uwsgi]\r\nhttp = :1\r\n", "f.ini", "uwsgi");
  assert.deepEqual(entries.map((e) => e.value), [":1"]);
});
