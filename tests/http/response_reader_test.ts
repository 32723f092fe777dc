import assert from "node:assert/strict";
import type { ExchangeOwner } from "../../src/http/exchange_context.ts";
import {
  READ_BROKEN,
  READ_DONE,
  READ_INVALID,
  READ_MORE,
  READ_PAUSE,
  READ_STOPPED,
  READ_TUNNEL,
  ResponseReader,
} from "../../src/http/response_reader.ts";

const text = (s: string) => new TextEncoder().encode(s);
const str = (b: Uint8Array) => new TextDecoder().decode(b);

/** An owner that records what it is given; `full` makes it ask for a pause. */
function owner(full = false) {
  const seen: string[] = [];
  const events: ExchangeOwner = {
    responseHead(head, body, start, end) {
      seen.push(`head ${head.status}`);
      if (body !== null) seen.push(`body ${str(body.subarray(start, end))}`);
    },
    responseBody(bytes) {
      seen.push(`body ${str(bytes)}`);
      return !full;
    },
    responseEnd: () => seen.push("end"),
    failed: () => seen.push("failed"),
    aborted: () => seen.push("aborted"),
    requestDrained: () => seen.push("drained"),
  };
  return { seen, events };
}

/** Reads `parts` one by one; the READ_* result of each. */
function readAll(reader: ResponseReader, parts: string[]): number[] {
  return parts.map((part) => reader.read(text(part)));
}

Deno.test("ResponseReader waits for a whole head, then ends at Content-Length", () => {
  const { seen, events } = owner();
  const reader = new ResponseReader(events, false, false);
  const results = readAll(reader, [
    "HTTP/1.1 200 OK\r\nContent-Le",
    "ngth: 5\r\n\r\nhe",
    "lloEXTRA",
  ]);
  assert.deepEqual(results, [READ_MORE, READ_MORE, READ_DONE]);
  assert.deepEqual(seen, ["head 200", "body he", "body llo"]);
});

Deno.test("ResponseReader skips a 100 Continue head before the real one", () => {
  const { seen, events } = owner();
  const reader = new ResponseReader(events, false, false);
  const wire = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  assert.deepEqual(readAll(reader, [wire]), [READ_DONE]);
  assert.deepEqual(seen, ["head 200", "body ok"]);
});

Deno.test("ResponseReader decodes a chunked body and asks for a pause when the owner is full", () => {
  const { seen, events } = owner(true);
  const reader = new ResponseReader(events, false, false);
  const head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  const results = readAll(reader, [head, "3\r\nabc\r\n2\r\nde\r\n", "0\r\n\r\n"]);
  assert.deepEqual(results, [READ_MORE, READ_PAUSE, READ_DONE]);
  assert.deepEqual(seen, ["head 200", "body abc", "body de"]);
});

Deno.test("ResponseReader ends at the head for HEAD requests and 204/304", () => {
  for (const [headOnly, status] of [[true, 200], [false, 204], [false, 304]] as const) {
    const { seen, events } = owner();
    const reader = new ResponseReader(events, headOnly, false);
    const wire = `HTTP/1.1 ${status} X\r\nContent-Length: 9\r\n\r\n`;
    assert.deepEqual(readAll(reader, [wire]), [READ_DONE]);
    assert.deepEqual(seen, [`head ${status}`]);
  }
});

Deno.test("ResponseReader reads until the close without a length", () => {
  const { events } = owner();
  const reader = new ResponseReader(events, false, false);
  assert.deepEqual(readAll(reader, ["HTTP/1.1 200 OK\r\n\r\nab", "cd"]), [READ_MORE, READ_MORE]);
  assert.equal(reader.unfinished, false);
});

Deno.test("ResponseReader says invalid (502) for garbage and a 101 nobody asked for", () => {
  for (const wire of ["garbage\r\n\r\n", "HTTP/1.1 101 Switching Protocols\r\n\r\n"]) {
    const { seen, events } = owner();
    const reader = new ResponseReader(events, false, false);
    assert.deepEqual(readAll(reader, [wire]), [READ_INVALID]);
    assert.match(reader.error, /invalid response|status 101/);
    assert.deepEqual(seen, []);
  }
});

Deno.test("ResponseReader says broken for a bad chunked body after its head", () => {
  const { seen, events } = owner();
  const reader = new ResponseReader(events, false, false);
  const wire = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n";
  assert.deepEqual(readAll(reader, [wire]), [READ_BROKEN]);
  assert.match(reader.error, /bad chunked body/);
  assert.deepEqual(seen, ["head 200"]);
});

Deno.test("ResponseReader hands a 101 head over only when the exchange becomes a tunnel", () => {
  const { seen, events } = owner();
  const reader = new ResponseReader(events, false, true);
  const wire = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\nframe";
  assert.deepEqual(readAll(reader, [wire]), [READ_TUNNEL]);
  assert.deepEqual(seen, []);
  reader.startTunnel();
  assert.deepEqual(seen, ["head 101", "body frame"]);
});

Deno.test("ResponseReader stops handing pieces over once the exchange ended", () => {
  const { seen, events } = owner();
  const reader = new ResponseReader(events, false, false);
  events.responseHead = () => {
    seen.push("head, then the owner aborts");
    reader.stopped = true;
  };
  const wire = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n1\r\nb\r\n0\r\n\r\n";
  assert.deepEqual(readAll(reader, [wire]), [READ_STOPPED]);
  assert.deepEqual(seen, ["head, then the owner aborts"]);
});
