import assert from "node:assert/strict";
import { HOLD_MAX } from "../../src/runtime/_held_writes.ts";
import { EPOLLIN, EPOLLOUT, EPOLLRDHUP } from "../../src/runtime/_sys.ts";
import { accepted, text, type World, world } from "./raw_world.ts";

/** An accepted socket that holds its small writes, as the listener makes them. */
function holding(w: World) {
  return accepted(w, undefined, true);
}

const sentText = (sent: number[]) => new TextDecoder().decode(new Uint8Array(sent));

Deno.test("held writes: small writes leave together when the loop's turn ends", () => {
  const w = world();
  const { socket, file } = holding(w);
  assert.equal(socket.write(text("HTTP/1.1 200 OK\r\n\r\n")), 19, "taken at once");
  assert.equal(socket.writePair!(text("5\r\nxx"), 3, text("hello")), 8);
  const buffer = text("reused");
  assert.equal(socket.write(buffer), 6);
  buffer.fill(0);
  assert.deepEqual(file.sent, [], "nothing sent inside the turn");
  w.turn();
  assert.equal(sentText(file.sent), "HTTP/1.1 200 OK\r\n\r\n5\r\nhelloreused", "in order, copied");
  assert.equal(w.sys.pairs, 0, "one send(2)");
});

Deno.test("held writes: a big write takes what was held with it, in one call", () => {
  const w = world();
  const { socket, file } = holding(w);
  socket.write(text("head\r\n\r\n"));
  const body = new Uint8Array(HOLD_MAX).fill(120);
  assert.equal(socket.write(body), HOLD_MAX);
  assert.equal(w.sys.pairs, 1);
  assert.equal(file.sent.length, 8 + HOLD_MAX);
  assert.equal(sentText(file.sent.slice(0, 9)), "head\r\n\r\nx");
  w.turn();
  assert.equal(file.sent.length, 8 + HOLD_MAX, "nothing left to send");
});

Deno.test("held writes: what the kernel does not take waits for writable, then drain", () => {
  const w = world();
  const { fd, socket, owner, file } = holding(w);
  file.capacity = 4;
  socket.write(text("abcdefgh"));
  w.turn();
  assert.equal(sentText(file.sent), "abcd");
  assert.equal(socket.write(text("ij")), 0, "nothing passes what is still held");
  file.capacity = Infinity;
  w.sys.raise(fd, EPOLLOUT);
  w.turn();
  assert.equal(sentText(file.sent), "abcdefgh");
  assert.deepEqual(owner.log, ["drain"], "told once the held bytes are gone");
  assert.equal(socket.write(text("ij")), 2);
  w.turn();
  assert.equal(sentText(file.sent), "abcdefghij");
});

Deno.test("held writes: end() and finish() wait for the held bytes, then end", () => {
  const w = world();
  const a = holding(w);
  a.socket.write(text("bye"));
  a.socket.end();
  assert.equal(a.file.shutdown, false);
  w.turn();
  assert.equal(sentText(a.file.sent), "bye");
  assert.equal(a.file.shutdown, true, "the write side shut after the bytes");

  const b = holding(w);
  b.file.capacity = 2;
  b.socket.write(text("last"));
  b.socket.finish();
  assert.deepEqual(b.owner.log, [], "not closed with bytes held");
  w.turn();
  assert.equal(b.file.closed, false, "the kernel took only part of them");
  b.file.capacity = Infinity;
  w.sys.raise(b.fd, EPOLLOUT);
  w.turn();
  assert.equal(sentText(b.file.sent), "last");
  assert.equal(b.file.closed, true);
  assert.deepEqual(b.owner.log, ["closed"]);
});

Deno.test("held writes: the peer's FIN after end() does not lose the held bytes", () => {
  const w = world();
  const { fd, socket, owner, file } = holding(w);
  file.capacity = 0;
  socket.write(text("answer"));
  socket.end();
  w.turn();
  file.eof = true;
  w.sys.raise(fd, EPOLLIN | EPOLLRDHUP);
  w.turn();
  assert.deepEqual(owner.log, ["end"]);
  assert.equal(file.closed, false);
  file.capacity = Infinity;
  w.sys.raise(fd, EPOLLOUT);
  w.turn();
  assert.equal(sentText(file.sent), "answer");
  assert.deepEqual(owner.log, ["end", "closed"]);
  assert.equal(file.closed, true);
});

Deno.test("held writes: terminate() drops what is held and sends nothing", () => {
  const w = world();
  const { socket, owner, file } = holding(w);
  socket.write(text("never"));
  socket.terminate();
  w.turn();
  assert.deepEqual(file.sent, []);
  assert.deepEqual(owner.log, ["closed"]);
});
