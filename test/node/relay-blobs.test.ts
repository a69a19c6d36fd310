// Relay image blobs against a real server and real SQLite: friend-only put and get, chunks, the per-blob cap, the
// sender quota, pending-upload bounds, corrupt uploads and expiry, each refused with its named error and nothing else blocked.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateIdentity, type Identity } from '../../shared/crypto/identity.js';
import { blobId } from '../../shared/crypto/blob.js';
import { sealPost } from '../../shared/crypto/envelope.js';
import { pairKeys } from '../../shared/crypto/pairwise.js';
import { toB64u } from '../../shared/bytes.js';
import { LIMITS } from '../../shared/protocol.js';
import { coarseExpiry } from '../../signaling/server.js';
import { Xorshift } from '../cases/util.js';
import { allow, call, capFor, connectAs, connectRaw, download, startHarness, upload, type ClientSocket, type Harness } from './relay-harness.js';

type User = { socket: ClientSocket; id: Identity; key: string };

const bytesOf = (n: number, seed = n) => new Xorshift(seed).bytes(n);

describe('relay image blobs', () => {
  let h: Harness;
  let clock = Date.now();
  const users: User[] = [];
  const user = async (name: string) => {
    const u = await connectAs(h.url, name);
    users.push(u);
    return u;
  };
  before(async () => (h = await startHarness({ blobMaxBytes: 200_000, blobSenderQuota: 300_000, blobPendingBytes: 250_000 }, () => clock)));
  after(async () => {
    for (const u of users) u.socket.close();
    await h.close();
  });

  test('a friend uploads in chunks, the recipient reads it back byte for byte, acks, and it is gone', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    await allow(bob, [alice.id]);
    const data = bytesOf(120_000);
    const res = await upload(alice, data, [bob]);
    assert.deepEqual(res, { ok: true, done: true });
    assert.deepEqual(await download(bob, blobId(data)), data);
    assert.deepEqual(await call(bob.socket, 'blob:ack', { ids: [blobId(data)] }), { ok: true, deleted: 1 });
    assert.equal(await download(bob, blobId(data)), 'not-found');
  });

  test('only a recipient can read: a stranger and the sender get not-found, as for a blob that does not exist', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    const eve = await user('eve');
    await allow(bob, [alice.id]);
    const data = bytesOf(5000);
    assert.equal((await upload(alice, data, [bob])).ok, true);
    assert.equal(await download(eve, blobId(data)), 'not-found');
    assert.equal(await download(alice, blobId(data)), 'not-found');
    assert.equal(await download(eve, blobId(bytesOf(10))), 'not-found');
    assert.deepEqual(await download(bob, blobId(data)), data, 'the recipient still can');
  });

  test('a put to someone who does not allow the sender: not-friend; mixed recipients: the allowed ones only', async () => {
    const mallory = await user('mallory');
    const bob = await user('bob');
    const carol = await user('carol');
    await allow(bob, []);
    await allow(carol, [mallory.id]);
    const data = bytesOf(3000);
    const none = await upload(mallory, data, [bob]);
    assert.equal(none.code, 'not-friend');
    // A capability made for someone else's key does not work either (the allow tag binds the sender's key).
    const forged = await call(mallory.socket, 'blob:put', { id: blobId(data), bytes: data.length, to: [{ to: bob.key, cap: toB64u(pairKeys(bob.id, carol.id).mailboxOut) }] });
    assert.equal(forged.code, 'not-friend');
    const mixed = await call(mallory.socket, 'blob:put', { id: blobId(data), bytes: data.length, to: [bob, carol].map((t) => ({ to: t.key, cap: capFor(mallory.id, t.id) })) });
    assert.deepEqual(mixed, { ok: true, have: false, refused: [bob.key] });
    assert.equal((await call(mallory.socket, 'blob:chunk', { id: blobId(data), at: 0, data })).done, true);
    assert.equal(await download(bob, blobId(data)), 'not-found');
    assert.deepEqual(await download(carol, blobId(data)), data);
  });

  test('one blob for many recipients is stored once and deleted when the last one has it', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    const carol = await user('carol');
    await allow(bob, [alice.id]);
    await allow(carol, [alice.id]);
    const before = await h.blobs.stats(clock);
    const data = bytesOf(70_000, 1);
    assert.equal((await upload(alice, data, [bob, carol])).ok, true);
    assert.deepEqual(await h.blobs.stats(clock), { blobs: before.blobs + 1, bytes: before.bytes + data.length });
    await call(bob.socket, 'blob:ack', { ids: [blobId(data)] });
    assert.deepEqual(await download(carol, blobId(data)), data, "bob's ack leaves carol's copy");
    assert.equal((await h.blobs.stats(clock)).blobs, before.blobs + 1);
    await call(carol.socket, 'blob:ack', { ids: [blobId(data)] });
    assert.deepEqual(await h.blobs.stats(clock), before);
  });

  test('the sender announcing a blob it already stored only adds recipients (have: true, no upload)', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    const carol = await user('carol');
    await allow(bob, [alice.id]);
    await allow(carol, [alice.id]);
    const data = bytesOf(2000, 2);
    assert.equal((await upload(alice, data, [bob])).done, true);
    assert.deepEqual(await upload(alice, data, [carol]), { ok: true, have: true, refused: [] });
    assert.deepEqual(await download(carol, blobId(data)), data);
  });

  test('oversize: announced over the cap, or more bytes sent than announced; the next put still works', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    await allow(bob, [alice.id]);
    const big = bytesOf(200_001);
    assert.equal((await upload(alice, big, [bob])).code, 'oversize');
    const data = bytesOf(1000, 3);
    const id = blobId(data);
    await call(alice.socket, 'blob:put', { id, bytes: 500, to: [{ to: bob.key, cap: capFor(alice.id, bob.id) }] });
    assert.equal((await call(alice.socket, 'blob:chunk', { id, at: 0, data })).code, 'oversize');
    assert.equal((await call(alice.socket, 'blob:chunk', { id, at: 0, data })).code, 'bad-frame', 'the upload was dropped');
    assert.equal((await upload(alice, data, [bob])).done, true);
  });

  test('corrupt: bytes that do not hash to the announced id are refused (bad-ciphertext) and not stored', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    await allow(bob, [alice.id]);
    const data = bytesOf(4000, 4);
    const wrong = data.slice();
    wrong[10]! ^= 1;
    assert.equal((await upload(alice, wrong, [bob], blobId(data))).code, 'bad-ciphertext');
    assert.equal(await download(bob, blobId(data)), 'not-found');
    assert.equal((await upload(alice, data, [bob])).done, true, 'the honest upload after it');
  });

  test('chunks out of order, or with no put, are bad frames', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    await allow(bob, [alice.id]);
    const data = bytesOf(100_000, 5);
    const id = blobId(data);
    assert.equal((await call(alice.socket, 'blob:chunk', { id, at: 0, data: data.subarray(0, 10) })).code, 'bad-frame');
    await call(alice.socket, 'blob:put', { id, bytes: data.length, to: [{ to: bob.key, cap: capFor(alice.id, bob.id) }] });
    assert.equal((await call(alice.socket, 'blob:chunk', { id, at: 10, data: data.subarray(10, 20) })).code, 'bad-frame');
    assert.equal((await call(alice.socket, 'blob:chunk', { id, at: 0, data: new Uint8Array(LIMITS.blobChunkBytes + 1) })).code, 'bad-frame', 'a piece over the chunk size');
    assert.equal((await upload(alice, data, [bob])).done, true, 'announcing again starts over');
  });

  test('quota: a sender over its stored bytes is refused; mailbox posts still go; an ack frees room', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    await allow(bob, [alice.id]);
    const a = bytesOf(150_000, 6);
    const b = bytesOf(150_000, 7);
    const c = bytesOf(150_000, 8);
    assert.equal((await upload(alice, a, [bob])).done, true);
    assert.equal((await upload(alice, b, [bob])).done, true);
    assert.equal((await upload(alice, c, [bob])).code, 'quota');
    const [s] = sealPost(alice.id, { seq: 1, ts: 1, body: 'still here' }, [{ sigPub: bob.id.sigPub, wrapKey: pairKeys(alice.id, bob.id).wrap }]);
    assert.equal((await call(alice.socket, 'mailbox:put', { to: bob.key, env: toB64u(s!.envelope), cap: capFor(alice.id, bob.id) })).ok, true);
    await call(bob.socket, 'blob:ack', { ids: [blobId(a)] });
    assert.equal((await upload(alice, c, [bob])).done, true);
  });

  test('pending uploads are bounded per key (busy) and freed when the connection goes', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    await allow(bob, [alice.id]);
    const to = [{ to: bob.key, cap: capFor(alice.id, bob.id) }];
    const second = await connectAs(h.url, alice.id);
    users.push(second);
    assert.equal((await call(alice.socket, 'blob:put', { id: blobId(bytesOf(1, 9)), bytes: 200_000, to })).ok, true);
    const busy = await call(second.socket, 'blob:put', { id: blobId(bytesOf(1, 10)), bytes: 100_000, to });
    assert.equal(busy.code, 'busy', 'the bound is per key, across its connections');
    const closed = new Promise((r) => alice.socket.once('disconnect', r));
    alice.socket.close();
    await closed;
    // The relay sees the close a moment later; the next announce waits for that on the relay's own event, not a timer.
    const third = await connectAs(h.url, alice.id);
    users.push(third);
    await call(third.socket, 'presence:watch', { keys: [] }); // a round trip after the relay handled the disconnect
    assert.equal((await call(second.socket, 'blob:put', { id: blobId(bytesOf(1, 10)), bytes: 100_000, to })).ok, true);
  });

  test('blobs expire with the mailbox TTL: unreadable after, and purged', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    await allow(bob, [alice.id]);
    const data = bytesOf(1000, 11);
    assert.equal((await upload(alice, data, [bob])).done, true);
    assert.ok((await h.blobs.stats(clock)).blobs >= 1);
    clock = coarseExpiry(clock, 30 * 24 * 3600) + 1; // never back: the rate limiter's buckets only go forward in time
    assert.equal(await download(bob, blobId(data)), 'not-found');
    assert.ok((await h.blobs.purgeExpired(clock)) >= 1);
    assert.deepEqual(await h.blobs.stats(clock), { blobs: 0, bytes: 0 }, 'purged');
  });

  test('before auth, blob events are refused as unauthenticated', async () => {
    const { socket } = await connectRaw(h.url);
    assert.equal((await call(socket, 'blob:get', { id: blobId(bytesOf(1)), at: 0 })).code, 'unauthenticated');
    socket.close();
  });
});

describe('relay image blobs: the bound over all keys counts bytes received, and slow uploads are dropped', () => {
  let h: Harness;
  before(async () => (h = await startHarness({ blobPendingTotalBytes: 150_000, blobGraceMs: 300, blobMinRate: 64 * 1024 })));
  after(() => h.close());
  const putFor = (u: User, r: User, seed: number, bytes = 100_000) =>
    call(u.socket, 'blob:put', { id: blobId(bytesOf(bytes, seed)), bytes, to: [{ to: r.key, cap: capFor(u.id, r.id) }] });
  const chunk = (u: User, seed: number, at: number, bytes = 100_000) =>
    call(u.socket, 'blob:chunk', { id: blobId(bytesOf(bytes, seed)), at, data: bytesOf(bytes, seed).subarray(at, at + LIMITS.blobChunkBytes) });

  test('announcing holds nothing: another key may start while the first sends nothing; bytes sent past the bound are refused as busy', async () => {
    const [a, b, r] = [await connectAs(h.url, 'a'), await connectAs(h.url, 'b'), await connectAs(h.url, 'r')];
    await allow(r, [a.id, b.id]);
    assert.equal((await putFor(a, r, 1)).ok, true);
    assert.equal((await putFor(b, r, 2)).ok, true, 'an announced size alone is not memory held');
    assert.equal((await chunk(a, 1, 0)).ok, true);
    assert.equal((await chunk(a, 1, LIMITS.blobChunkBytes)).ok, true);
    assert.equal((await chunk(b, 2, 0)).ok, true);
    const over = await chunk(b, 2, LIMITS.blobChunkBytes);
    assert.equal(over.code, 'busy', 'a piece past the relay-wide bound of bytes held');
    assert.equal((await chunk(a, 1, 2 * LIMITS.blobChunkBytes)).done, true, 'finishing frees what it held');
    assert.equal((await chunk(b, 2, LIMITS.blobChunkBytes)).ok, true, 'the refused piece goes through once room is free');
    for (const u of [a, b, r]) u.socket.close();
  });

  test('an upload that trickles under the minimum rate is dropped after the grace, and what it held is free again', async () => {
    const [a, b, r] = [await connectAs(h.url, 'a2'), await connectAs(h.url, 'b2'), await connectAs(h.url, 'r2')];
    await allow(r, [a.id, b.id]);
    assert.equal((await putFor(a, r, 3)).ok, true);
    assert.equal((await chunk(a, 3, 0)).ok, true);
    await new Promise((res) => setTimeout(res, 1200)); // past the grace plus what 48 KB earns at 64 KB/s
    const late = await chunk(a, 3, LIMITS.blobChunkBytes);
    assert.equal(late.code, 'bad-frame', 'the stalled upload is gone');
    assert.match(String(late.message), /no upload of that blob is open/);
    assert.equal((await upload(b, bytesOf(140_000, 4), [r])).done, true, 'the whole bound is free for an honest upload');
    for (const u of [a, b, r]) u.socket.close();
  });
});
