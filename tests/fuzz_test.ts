/**
 * Property-based fuzzing of the decoders that read untrusted bytes: 100k generated inputs
 * each, in bounded time. Nothing may throw but the documented errors, and what is encoded
 * the normal way decodes back to itself.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { ConfigError } from "../src/config/errors.ts";
import { magicTable, parseIni, substituteMagic } from "../src/config/ini.ts";
import { loadConfig } from "../src/config/load.ts";
import { FIELDS, RequestError } from "../src/http/request_head.ts";
import { findHeadEnd, parseRequestHead } from "../src/http/request_parser.ts";
import { ChunkedDecoder } from "../src/uwsgi/chunked.ts";
import { parseResponseHead, responseHeaders } from "../src/uwsgi/response_head.ts";

const RUNS = 100_000;
const text = (b: Uint8Array, start: number, end: number) =>
  String.fromCharCode(...b.subarray(start, end));
const bytes = (s: string) => Uint8Array.from([...s].map((c) => c.charCodeAt(0)));

/** Bytes biased towards what HTTP heads are made of. */
const headBytes = fc.array(
  fc.oneof(
    {
      weight: 6,
      arbitrary: fc.constantFrom(
        ..."GET /a HTTP/1.1\r\nHost: h:Content-Length 0-9,".split("").map((c) => c.charCodeAt(0)),
      ),
    },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) },
  ),
  { maxLength: 200 },
).map((a) => Uint8Array.from(a));

const token = fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^`|~-]{1,10}$/);
const value = fc.stringMatching(/^[\x21-\x7e]([\x20-\x7e]{0,20}[\x21-\x7e])?$/);

Deno.test("parseRequestHead() throws nothing but RequestError on any bytes", () => {
  fc.assert(
    fc.property(headBytes, (input) => {
      const source = Uint8Array.from([...input, 13, 10, 13, 10]);
      const end = findHeadEnd(source, 0, 0, source.length);
      try {
        const head = parseRequestHead(source, 0, end);
        assert.ok(head.count >= 0);
      } catch (error) {
        if (!(error instanceof RequestError)) throw error;
        assert.ok([400, 431, 501, 505].includes(error.status), String(error.status));
      }
    }),
    { numRuns: RUNS },
  );
});

Deno.test("parseRequestHead() reads back the heads it is given", () => {
  fc.assert(
    fc.property(token, fc.array(fc.tuple(token, value), { maxLength: 6 }), (method, fields) => {
      const headers: Array<[string, string]> = [
        ["Host", "h"],
        ...fields.filter(([n]) => !/^(host|content-length|transfer-encoding|connection)$/i.test(n)),
      ];
      const source = bytes(
        `${method} /x HTTP/1.1\r\n${headers.map(([n, v]) => `${n}: ${v}\r\n`).join("")}\r\n`,
      );
      const head = parseRequestHead(source, 0, source.length);
      assert.equal(head.method, method);
      assert.equal(head.target, "/x");
      const back: Array<[string, string]> = [];
      for (let i = 0; i < head.count; i++) {
        back.push([
          text(source, FIELDS[i * 4]!, FIELDS[i * 4 + 1]!),
          text(source, FIELDS[i * 4 + 2]!, FIELDS[i * 4 + 3]!),
        ]);
      }
      assert.deepEqual(back, headers);
    }),
    { numRuns: RUNS },
  );
});

Deno.test("ChunkedDecoder throws nothing but RangeError and SyntaxError on any bytes", () => {
  const chunkBytes = fc.array(
    fc.oneof(
      {
        weight: 5,
        arbitrary: fc.constantFrom(
          ..."0123456789abcdefxX;= \r\n".split("").map((c) => c.charCodeAt(0)),
        ),
      },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) },
    ),
    { maxLength: 100 },
  );
  fc.assert(
    fc.property(chunkBytes, (input) => {
      const decoder = new ChunkedDecoder();
      try {
        decoder.decode(Uint8Array.from(input));
      } catch (error) {
        if (!(error instanceof RangeError || error instanceof SyntaxError)) throw error;
      }
    }),
    { numRuns: RUNS },
  );
});

Deno.test("ChunkedDecoder decodes any body chunked and split anyhow", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 300 }),
      fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 8 }),
      fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 8 }),
      (body, chunkSizes, splits) => {
        // encode with the chunk sizes given (cycled), then feed in the splits given
        const parts: number[] = [];
        let at = 0;
        for (let i = 0; at < body.length; i++) {
          const n = Math.min(chunkSizes[i % chunkSizes.length]!, body.length - at);
          parts.push(...bytes(`${n.toString(16)}\r\n`), ...body.subarray(at, at + n), 13, 10);
          at += n;
        }
        parts.push(...bytes("0\r\n\r\n"));
        const wire = Uint8Array.from(parts);
        const decoder = new ChunkedDecoder();
        const out: number[] = [];
        let from = 0;
        for (let i = 0; from < wire.length && !decoder.done; i++) {
          const to = Math.min(wire.length, from + splits[i % splits.length]!);
          for (const piece of decoder.decode(wire.subarray(from, to))) out.push(...piece);
          from += decoder.consumed;
        }
        assert.ok(decoder.done);
        assert.deepEqual(Uint8Array.from(out), body);
      },
    ),
    { numRuns: RUNS },
  );
});

Deno.test("parseResponseHead() throws nothing but SyntaxError and RangeError on any bytes", () => {
  fc.assert(
    fc.property(headBytes, (input) => {
      const source = Uint8Array.from([...bytes("HTTP/1.1 "), ...input, 13, 10, 13, 10]);
      for (const b of [source, Uint8Array.from([...input, 10, 10])]) {
        try {
          parseResponseHead(b, b.length);
        } catch (error) {
          if (!(error instanceof SyntaxError || error instanceof RangeError)) throw error;
        }
      }
    }),
    { numRuns: RUNS },
  );
});

Deno.test("parseResponseHead() reads back the heads it is given", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 200, max: 599 }),
      fc.array(fc.tuple(token, value), { maxLength: 6 }),
      (status, fields) => {
        const headers = fields.filter(([n]) => !/^content-length$/i.test(n));
        const source = bytes(
          `HTTP/1.1 ${status} Reason\r\n${headers.map(([n, v]) => `${n}: ${v}\r\n`).join("")}\r\n`,
        );
        const head = parseResponseHead(source, source.length)!;
        assert.equal(head.status, status);
        assert.deepEqual(responseHeaders(head), headers);
        assert.equal(head.bodyStart, source.length);
      },
    ),
    { numRuns: RUNS },
  );
});

Deno.test("the ini reader and the config loader take any text without an unexpected exception", () => {
  const table = magicTable({
    path: "/srv/app.ini",
    asGiven: "app.ini",
    section: "",
    hostname: "vm",
    cpuCount: 2,
    cwd: "/srv",
    now: 1_700_000_000,
    version: "0.1.0",
  });
  const iniText = fc.array(
    fc.oneof(
      {
        weight: 5,
        arbitrary: fc.constantFrom(..."[uwsgi]\nhttp=:8080\n;#%(d)$ab=\r \t".split("")),
      },
      { weight: 1, arbitrary: fc.string({ maxLength: 3 }) },
    ),
    { maxLength: 80 },
  ).map((a) => a.join(""));
  fc.assert(
    fc.property(iniText, (source) => {
      const { text: substituted } = substituteMagic(source, table, "app.ini");
      const result = parseIni(substituted, "app.ini", "uwsgi");
      for (const entry of result.entries) {
        assert.equal(typeof entry.key, "string");
        assert.match(entry.origin, /^app\.ini:\d+$/);
      }
      // and the entries into a config: a ConfigError is the only way to say no
      try {
        loadConfig(result.entries, { env: {}, readFile: () => "" });
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
      }
    }),
    { numRuns: RUNS },
  );
});
