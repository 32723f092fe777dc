import assert from "node:assert/strict";
import {
  decodePacket,
  encodePacket,
  MAX_VARS_SIZE,
  MODIFIER1_SUBSCRIPTION,
  type Var,
} from "../../src/uwsgi/packet.ts";

function hex(text: string): Uint8Array {
  return new Uint8Array(text.trim().split(/\s+/).map((b) => parseInt(b, 16)));
}

function ascii(text: string): number[] {
  return [...text].map((c) => c.charCodeAt(0));
}

Deno.test("encodePacket() writes the spec §1.2 two-var example byte for byte", () => {
  const expected = new Uint8Array([
    0x00,
    0x23,
    0x00,
    0x00,
    0x0e,
    0x00,
    ...ascii("REQUEST_METHOD"),
    0x03,
    0x00,
    ...ascii("GET"),
    0x09,
    0x00,
    ...ascii("PATH_INFO"),
    0x01,
    0x00,
    ...ascii("/"),
  ]);
  assert.deepEqual(encodePacket([["REQUEST_METHOD", "GET"], ["PATH_INFO", "/"]]), expected);
});

// spec §6.2: a subscription packet captured from uWSGI 2.0.21
const SUBSCRIPTION = hex(`
e0 65 00 00 03 00 6b 65 79 0b 00 65 78 61 6d 70
6c 65 2e 63 6f 6d 07 00 61 64 64 72 65 73 73 0e
00 31 32 37 2e 30 2e 30 2e 31 3a 33 30 33 31 09
00 6d 6f 64 69 66 69 65 72 31 01 00 30 09 00 6d
6f 64 69 66 69 65 72 32 01 00 30 05 00 63 6f 72
65 73 01 00 31 04 00 6c 6f 61 64 01 00 30 06 00
77 65 69 67 68 74 01 00 30`);

const SUBSCRIPTION_VARS: Var[] = [
  ["key", "example.com"],
  ["address", "127.0.0.1:3031"],
  ["modifier1", "0"],
  ["modifier2", "0"],
  ["cores", "1"],
  ["load", "0"],
  ["weight", "0"],
];

Deno.test("decodePacket() reads a real uWSGI subscription packet", () => {
  const packet = decodePacket(SUBSCRIPTION);
  assert.equal(packet.modifier1, MODIFIER1_SUBSCRIPTION);
  assert.equal(packet.modifier2, 0);
  assert.deepEqual(packet.vars, SUBSCRIPTION_VARS);
});

Deno.test("encodePacket() reproduces the real subscription packet", () => {
  assert.deepEqual(encodePacket(SUBSCRIPTION_VARS, MODIFIER1_SUBSCRIPTION, 0), SUBSCRIPTION);
});

Deno.test("encodePacket() and decodePacket() round-trip random vars", () => {
  let seed = 7;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  for (let round = 0; round < 200; round++) {
    const vars: Var[] = [];
    for (let i = rand(8); i >= 0; i--) {
      const key = String.fromCharCode(...Array.from({ length: 1 + rand(20) }, () => 1 + rand(255)));
      const value = String.fromCharCode(...Array.from({ length: rand(300) }, () => rand(256)));
      vars.push([key, value]);
    }
    const m1 = rand(256);
    const m2 = rand(256);
    const decoded = decodePacket(encodePacket(vars, m1, m2));
    assert.deepEqual(decoded, { modifier1: m1, modifier2: m2, vars });
  }
});

Deno.test("encodePacket() writes characters above 255 as UTF-8", () => {
  const packet = encodePacket([["K", "é€"]]);
  // "é" is one byte (a byte string), the string holds "€" so it is UTF-8 encoded as a whole
  assert.deepEqual([...packet.subarray(7)], [0x05, 0x00, 0xc3, 0xa9, 0xe2, 0x82, 0xac]);
});

Deno.test("encodePacket() refuses a var block larger than 65535 bytes", () => {
  const big = "x".repeat(MAX_VARS_SIZE);
  assert.throws(() => encodePacket([["HTTP_COOKIE", big]]), {
    name: "RangeError",
    message: "The uwsgi var block is 65550 bytes, more than 65535",
  });
  assert.equal(encodePacket([["K", "x".repeat(MAX_VARS_SIZE - 5)]]).length, 4 + MAX_VARS_SIZE);
});

Deno.test("encodePacket() refuses an empty key", () => {
  assert.throws(() => encodePacket([["", "v"]]), {
    name: "RangeError",
    message: "A uwsgi var key cannot be empty",
  });
});

Deno.test("decodePacket() rejects truncated and overrunning var blocks", () => {
  assert.throws(() => decodePacket(new Uint8Array([0, 1])), {
    name: "RangeError",
    message: "A uwsgi packet needs 4 header bytes, got 2",
  });
  assert.throws(() => decodePacket(SUBSCRIPTION.subarray(0, 50)), {
    name: "RangeError",
    message: "The uwsgi var block claims 101 bytes, only 46 follow",
  });
  const huge = new Uint8Array([224, 6, 0, 0, 3, 0, 0x6b, 0x65, 0x79, 0xff]);
  assert.throws(() => decodePacket(huge, { toEnd: true }), RangeError);
  const lying = new Uint8Array([224, 6, 0, 0, 0xff, 0xff, 0x6b, 0x65, 0x79, 0x00]);
  assert.throws(() => decodePacket(lying), {
    name: "RangeError",
    message: "A uwsgi var of 65535 bytes at byte 6 overruns",
  });
});

Deno.test("decodePacket() rejects an empty key", () => {
  assert.throws(() => decodePacket(new Uint8Array([0, 4, 0, 0, 0, 0, 0, 0])), {
    name: "SyntaxError",
    message: "A uwsgi var key at byte 4 is empty",
  });
});
