import assert from "node:assert/strict";
import { headerVarName, type RequestFacts, requestVars } from "../../src/uwsgi/request_vars.ts";

const facts = (over: Partial<RequestFacts> = {}): RequestFacts => ({
  method: "POST",
  target: "/p%41th/x?q=1&r",
  protocol: "HTTP/1.1",
  headers: [
    ["Host", "h.example"],
    ["Content-Type", "text/plain"],
    ["Content-Length", "4"],
    ["X-A", "1"],
    ["x-a", "2"],
    ["User-Agent", "t"],
  ],
  remoteAddr: "127.0.0.1",
  remotePort: 40000,
  serverPort: "8105",
  https: false,
  ...over,
});

const settings = {
  hostname: "vm",
  serverNameAsHttpHost: false,
  extra: [["X", "1"]] as [string, string][],
};

Deno.test("requestVars() follows the wire order uWSGI's router uses (spec §1.6)", () => {
  assert.deepEqual(requestVars(facts(), settings), [
    ["REQUEST_METHOD", "POST"],
    ["PATH_INFO", "/pAth/x"],
    ["REQUEST_URI", "/p%41th/x?q=1&r"],
    ["QUERY_STRING", "q=1&r"],
    ["SERVER_PROTOCOL", "HTTP/1.1"],
    ["SCRIPT_NAME", ""],
    ["SERVER_NAME", "vm"],
    ["SERVER_PORT", "8105"],
    ["UWSGI_ROUTER", "http"],
    ["REMOTE_ADDR", "127.0.0.1"],
    // the real port, not uWSGI 2.0's byte-swapped 16540 (spec §1.9)
    ["REMOTE_PORT", "40000"],
    ["HTTP_HOST", "h.example"],
    ["CONTENT_TYPE", "text/plain"],
    ["CONTENT_LENGTH", "4"],
    ["HTTP_X_A", "1, 2"],
    ["HTTP_USER_AGENT", "t"],
    ["X", "1"],
  ]);
});

Deno.test("requestVars() puts REQUEST_URI first and an empty QUERY_STRING without '?'", () => {
  const vars = requestVars(facts({ target: "/plain", headers: [] }), { ...settings, extra: [] });
  assert.deepEqual(vars.slice(0, 4), [
    ["REQUEST_METHOD", "POST"],
    ["REQUEST_URI", "/plain"],
    ["PATH_INFO", "/plain"],
    ["QUERY_STRING", ""],
  ]);
});

Deno.test("requestVars() keeps '#' in QUERY_STRING and decodes PATH_INFO before '?'", () => {
  const vars = new Map(requestVars(facts({ target: "/a%3Fb?c#d" }), settings));
  assert.equal(vars.get("PATH_INFO"), "/a?b");
  assert.equal(vars.get("QUERY_STRING"), "c#d");
});

Deno.test("requestVars() adds HTTPS=on after UWSGI_ROUTER on https listeners", () => {
  const keys = requestVars(facts({ https: true }), settings).map(([k]) => k);
  assert.equal(keys[keys.indexOf("UWSGI_ROUTER") + 1], "HTTPS");
});

Deno.test("requestVars() uses the Host header as SERVER_NAME when asked to", () => {
  const vars = requestVars(facts(), { ...settings, serverNameAsHttpHost: true });
  const keys = vars.map(([k]) => k);
  assert.equal(keys.filter((k) => k === "SERVER_NAME").length, 1);
  assert.equal(keys[keys.indexOf("HTTP_HOST") + 1], "SERVER_NAME");
  assert.equal(new Map(vars).get("SERVER_NAME"), "h.example");
  const noHost = requestVars(facts({ headers: [] }), { ...settings, serverNameAsHttpHost: true });
  assert.ok(!noHost.some(([k]) => k === "SERVER_NAME"));
});

Deno.test("headerVarName() upper-cases, maps '-' to '_' and spares CONTENT_*", () => {
  assert.equal(headerVarName("x-forwarded-for"), "HTTP_X_FORWARDED_FOR");
  assert.equal(headerVarName("Content-Type"), "CONTENT_TYPE");
  assert.equal(headerVarName("content-length"), "CONTENT_LENGTH");
  assert.equal(headerVarName("x_a"), "HTTP_X_A");
});
