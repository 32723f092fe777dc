import assert from "node:assert/strict";
import { decodePathInfo } from "../../src/uwsgi/path_info.ts";

// spec §1.8: every vector verified against uWSGI 2.0.21 (path part only; the query is cut
// by requestVars before decoding)
const VECTORS: Array<[string, string]> = [
  ["/", "/"],
  ["/a//b", "/a//b"],
  ["//a", "//a"],
  ["/a/./b", "/a/b"],
  ["/a/../b", "/b"],
  ["/../a", "/a"],
  ["/a/b/..", "/a/"],
  ["/a/b/../", "/a/"],
  ["/a/b/.", "/a/b/"],
  ["/.", "/"],
  ["/..", ""],
  ["/a/b/../../..", ""],
  ["/a/..b", "/a/..b"],
  ["/a/...", "/a/..."],
  ["/a%2Fb", "/a/b"],
  ["/a%2e%2e/b", "/a../b"],
  ["/%2e%2e/x", "/../x"],
  ["/a%20b", "/a b"],
  ["/a+b", "/a+b"],
  ["/%41%42", "/AB"],
  ["/%4", "/"],
  ["/%zz", "/\x00"],
  ["/%%", "/%"],
  ["/x%", "/x"],
  ["/a#b", "/a"],
  ["/a", "/a"],
  ["/a%3Fb", "/a?b"],
  ["rel", "rel"],
  ["rel/../x", "/x"],
  ["*", "*"],
  ["/caf%C3%A9", "/caf\xc3\xa9"],
  ["/a;p=1/b", "/a;p=1/b"],
  ["/a%00b", "/a\x00b"],
  ["http://example.com//x/../y", "http://example.com//y"],
];

for (const [input, expected] of VECTORS) {
  Deno.test(`decodePathInfo() maps ${JSON.stringify(input)} to ${JSON.stringify(expected)}`, () => {
    assert.equal(decodePathInfo(input), expected);
  });
}

Deno.test("decodePathInfo() never grows a path and keeps plain ones as they are", () => {
  const alphabet = "/.%2eAz#";
  for (let n = 0; n < 2000; n++) {
    let path = "/";
    const len = (n * 7) % 12;
    for (let i = 0; i < len; i++) path += alphabet[(n * 31 + i * 17) % alphabet.length];
    assert.ok(decodePathInfo(path).length <= path.length, path);
  }
  assert.equal(decodePathInfo("/plain/path"), "/plain/path");
});
