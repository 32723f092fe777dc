import assert from "node:assert/strict";
import { READ_SIZE } from "../../src/runtime/_raw_socket.ts";
import { rawConnect } from "../../src/runtime/_raw_connect.ts";
import { EINPROGRESS, EPOLLERR, EPOLLIN, EPOLLOUT, EPOLLRDHUP } from "../../src/runtime/_sys.ts";
import { ECONNREFUSED, EPIPE } from "./fake_sys.ts";
import { accepted, recorder, text, world } from "./raw_world.ts";

Deno.test("RawSocket reads what comes, each read a copy the owner keeps", () => {
  const w = world();
  const { fd, owner, file } = accepted(w);
  file.input.push(text("GET / HTTP/1.1\r\n"), text("Host: a\r\n\r\n"));
  w.sys.raise(fd, EPOLLIN);
  w.turn();
  // a short read emptied the socket as far as the edge goes: one recv per event
  assert.deepEqual(owner.log, ["data GET / HTTP/1.1\r\n"]);
  w.sys.raise(fd, EPOLLIN);
  w.turn();
  assert.deepEqual(owner.log, ["data GET / HTTP/1.1\r\n", "data Host: a\r\n\r\n"]);
  assert.equal(new TextDecoder().decode(owner.bytes[0]), "GET / HTTP/1.1\r\n", "not overwritten");
});

Deno.test("RawSocket hands a big read's buffer over and reads on while reads fill it", () => {
  const w = world();
  const { fd, owner, file } = accepted(w);
  file.input.push(new Uint8Array(READ_SIZE + 10).fill(120));
  w.sys.raise(fd, EPOLLIN);
  w.turn();
  assert.deepEqual(owner.bytes.map((b) => b.length), [READ_SIZE, 10]);
  assert.notEqual(owner.bytes[0]!.buffer, owner.bytes[1]!.buffer);
  assert.equal(file.recvCalls, 2);
});

Deno.test("RawSocket reads up to the peer's FIN when the event says it came", () => {
  const w = world();
  const { fd, owner, file } = accepted(w);
  file.input.push(text("last"));
  file.eof = true;
  w.sys.raise(fd, EPOLLIN | EPOLLRDHUP);
  w.turn();
  assert.deepEqual(owner.log, ["data last", "end"]);
});

Deno.test("RawSocket end() after the peer's FIN closes; before it shuts the write side", () => {
  const w = world();
  const a = accepted(w);
  a.socket.end();
  assert.equal(a.file.shutdown, true);
  assert.equal(a.file.closed, false);
  a.file.eof = true;
  w.sys.raise(a.fd, EPOLLIN | EPOLLRDHUP);
  w.turn();
  assert.deepEqual(a.owner.log, ["end", "closed"]);
  assert.equal(a.file.closed, true);

  const b = accepted(w);
  b.file.eof = true;
  w.sys.raise(b.fd, EPOLLIN | EPOLLRDHUP);
  w.turn();
  b.socket.end();
  assert.deepEqual(b.owner.log, ["end", "closed"]);
  assert.equal(b.file.closed, true);
  assert.equal(b.file.shutdown, false, "closed at once, no shutdown needed");
});

Deno.test("RawSocket write() returns what the kernel took; the rest waits for drain", () => {
  const w = world();
  const { fd, socket, owner, file } = accepted(w);
  file.capacity = 3;
  assert.equal(socket.write(text("abcdef")), 3);
  assert.equal(socket.write(text("def")), 0, "EAGAIN: nothing taken");
  w.sys.raise(fd, EPOLLOUT);
  w.turn();
  assert.deepEqual(owner.log, ["drain"]);
  file.capacity = Infinity;
  assert.equal(socket.write(text("abcdef"), 3, 2), 2, "offset and length");
  assert.equal(new TextDecoder().decode(new Uint8Array(file.sent)), "abcde");
  w.sys.raise(fd, EPOLLOUT);
  w.turn();
  assert.deepEqual(owner.log, ["drain"], "no drain unless a write fell short");
});

Deno.test("RawSocket writePair() sends both pieces in one call and counts what was taken", () => {
  const w = world();
  const { fd, socket, owner, file } = accepted(w);
  file.capacity = 5;
  assert.equal(socket.writePair!(text("3\r\nxx"), 3, text("abc")), 5, "part of both");
  assert.equal(w.sys.pairs, 1);
  assert.equal(socket.writePair!(text("1\r\n"), 3, new Uint8Array(0)), 0, "one piece: a write");
  assert.equal(w.sys.pairs, 1);
  w.sys.raise(fd, EPOLLOUT);
  w.turn();
  assert.deepEqual(owner.log, ["drain"]);
  assert.equal(new TextDecoder().decode(new Uint8Array(file.sent)), "3\r\nab");
});

Deno.test("RawSocket refuses writes once a send failed; the read side tells the end", () => {
  const w = world();
  const { fd, socket, owner, file } = accepted(w);
  file.sendError = EPIPE;
  assert.equal(socket.write(text("x")), -1);
  file.sendError = 0;
  assert.equal(socket.write(text("x")), -1, "still refused");
  file.input.push(text("bye"));
  file.eof = true;
  w.sys.raise(fd, EPOLLIN | EPOLLRDHUP);
  w.turn();
  assert.deepEqual(owner.log, ["data bye", "end"]);
});

Deno.test("RawSocket pause() holds reads; resume() takes them up, FIN included, in a turn", () => {
  const w = world();
  const { fd, socket, owner, file } = accepted(w);
  socket.pause();
  file.input.push(text("held"));
  file.eof = true;
  w.sys.raise(fd, EPOLLIN | EPOLLRDHUP);
  w.turn();
  assert.deepEqual(owner.log, []);
  assert.equal(file.recvCalls, 0);
  socket.resume();
  assert.deepEqual(owner.log, [], "not from inside resume()");
  w.turn();
  assert.deepEqual(owner.log, ["data held", "end"]);
});

Deno.test("RawSocket closes with the socket's error on EPOLLERR", () => {
  const w = world();
  const { fd, owner, file } = accepted(w);
  file.soError = 104;
  file.eof = false;
  w.sys.raise(fd, EPOLLERR);
  w.turn();
  assert.deepEqual(owner.log, ["closed error 104 (os error 104)"]);
  assert.equal(file.closed, true);
});

Deno.test("RawSocket reports an owner that throws, and closes its socket", () => {
  const w = world();
  const owner = recorder();
  owner.data = () => {
    throw new Error("bug");
  };
  const { fd, file } = accepted(w, owner);
  file.input.push(text("x"));
  w.sys.raise(fd, EPOLLIN);
  w.turn();
  assert.equal(w.faults[0]?.message, "bug");
  assert.equal(file.closed, true);
  assert.deepEqual(owner.log, ["closed"]);
});

Deno.test("rawConnect() tells opened in the loop's turn, never from inside the call", () => {
  const w = world();
  const owner = recorder();
  assert.equal(rawConnect(w.host, { transport: "unix", path: "/tmp/x.sock" }, owner), true);
  assert.deepEqual(owner.log, []);
  w.turn();
  assert.deepEqual(owner.log, ["opened"]);
  assert.equal(owner.socket!.write(text("packet")), 6);
});

Deno.test("rawConnect() in progress opens on writable, fails on the socket's error", () => {
  const w = world();
  const ok = recorder();
  w.sys.nextFd.connectErrno = EINPROGRESS;
  rawConnect(w.host, { transport: "tcp", hostname: "127.0.0.1", port: 3031 }, ok);
  const okFd = [...w.sys.fds.keys()].at(-1)!;
  w.turn();
  assert.deepEqual(ok.log, []);
  w.sys.raise(okFd, EPOLLOUT);
  w.turn();
  assert.deepEqual(ok.log, ["opened"]);

  const refused = recorder();
  w.sys.nextFd.connectErrno = EINPROGRESS;
  rawConnect(w.host, { transport: "tcp", hostname: "::1", port: 3031 }, refused);
  const refusedFd = [...w.sys.fds.keys()].at(-1)!;
  w.sys.fd(refusedFd).soError = ECONNREFUSED;
  w.sys.raise(refusedFd, EPOLLOUT | EPOLLERR);
  w.turn();
  assert.deepEqual(refused.log, ["failed error 111 (os error 111) ECONNREFUSED"]);
  assert.equal(w.sys.fd(refusedFd).closed, true);
});

Deno.test("rawConnect() fails a refused connect in the turn, and leaves host names alone", () => {
  const w = world();
  const owner = recorder();
  w.sys.nextFd.connectErrno = 2;
  rawConnect(w.host, { transport: "unix", path: "/tmp/missing.sock" }, owner);
  assert.deepEqual(owner.log, []);
  w.turn();
  assert.deepEqual(owner.log, ["failed error 2 (os error 2) ENOENT"]);
  const named = recorder();
  const before = w.sys.fds.size;
  assert.equal(rawConnect(w.host, { transport: "tcp", hostname: "app", port: 80 }, named), false);
  assert.equal(w.sys.fds.size, before, "no socket made");
});
