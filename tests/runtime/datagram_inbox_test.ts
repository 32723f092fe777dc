import assert from "node:assert/strict";
import { DatagramInbox } from "../../src/runtime/_datagram_inbox.ts";

const bytes = (n: number) => new Uint8Array([n]);

Deno.test("datagram inbox: datagrams come out in order, queued or awaited", async () => {
  const inbox = new DatagramInbox();
  inbox.push(bytes(1));
  inbox.push(bytes(2));
  const awaited = (async () => [await inbox.receive(), await inbox.receive(), inbox.receive()])();
  const [first, second, third] = await awaited;
  assert.deepEqual([first, second], [bytes(1), bytes(2)]);
  inbox.push(bytes(3));
  assert.deepEqual(await third, bytes(3));
});

Deno.test("datagram inbox: closing gives null to the one waiting and to all after", async () => {
  const inbox = new DatagramInbox();
  const waiting = inbox.receive();
  inbox.close();
  assert.equal(await waiting, null);
  inbox.push(bytes(1));
  assert.equal(await inbox.receive(), null);
});

Deno.test("datagram inbox: a failure rejects, after what was queued", async () => {
  const inbox = new DatagramInbox();
  inbox.push(bytes(1));
  inbox.fail(new Error("gone"));
  assert.deepEqual(await inbox.receive(), bytes(1));
  await assert.rejects(inbox.receive(), /gone/);
  const other = new DatagramInbox();
  const waiting = other.receive();
  other.fail(new Error("broke"));
  await assert.rejects(waiting, /broke/);
});
