import assert from "node:assert/strict";
import { hostOf, inetAddress, portOf, unixAddress } from "../../src/runtime/_sockaddr.ts";
import { AF_INET, AF_INET6, AF_UNIX } from "../../src/runtime/_sys.ts";

Deno.test("inetAddress() encodes IPv4 with the port in network order", () => {
  const a = inetAddress("127.0.0.1", 8080)!;
  assert.equal(a.family, AF_INET);
  assert.deepEqual([...a.bytes.subarray(0, 8)], [AF_INET, 0, 0x1f, 0x90, 127, 0, 0, 1]);
  assert.equal(portOf(a.bytes), 8080);
  assert.equal(hostOf(a.bytes), "127.0.0.1");
});

Deno.test("inetAddress() reads every IPv6 form and hostOf() writes the short one", () => {
  const cases: Array<[string, string]> = [
    ["::1", "::1"],
    ["::", "::"],
    ["[::1]", "::1"],
    ["2001:db8:0:0:0:0:2:1", "2001:db8::2:1"],
    ["2001:DB8::1:0:0:1", "2001:db8::1:0:0:1"],
    ["fe80::1:2", "fe80::1:2"],
    ["::ffff:10.1.2.3", "::ffff:10.1.2.3"],
    ["1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"],
  ];
  for (const [given, shown] of cases) {
    const a = inetAddress(given, 443);
    assert.ok(a, given);
    assert.equal(a.family, AF_INET6);
    assert.equal(a.bytes.length, 28);
    assert.equal(hostOf(a.bytes), shown, given);
    assert.equal(portOf(a.bytes), 443);
  }
});

Deno.test("inetAddress() leaves host names and malformed addresses to the resolver", () => {
  for (
    const host of [
      "localhost",
      "app.internal",
      "1.2.3",
      "1.2.3.256",
      "1::2::3",
      "1:2:3",
      "fe80::1%eth0",
    ]
  ) {
    assert.equal(inetAddress(host, 80), null, host);
  }
});

Deno.test("unixAddress() encodes the path with its NUL, and refuses one too long", () => {
  const a = unixAddress("/tmp/app.sock");
  assert.equal(a.family, AF_UNIX);
  assert.equal(a.bytes.length, 2 + 13 + 1);
  assert.equal(a.bytes.at(-1), 0);
  assert.throws(
    () => unixAddress(`/tmp/${"x".repeat(110)}`),
    (e: Error) => e instanceof RangeError && /at most 107 fit/.test(e.message),
  );
});

Deno.test("hostOf() says 0.0.0.0 for a unix peer", () => {
  assert.equal(hostOf(new Uint8Array([AF_UNIX, 0, 0, 0])), "0.0.0.0");
});
