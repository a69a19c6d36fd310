// Image blobs through the client core (client/core/blobs.ts) against a real relay: a friend's post's images reach
// exactly its recipients, over a data channel when one is open, else through the relay; a reader checks and caches them.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ClientCore } from '../../client/core/client.js';
import { stateWaiter } from '../../client/core/state-waiter.js';
import type { ClientState } from '../../client/core/context.js';
import type { FeedItem } from '../../client/core/feed-view.js';
import type { ClientStore, CreateMesh, Mesh, MeshEvents } from '../../client/core/ports.js';
import { io } from 'socket.io-client';
import { connectRelay } from '../../client/relay-connection.js';
import { sealBlob } from '../../shared/crypto/blob.js';
import { isBwError } from '../../shared/errors.js';
import { toB64u } from '../../shared/bytes.js';
import { LIMITS } from '../../shared/protocol.js';
import { memoryStore } from '../cases/memory-store.js';
import { Xorshift } from '../cases/util.js';
import { startHarness, type Harness } from './relay-harness.js';

const quiet = { warn: (...a: unknown[]) => process.env.BW_DEBUG && console.warn(...a), error: (...a: unknown[]) => console.error(...a) };

/** Data channels between cores in this process: a channel is open while both ends are registered and connected. */
class FakeMeshNet {
  readonly ends = new Map<string, MeshEvents>();
  readonly open = new Set<string>();
  /** Every channel message, to see what went direct. */
  readonly sent: { from: string; to: string; t: string }[] = [];
  create: CreateMesh = (me, on) => {
    this.ends.set(me, on);
    const pair = (k: string) => [me, k].sort().join('|');
    const mesh: Mesh = {
      connect: (k) => {
        const other = this.ends.get(k);
        if (!other || this.open.has(pair(k))) return;
        this.open.add(pair(k));
        on.open(k);
        other.open(me);
      },
      signal: () => {},
      isOpen: (k) => this.open.has(pair(k)),
      openCount: () => [...this.open].filter((p) => p.split('|').includes(me)).length,
      send: (k, text) => {
        if (!this.open.has(pair(k))) return false;
        this.sent.push({ from: me, to: k, t: (JSON.parse(text) as { t: string }).t });
        const other = this.ends.get(k)!;
        queueMicrotask(() => other.message(me, text));
        return true;
      },
      drop: (k) => void this.open.delete(pair(k)),
      setIceServers: () => {},
      close: () => void this.ends.delete(me),
    };
    return mesh;
  };
}

interface User {
  core: ClientCore;
  store: ClientStore;
  key: string;
  until(pred: (s: ClientState) => boolean): Promise<ClientState>;
}

async function user(url: string, name: string, mesh?: FakeMeshNet): Promise<User> {
  const store = memoryStore();
  const waiter = stateWaiter<ClientState>(() => core.state);
  const core = new ClientCore({ store, connectRelay: (me, on) => connectRelay(io, url, me, on), ...(mesh && { createMesh: mesh.create }), relayUrl: url, log: quiet, onChange: () => waiter.changed() });
  await core.start();
  await core.createIdentity(name);
  await waiter.until((s) => s.relay === 'connected');
  await core.idle();
  return { core, store, key: core.state.me!.key, until: waiter.until };
}

async function befriend(a: User, b: User): Promise<void> {
  await b.core.acceptInvite(await a.core.createInvite());
  await a.until((s) => s.friends.some((f) => f.key === b.key && f.status === 'mutual'));
  await a.core.idle();
  await b.core.idle();
}

const image = (seed: number, n = 120_000) => new Xorshift(seed).bytes(n);
const sealedRef = (bytes: Uint8Array) => {
  const s = sealBlob(bytes, 'image/webp');
  return { blob: { id: s.id, bytes: s.bytes }, ref: { id: s.id, key: s.key, mime: 'image/webp' as const, bytes: s.bytes.length } };
};

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'nothing thrown';
  } catch (e) {
    return isBwError(e) ? e.code : `non-BwError ${String(e)}`;
  }
}

describe('image blobs through the client core', () => {
  let h: Harness;
  const users: User[] = [];
  before(async () => (h = await startHarness()));
  after(async () => {
    for (const u of users) u.core.close();
    await h.close();
  });
  const mk = async (name: string, mesh?: FakeMeshNet) => {
    const u = await user(h.url, name, mesh);
    users.push(u);
    return u;
  };

  test('relay-only: the recipients fetch it, check it, keep it; the relay forgets it after the last ack; a stranger gets nothing', async () => {
    const ann = await mk('Ann');
    const bob = await mk('Bob');
    const cat = await mk('Cat');
    const eve = await mk('Eve');
    await befriend(ann, bob);
    await befriend(ann, cat);
    const img = image(1);
    const { blob, ref } = sealedRef(img);
    const before = await h.blobs.stats(Date.now());
    const how = await ann.core.sendBlobs([blob], [bob.key, cat.key]);
    assert.deepEqual(how, [{ [bob.key]: 'relay', [cat.key]: 'relay' }]);
    assert.equal((await h.blobs.stats(Date.now())).blobs, before.blobs + 1, 'stored once for two');
    assert.deepEqual(await bob.core.fetchImage(ref, ann.key), img);
    assert.ok(await bob.store.getBlob(ref.id), 'kept on the reader');
    assert.equal(await codeOf(eve.core.fetchImage(ref, ann.key)), 'unavailable', 'not for her: the relay does not give it');
    assert.deepEqual(await cat.core.fetchImage(ref, ann.key), img);
    assert.deepEqual(await h.blobs.stats(Date.now()), before, 'both acked: gone from the relay');
    assert.deepEqual(await bob.core.fetchImage(ref, ann.key), img, 'from the store now');
    assert.deepEqual(await ann.core.fetchImage(ref, ann.key), img, 'my own, from my store');
  });

  test('a deleted post takes its photos with it: the author and a reader who had fetched them drop the blobs', async () => {
    const ann = await mk('Ann');
    const bob = await mk('Bob');
    await befriend(ann, bob);
    const feedUntil = async (pred: (items: FeedItem[]) => boolean) => {
      for (;;) {
        const seen = bob.core.state;
        if (pred((await bob.core.feed()).items)) return;
        await bob.until((s) => s !== seen);
      }
    };
    const { blob, ref } = sealedRef(image(7, 40_000));
    await ann.store.putBlob({ id: blob.id, bytes: blob.bytes, stored: 1, for: [bob.key], pending: [] });
    await ann.core.sendBlobs([blob], [bob.key]);
    const sent = await ann.core.post({ text: 'a photo', photos: [{ ...ref, w: 10, h: 10 }] });
    await feedUntil((items) => items.some((i) => i.body === 'a photo'));
    await bob.core.fetchImage(ref, ann.key);
    assert.ok(await bob.store.getBlob(ref.id), 'fetched and kept');
    await ann.core.delete(sent.key);
    assert.equal(await ann.store.getBlob(ref.id), undefined, 'gone from the author');
    await feedUntil((items) => items.some((i) => i.deleted));
    assert.equal(await bob.store.getBlob(ref.id), undefined, 'gone from the reader');
  });

  test('a swapped blob is refused (bad-ciphertext) and not kept', async () => {
    const ann = await mk('Ann');
    const bob = await mk('Bob');
    await befriend(ann, bob);
    const a = sealedRef(image(2));
    const b = sealedRef(image(3));
    await ann.core.sendBlobs([b.blob], [bob.key]);
    // A reference whose id names blob b but whose key is a's: the id checks out, the key does not open it.
    assert.equal(await codeOf(bob.core.fetchImage({ ...a.ref, id: b.ref.id, bytes: b.ref.bytes }, ann.key)), 'bad-ciphertext');
    assert.equal(await bob.store.getBlob(b.ref.id), undefined, 'nothing kept');
  });

  test('over an open data channel: pushed directly, nothing on the relay; a lost push is asked for again', async () => {
    const net = new FakeMeshNet();
    const ann = await mk('Ann', net);
    const bob = await mk('Bob', net);
    await befriend(ann, bob);
    await ann.until((s) => s.friends.some((f) => f.key === bob.key && f.direct));
    const before = await h.blobs.stats(Date.now());
    const img = image(4, 50_000);
    const { blob, ref } = sealedRef(img);
    assert.deepEqual(await ann.core.sendBlobs([blob], [bob.key]), [{ [bob.key]: 'direct' }]);
    assert.deepEqual(await h.blobs.stats(Date.now()), before, 'the relay holds nothing');
    assert.ok(net.sent.filter((m) => m.t === 'blob').length > 1, 'in pieces');
    await bob.core.idle();
    assert.deepEqual(await bob.core.fetchImage(ref, ann.key), img);
    // A blob Bob never got (e.g. the channel dropped midway): he asks Ann over the channel.
    const lost = sealedRef(image(5, 30_000));
    await ann.store.putBlob({ id: lost.ref.id, bytes: lost.blob.bytes, stored: 1, for: [bob.key], pending: [] });
    assert.deepEqual(await bob.core.fetchImage(lost.ref, ann.key), new Xorshift(5).bytes(30_000));
    assert.ok(net.sent.some((m) => m.t === 'blob-want' && m.from === bob.key));
  });

  test('channel pieces out of order, past their length, not matching their id, or from a stranger are refused; nothing is kept and the next blob still arrives', async () => {
    const net = new FakeMeshNet();
    const ann = await mk('Ann', net);
    const bob = await mk('Bob', net);
    const eve = await mk('Eve', net);
    await befriend(ann, bob);
    const { blob, ref } = sealedRef(image(6, 20_000));
    const piece = (at: number, data: Uint8Array, extra: object = {}) => JSON.stringify({ t: 'blob', id: ref.id, n: blob.bytes.length, at, data: toB64u(data), ...extra });
    const deliver = async (from: string, text: string) => {
      net.ends.get(bob.key)!.message(from, text);
      await bob.core.idle();
    };
    const step = LIMITS.channelBlobChunkBytes;
    const whole = async (from: string, bytes: Uint8Array) => {
      for (let at = 0; at < bytes.length; at += step) await deliver(from, piece(at, bytes.subarray(at, at + step)));
    };
    await deliver(ann.key, piece(100, blob.bytes.subarray(100, 200))); // does not start at 0
    await deliver(ann.key, piece(0, blob.bytes.subarray(0, 100)));
    await deliver(ann.key, piece(50, blob.bytes.subarray(50, 150))); // overlaps: out of order, dropped
    await deliver(ann.key, piece(0, blob.bytes.subarray(0, 100), { n: 10 })); // past the announced length
    const wrong = blob.bytes.slice();
    wrong[5]! ^= 1;
    await whole(ann.key, wrong); // complete, but not the blob its id names
    await whole(eve.key, blob.bytes); // a stranger's
    await deliver(ann.key, JSON.stringify({ t: 'blob', id: ref.id, n: 10 ** 7, at: 0, data: '' })); // over the blob ceiling: bad frame
    assert.equal(await bob.store.getBlob(ref.id), undefined, 'nothing kept');
    await whole(ann.key, blob.bytes);
    assert.ok(await bob.store.getBlob(ref.id), 'the honest one is kept');
  });
});
