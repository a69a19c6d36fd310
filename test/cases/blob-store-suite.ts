// The relay's BlobStore contract, one case table run against every backend (SQLite and PostgreSQL, test/node/blob-store.test.ts):
// chunked reads, recipients only, one copy for many, acks, adding recipients, the sender quota, expiry and purge, durability.
import assert from 'node:assert/strict';
import { BwError } from '../../shared/errors.js';
import type { BlobStore, NewBlob } from '../../signaling/store/blobs.js';
import { key } from './mailbox-store-suite.js';
import { Xorshift } from './util.js';

/** A backend under test: a fresh, empty store, and a way to open the same storage again after closing it. */
export interface BlobBackend {
  fresh(): Promise<{ store: BlobStore; reopen(): Promise<BlobStore> }>;
}

export interface BlobCase {
  what: string;
  run(b: BlobBackend): Promise<void>;
}

const [alice, bob, carol, eve] = ['alice', 'bob', 'carol', 'eve'].map(key) as [string, string, string, string];
const HOUR = 3600_000;
/** A fixed clock: expiry is tested by reading at a later `now`, never by waiting. */
export const NOW = 1_800_000_000_000;
const LATER = NOW + 24 * HOUR;
/** A quota no case reaches unless it means to. */
export const ROOMY = 1 << 30;

/** `n` reproducible bytes; the seed makes different blobs of one size. */
export const bytesOf = (n: number, seed = n) => new Xorshift(seed).bytes(n);

/** A blob of `data` from `from` to `to`; its id only needs to be unique per content here (the relay checks hashes, not the store). */
export const blob = (from: string, to: readonly string[], data: Uint8Array, expires = LATER): NewBlob => ({
  id: `b-${data.length}-${Array.from(data.subarray(0, 8)).join('.')}`,
  from,
  data,
  to,
  expires,
});

/** Reads a whole blob `len` bytes at a time, as blob:get does; undefined if refused. */
export async function readAll(store: BlobStore, id: string, who: string, now = NOW, len = 1000): Promise<Uint8Array | undefined> {
  const parts: Uint8Array[] = [];
  let at = 0;
  for (;;) {
    const r = await store.read(id, who, at, len, now);
    if (!r) return undefined;
    parts.push(new Uint8Array(r.data)); // a copy: a backend may hand out a view of a buffer it reuses
    at += r.data.length;
    if (at >= r.size) break;
    assert.ok(r.data.length > 0, 'a read before the end returns bytes');
  }
  const out = new Uint8Array(at);
  let o = 0;
  for (const p of parts) (out.set(p, o), (o += p.length));
  return out;
}

async function quotaRefused(p: Promise<void>, what: string): Promise<BwError> {
  let err: unknown;
  await p.catch((e: unknown) => (err = e));
  assert.ok(err instanceof BwError, `${what}: expected a 'quota' refusal, got ${String(err)}`);
  assert.equal(err.code, 'quota', what);
  return err;
}

export const blobCases: BlobCase[] = [
  {
    what: 'a recipient reads a blob back byte for byte, in chunks, with its size; a read at the end is empty',
    async run(b) {
      const { store } = await b.fresh();
      // Every byte value, and a size that is no multiple of the chunk.
      const data = new Uint8Array(2500).map((_, i) => (i * 7) & 0xff);
      await store.put(blob(alice, [bob], data), ROOMY, NOW);
      assert.deepEqual(await readAll(store, blob(alice, [bob], data).id, bob), data);
      const end = await store.read(blob(alice, [bob], data).id, bob, 2500, 1000, NOW);
      assert.deepEqual(end && { size: end.size, n: end.data.length }, { size: 2500, n: 0 });
      const mid = await store.read(blob(alice, [bob], data).id, bob, 1000, 10, NOW);
      assert.deepEqual(mid && [...mid.data], [...data.subarray(1000, 1010)]);
      await store.close();
    },
  },
  {
    what: 'a read is refused (nothing, as for no blob) to a non-recipient, to the sender, and for an unknown id',
    async run(b) {
      const { store } = await b.fresh();
      const x = blob(alice, [bob], bytesOf(300));
      await store.put(x, ROOMY, NOW);
      assert.equal(await store.read(x.id, eve, 0, 100, NOW), undefined, 'a stranger');
      assert.equal(await store.read(x.id, alice, 0, 100, NOW), undefined, 'the sender is no recipient');
      assert.equal(await store.read('no-such-blob', bob, 0, 100, NOW), undefined, 'an unknown id');
      assert.deepEqual(await readAll(store, x.id, bob), x.data, 'the recipient can');
      await store.close();
    },
  },
  {
    what: 'one blob for many recipients is stored once; an ack by one leaves it for the others; the last ack deletes it',
    async run(b) {
      const { store } = await b.fresh();
      const x = blob(alice, [bob, carol], bytesOf(700));
      await store.put(x, ROOMY, NOW);
      assert.deepEqual(await store.stats(NOW), { blobs: 1, bytes: 700 });
      assert.equal(await store.ack(bob, [x.id]), 1);
      assert.equal(await store.read(x.id, bob, 0, 100, NOW), undefined, 'bob has it: no longer kept for him');
      assert.deepEqual(await readAll(store, x.id, carol), x.data, "bob's ack leaves carol's");
      assert.deepEqual(await store.stats(NOW), { blobs: 1, bytes: 700 });
      assert.equal(await store.ack(carol, [x.id]), 1);
      assert.deepEqual(await store.stats(NOW), { blobs: 0, bytes: 0 }, 'the last recipient acked: deleted');
      assert.equal(await store.senderBytes(alice, NOW), 0, 'and no longer counted against its sender');
      await store.close();
    },
  },
  {
    what: "an ack counts only the acker's own deliveries: a stranger's or a repeated ack deletes nothing",
    async run(b) {
      const { store } = await b.fresh();
      const x = blob(alice, [bob], bytesOf(400));
      await store.put(x, ROOMY, NOW);
      assert.equal(await store.ack(eve, [x.id]), 0, 'eve is no recipient');
      assert.equal(await store.ack(alice, [x.id]), 0, 'nor is the sender');
      assert.equal(await store.ack(bob, []), 0);
      assert.equal(await store.ack(bob, ['no-such-blob']), 0);
      assert.deepEqual(await readAll(store, x.id, bob), x.data, 'still there for bob');
      assert.equal(await store.ack(bob, [x.id, x.id]), 1, 'an id twice in one ack counts once');
      assert.equal(await store.ack(bob, [x.id]), 0, 'already acked');
      await store.close();
    },
  },
  {
    what: 'recipients added to an existing blob by its sender can read it; another sender or an unknown id adds nothing',
    async run(b) {
      const { store } = await b.fresh();
      const x = blob(alice, [bob], bytesOf(500));
      await store.put(x, ROOMY, NOW);
      assert.equal(await store.addRecipients(x.id, eve, [eve], LATER), false, 'eve does not store this blob');
      assert.equal(await store.read(x.id, eve, 0, 100, NOW), undefined);
      assert.equal(await store.addRecipients('no-such-blob', alice, [carol], LATER), false);
      assert.equal(await store.addRecipients(x.id, alice, [carol, carol], LATER), true);
      assert.deepEqual(await readAll(store, x.id, carol), x.data);
      assert.deepEqual(await store.stats(NOW), { blobs: 1, bytes: 500 }, 'still one copy');
      // Bob's ack no longer deletes it: carol waits for it too.
      await store.ack(bob, [x.id]);
      assert.deepEqual(await readAll(store, x.id, carol), x.data);
      await store.ack(carol, [x.id]);
      assert.deepEqual(await store.stats(NOW), { blobs: 0, bytes: 0 });
      assert.equal(await store.addRecipients(x.id, alice, [bob], LATER), false, 'a deleted blob takes no recipients: it must be uploaded again');
      await store.close();
    },
  },
  {
    what: 'storing a blob that is already there only adds recipients and extends its expiry; no bytes are counted twice',
    async run(b) {
      const { store } = await b.fresh();
      const data = bytesOf(600);
      const early = NOW + HOUR;
      await store.put(blob(alice, [bob], data, early), ROOMY, NOW);
      await store.put(blob(alice, [carol], data, LATER), 600, NOW); // at the quota already: no new bytes, so not refused
      assert.deepEqual(await store.stats(NOW), { blobs: 1, bytes: 600 });
      assert.equal(await store.senderBytes(alice, NOW), 600);
      const id = blob(alice, [], data).id;
      assert.deepEqual(await readAll(store, id, bob, early + 1), data, 'the later expiry holds for every recipient');
      assert.deepEqual(await readAll(store, id, carol, early + 1), data);
      await store.close();
    },
  },
  {
    what: 'the sender quota: unexpired bytes per sender are counted, a blob over it is refused and not stored, an ack frees room',
    async run(b) {
      const { store } = await b.fresh();
      const [x, y, z] = [1, 2, 3].map((s) => blob(alice, [bob], bytesOf(400, s)));
      await store.put(x!, 1000, NOW);
      await store.put(y!, 1000, NOW);
      await store.put(blob(carol, [bob], bytesOf(900, 4)), 1000, NOW); // another sender's bytes are its own
      assert.equal(await store.senderBytes(alice, NOW), 800);
      assert.equal(await store.senderBytes(carol, NOW), 900);
      assert.equal(await store.senderBytes(eve, NOW), 0);
      const e = await quotaRefused(store.put(z!, 1000, NOW), 'a third 400 bytes over 1000');
      assert.match(e.message, /you keep 800 bytes of images on this relay; at most 1000/);
      assert.equal(await store.read(z!.id, bob, 0, 10, NOW), undefined, 'the refused blob was not stored');
      assert.equal(await store.senderBytes(alice, NOW), 800);
      await store.ack(bob, [x!.id]);
      await store.put(z!, 1000, NOW);
      assert.equal(await store.senderBytes(alice, NOW), 800);
      await quotaRefused(store.put(blob(alice, [bob], bytesOf(201, 5)), 1000, NOW), 'one byte over');
      await store.put(blob(alice, [bob], bytesOf(200, 6)), 1000, NOW); // exactly at the quota
      await store.close();
    },
  },
  {
    what: 'expiry: an expired blob is unreadable, not counted against its sender, and purged with its recipients',
    async run(b) {
      const { store } = await b.fresh();
      const soon = NOW + HOUR;
      const x = blob(alice, [bob], bytesOf(300, 7), soon);
      const y = blob(alice, [bob], bytesOf(300, 8), LATER);
      await store.put(x, ROOMY, NOW);
      await store.put(y, ROOMY, NOW);
      assert.equal(await store.senderBytes(alice, soon), 300, 'at its expiry time it no longer counts');
      assert.deepEqual(await store.stats(soon), { blobs: 1, bytes: 300 });
      assert.equal(await store.read(x.id, bob, 0, 10, soon), undefined, 'unreadable from its expiry on');
      assert.ok(await store.read(x.id, bob, 0, 10, soon - 1), 'readable until then');
      // An expired blob's bytes are not counted: a sender at the quota before has room again.
      await quotaRefused(store.put(blob(alice, [bob], bytesOf(300, 9)), 600, soon - 1), 'before the expiry, 600 bytes are kept');
      await store.put(blob(alice, [bob], bytesOf(300, 9)), 600, soon);
      assert.equal(await store.purgeExpired(soon), 1);
      assert.equal(await store.purgeExpired(soon), 0, 'nothing left to purge');
      assert.equal(await store.read(x.id, bob, 0, 10, NOW), undefined, 'purged: gone even for an earlier clock');
      assert.equal(await store.ack(bob, [x.id]), 0, 'its recipient rows went with it');
      assert.deepEqual(await readAll(store, y.id, bob, soon), y.data, 'the unexpired blob is untouched');
      await store.close();
    },
  },
  {
    what: 'a stored blob and its recipients survive closing and reopening the store',
    async run(b) {
      const { store, reopen } = await b.fresh();
      const x = blob(alice, [bob, carol], bytesOf(3000, 10));
      await store.put(x, ROOMY, NOW);
      await store.ack(bob, [x.id]);
      await store.close();
      const again = await reopen();
      assert.deepEqual(await readAll(again, x.id, carol), x.data);
      assert.equal(await again.read(x.id, bob, 0, 10, NOW), undefined, 'the ack was kept too');
      assert.equal(await again.senderBytes(alice, NOW), 3000);
      await again.close();
    },
  },
];
