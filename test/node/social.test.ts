// The social layer over the client core with in-memory stand-ins: threads seen through the post's author, reactions, edits, deletes, audience lists, and refused input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClientCore } from '../../client/core/client.js';
import { stateWaiter } from '../../client/core/state-waiter.js';
import type { ClientState } from '../../client/core/context.js';
import { readMarkFor, type FeedPage } from '../../client/core/feed.js';
import type { Clock, ClientStore, CreateMesh, MeshEvents } from '../../client/core/ports.js';
import { contiguousCursor } from '../../client/sync.js';
import { encodeBundle, newItemId, signItem } from '../../shared/crypto/content.js';
import { sealContent } from '../../shared/crypto/envelope.js';
import { generateIdentity, peerId, sign, type Identity } from '../../shared/crypto/identity.js';
import { LABEL, signedMessage } from '../../shared/crypto/kdf.js';
import { pairKeys } from '../../shared/crypto/pairwise.js';
import { concat, toB64u, utf8 } from '../../shared/bytes.js';
import type { ErrorCode } from '../../shared/errors.js';
import { memoryStore } from '../cases/memory-store.js';
import { FakeRelay } from './fake-relay.js';

function clock(start = Date.UTC(2026, 0, 1)): Clock & { t: number } {
  const c = { t: start, now: () => c.t++, setTimeout: () => 0, clearTimeout: () => {} };
  return c;
}

interface User {
  core: ClientCore;
  store: ClientStore;
  key: string;
  /** Codes of everything this client refused, in order. */
  refused: string[];
  until(pred: (s: ClientState) => boolean): Promise<ClientState>;
  /** Resolves with a feed page once `pred` holds, re-checked on every change of the client. */
  feedUntil(pred: (p: FeedPage) => boolean, opts?: Parameters<ClientCore['feed']>[0]): Promise<FeedPage>;
}

async function user(relay: FakeRelay, name?: string, store = memoryStore()): Promise<User> {
  const waiter = stateWaiter<ClientState>(() => core.state);
  let changes = 0;
  const refused: string[] = [];
  const codeOf = (args: unknown[]) => args.map(String).join(' ');
  const core = new ClientCore({
    store,
    connectRelay: relay.connect,
    relayUrl: 'http://relay.test',
    clock: clock(),
    log: { warn: (...a: unknown[]) => void refused.push(codeOf(a)), error: (...a: unknown[]) => console.error(...a) },
    onChange: () => {
      changes++;
      waiter.changed();
    },
  });
  await core.start();
  if (name) await core.createIdentity(name);
  await waiter.until((s) => s.relay === 'connected');
  await core.idle();
  const feedUntil = async (pred: (p: FeedPage) => boolean, opts?: Parameters<ClientCore['feed']>[0]) => {
    for (;;) {
      const seen = changes;
      const page = await core.feed(opts);
      if (pred(page)) return page;
      await waiter.until(() => changes > seen);
    }
  };
  return { core, store, key: core.state.me!.key, refused, until: waiter.until, feedUntil };
}

async function befriend(a: User, b: User): Promise<void> {
  const code = await a.core.createInvite();
  await a.core.idle();
  await b.core.acceptInvite(code);
  await a.until((s) => s.friends.some((f) => f.key === b.key && f.status === 'mutual'));
  // Settled: each holds the other's device list (what a new friendship sends first), nothing more in flight.
  await b.until((s) => s.friends.some((f) => f.key === a.key && f.devices.length > 0));
  await a.until((s) => s.friends.some((f) => f.key === b.key && f.devices.length > 0));
  await Promise.all([a.core.idle(), b.core.idle()]);
}

const find = (p: FeedPage, text: string) => p.items.find((i) => i.body === text || i.replies.some((r) => r.body === text));
/** Ann, befriended by Bob and by Cat, who are not friends of each other, on one relay. */
async function annAndTwoFriends() {
  const relay = new FakeRelay();
  const ann = await user(relay, 'Ann');
  const bob = await user(relay, 'Bob');
  const cat = await user(relay, 'Cat');
  await befriend(ann, bob);
  await befriend(ann, cat);
  return { relay, ann, bob, cat };
}

const putsTo = (relay: FakeRelay, u: User) => relay.puts.filter((p) => p.to === u.key).length;

test('A posts; B replies; C (friend of A, not of B) sees the reply with B’s verified name; B reacts; A edits, then deletes; every view follows', async () => {
  const { relay, ann, bob, cat } = await annAndTwoFriends();
  assert.ok(!bob.core.state.friends.some((f) => f.key === cat.key), 'Bob and Cat are not friends');

  const sent = await ann.core.post('hello all');
  assert.deepEqual(sent.to.sort(), [bob.key, cat.key].sort(), 'sealed for both friends');
  const postKey = sent.key;
  await bob.feedUntil((p) => !!find(p, 'hello all'));
  const atCat = await cat.feedUntil((p) => !!find(p, 'hello all'));
  assert.equal(atCat.unread, 1);
  assert.equal(atCat.items[0]!.unread, true);

  await bob.core.reply(postKey, 'hi from Bob');
  const withReply = await cat.feedUntil((p) => find(p, 'hello all')?.replies.length === 1);
  const reply = find(withReply, 'hello all')!.replies[0]!;
  assert.equal(reply.body, 'hi from Bob');
  assert.equal(reply.author.key, bob.key);
  assert.equal(reply.author.name, 'Bob', "Bob's name from his signed card");
  assert.equal(reply.author.verified, true);
  assert.equal(reply.author.friend, false, 'Cat does not know Bob otherwise');
  await ann.feedUntil((p) => find(p, 'hello all')?.replies[0]?.body === 'hi from Bob');
  assert.equal((await bob.core.feed()).items[0]!.replies[0]!.mine, true, 'Bob sees his own reply at once');

  await bob.core.react(postKey, '👍');
  await cat.core.react(sent.id, '👍'); // by the bare id, as FeedItem.id has it
  const reacted = await ann.feedUntil((p) => find(p, 'hello all')?.reactions[0]?.count === 2);
  assert.deepEqual(find(reacted, 'hello all')!.reactions[0]!.who.map((w) => w.name).sort(), ['Bob', 'Cat']);
  const catSees = await cat.feedUntil((p) => find(p, 'hello all')?.reactions[0]?.count === 2);
  assert.equal(find(catSees, 'hello all')!.reactions[0]!.mine, true);
  // One reaction per person: Bob changes his, then withdraws it.
  await bob.core.react(postKey, '🎉');
  await cat.feedUntil((p) => find(p, 'hello all')?.reactions.map((r) => `${r.emoji}${r.count}`).sort().join() === ['👍1', '🎉1'].sort().join());
  await bob.core.react(postKey, null);
  await cat.feedUntil((p) => find(p, 'hello all')?.reactions.map((r) => `${r.emoji}${r.count}`).join() === '👍1');

  await ann.core.edit(postKey, 'hello all (edited)');
  for (const u of [ann, bob, cat]) {
    const p = await u.feedUntil((f) => f.items[0]?.body === 'hello all (edited)');
    assert.ok(p.items[0]!.edited, 'marked edited');
    assert.equal(p.items[0]!.replies.length, 1, 'the thread stays');
  }

  await ann.core.delete(postKey);
  for (const u of [ann, bob, cat]) {
    const p = await u.feedUntil((f) => f.items[0]?.deleted === true);
    const item = p.items[0]!;
    assert.deepEqual([item.body, item.replies.length, item.reactions.length, item.edited], ['', 0, 0, undefined], 'body, thread and reactions dropped');
  }
  assert.ok(!cat.core.state.posts.some((p) => p.body.startsWith('hello all')), 'the plain list drops it too');
  await assert.rejects(bob.core.reply(postKey, 'too late'), { code: 'unknown-post' });
});

test('a post to a list holding only B: C receives no envelope at all, and sees no gap in A’s stream', async () => {
  const { relay, ann, bob, cat } = await annAndTwoFriends();
  await ann.core.post('for everyone');
  await cat.feedUntil((p) => !!find(p, 'for everyone'));
  const catPuts = putsTo(relay, cat);

  const list = await ann.core.saveList({ name: 'Close friends', members: [bob.key] });
  assert.deepEqual(ann.core.state.lists, [list]);
  const secret = await ann.core.post({ text: 'only for Bob', audience: list.id });
  assert.deepEqual(secret.to, [bob.key]);
  await bob.feedUntil((p) => !!find(p, 'only for Bob'));
  const mine = (await ann.core.feed()).items.find((i) => i.body === 'only for Bob')!;
  assert.deepEqual(mine.audience, { list: 'Close friends', to: [{ key: bob.key, name: 'Bob', verified: false, friend: true, online: true }] });
  // Bob's reply goes to Ann, who passes it on to the post's audience: Bob only, so nobody.
  await bob.core.reply(secret.key, 'just us');
  await bob.core.react(secret.key, '❤️');
  await ann.feedUntil((p) => find(p, 'only for Bob')?.replies.length === 1 && find(p, 'only for Bob')?.reactions.length === 1);
  await ann.core.edit(secret.key, 'only for Bob, edited');
  await bob.feedUntil((p) => !!find(p, 'only for Bob, edited'));
  assert.equal(putsTo(relay, cat), catPuts, 'not one envelope for Cat: post, reply, reaction, edit');

  await ann.core.post('everyone again');
  await cat.feedUntil((p) => !!find(p, 'everyone again'));
  const seqs = await cat.store.seqsOf(ann.key);
  assert.deepEqual(seqs, [1, 2, 3], "Cat's stream from Ann: her device list, for everyone, everyone again — no hole where the list's post was");
  assert.equal(contiguousCursor(seqs), 3);
  assert.ok(!(await cat.core.feed()).items.some((i) => i.body.startsWith('only for Bob')));
  assert.deepEqual(await bob.store.seqsOf(ann.key), [1, 2, 3, 4, 5], "Bob's: her device list, for everyone, the list post, the edit, everyone again");

  await ann.core.deleteList(list.id);
  assert.deepEqual(ann.core.state.lists, []);
  await assert.rejects(ann.core.post({ text: 'x', audience: list.id }), { code: 'bad-frame' });
  await assert.rejects(ann.core.saveList({ name: 'Strangers', members: [peerId(generateIdentity('z').sigPub)] }), { code: 'not-friend' });
});

/** Signs any JSON as an item, past signItem's checks: what a misbehaving client could send. */
function rawItem(who: Identity, json: unknown): Uint8Array {
  const body = utf8(JSON.stringify(json));
  return concat(who.sigPub, sign(signedMessage(LABEL.itemSig, who.sigPub, body), who.sigSecret), body);
}

test('bad input is refused with its named error, and nothing after it is lost or blocked', async () => {
  const relay = new FakeRelay();
  const ann = await user(relay, 'Ann');
  const bobStore = memoryStore();
  const bob = await user(relay, 'Bob', bobStore);
  await befriend(ann, bob);
  const post = await ann.core.post('the real post');
  await bob.feedUntil((p) => !!find(p, 'the real post'));
  const bobId = (await bobStore.getIdentity())!;
  bob.core.close(); // Bob's client stops, so the stream numbers used below are his next ones
  const annRow = (await bobStore.listFriends()).find((f) => f.key === ann.key)!;
  let stream = annRow.streamOut ?? 0;
  const annPost = { a: ann.key, id: post.id };
  const mallory = generateIdentity('Mallory');

  const cases: { what: string; code: ErrorCode; from?: Identity; items: Uint8Array[] }[] = [
    { what: 'a reply to a post Ann does not have', code: 'unknown-post', items: [signItem(bobId, { kind: 'reply', id: newItemId(), ts: 1, to: { a: ann.key, id: newItemId() }, text: 'hm?' }).bytes] },
    { what: 'a reaction from someone who is not a friend', code: 'not-friend', from: mallory, items: [signItem(mallory, { kind: 'reaction', id: newItemId(), ts: 1, to: annPost, emoji: '👎' }).bytes] },
    { what: "an edit for Ann's post, by Bob", code: 'not-author', items: [signItem(bobId, { kind: 'edit', id: newItemId(), ts: 2, to: annPost, text: 'pwned' }).bytes] },
    { what: "a delete for Ann's post, by Bob", code: 'not-author', items: [signItem(bobId, { kind: 'delete', id: newItemId(), ts: 2, to: annPost }).bytes] },
    { what: 'a profile with a 161-character bio', code: 'oversize', items: [rawItem(bobId, { kind: 'profile', id: newItemId(), ts: 9, name: 'Bob', bio: 'b'.repeat(161), v: 2 })] },
    { what: 'a profile with a 1024 px avatar', code: 'bad-image', items: [rawItem(bobId, { kind: 'profile', id: newItemId(), ts: 9, name: 'Bob', bio: '', avatar: { id: 'A'.repeat(43), key: 'A'.repeat(43), mime: 'image/webp', w: 1024, h: 1024, bytes: 90_000 }, v: 2 })] },
    { what: "an edit riding along with Bob's reply", code: 'bad-frame', items: [signItem(bobId, { kind: 'reply', id: newItemId(), ts: 3, to: annPost, text: 'ok' }).bytes, signItem(bobId, { kind: 'edit', id: newItemId(), ts: 3, to: annPost, text: 'x' }).bytes] },
  ];
  for (const c of cases) {
    const from = c.from ?? bobId;
    const wrapKey = c.from ? pairKeys(c.from, (await ann.store.getIdentity())!).wrap : annRow.wrapKey;
    const [s] = sealContent(from, encodeBundle(c.items), [{ sigPub: (await ann.store.getIdentity())!.sigPub, wrapKey, stream: c.from ? 1 : ++stream }]);
    const before = ann.refused.length;
    relay.inject(ann.key, peerId(from.sigPub), toB64u(s!.envelope));
    await Promise.resolve(); // the relay's mailbox notice (a microtask) reaches Ann's queue
    await ann.core.idle();
    assert.equal(ann.refused.length, before + 1, `${c.what}: one refusal, not ${JSON.stringify(ann.refused.slice(before))}`);
    assert.match(ann.refused.at(-1)!, new RegExp(`\\b${c.code}\\b`), c.what);
  }
  annRow.streamOut = stream;
  await bobStore.putFriend(annRow);

  // Nothing else changed, and Bob's next real reply and post arrive in order after the refused ones.
  const bob2 = await user(relay, undefined, bobStore);
  await bob2.core.reply(post.key, 'a real reply');
  await bob2.core.post('still here');
  const p = await ann.feedUntil((f) => !!find(f, 'still here') && find(f, 'the real post')!.replies.length === 1);
  const real = find(p, 'the real post')!;
  assert.deepEqual([real.body, real.edited, real.deleted, real.replies[0]!.body], ['the real post', undefined, false, 'a real reply']);
  const seqs = await ann.store.seqsOf(bob.key);
  assert.equal(contiguousCursor(seqs), seqs.length, 'refused envelopes kept their place in the stream: no gap, nothing waits');
  assert.equal((await ann.store.getItem(`${bob.key}:profile`))?.bio, '', "Bob's own card, not the refused ones");
  // Locally too: edits and deletes of someone else's post, and answers to unknown posts, are refused before sending.
  await assert.rejects(bob2.core.edit(post.key, 'mine now'), { code: 'not-author' });
  await assert.rejects(bob2.core.delete(post.key), { code: 'not-author' });
  await assert.rejects(bob2.core.reply(`${ann.key}:${newItemId()}`, 'hello?'), { code: 'unknown-post' });
  await assert.rejects(bob2.core.saveProfile({ name: 'Bob', bio: 'b'.repeat(161) }), { code: 'oversize' });
});

test('profiles: a saved card reaches friends and renames me; newest wins; paging and search over local posts; read marks', async () => {
  const relay = new FakeRelay();
  const ann = await user(relay, 'Ann');
  const bob = await user(relay, 'Bob');
  await befriend(ann, bob);
  await bob.core.saveProfile({ name: 'Robert', bio: 'trains and tea' });
  assert.equal(bob.core.state.me!.name, 'Robert');
  assert.deepEqual(bob.core.state.profile, { name: 'Robert', bio: 'trains and tea' });
  for (let i = 0; i < 7; i++) await bob.core.post(`post number ${i}${i === 3 ? ' about trains' : ''}`);
  const all = await ann.feedUntil((p) => p.items.length === 7 && p.items[0]!.author.name === 'Robert');
  assert.equal(all.items[0]!.author.bio, 'trains and tea');
  assert.equal(all.unread, 7);

  const first = await ann.core.feed({ limit: 3 });
  assert.deepEqual(first.items.map((i) => i.body), ['post number 6', 'post number 5', 'post number 4']);
  const second = await ann.core.feed({ limit: 3, before: first.next });
  assert.deepEqual(second.items.map((i) => i.body), ['post number 3 about trains', 'post number 2', 'post number 1']);
  const last = await ann.core.feed({ limit: 3, before: second.next });
  assert.deepEqual([last.items.length, last.next], [1, undefined]);

  assert.deepEqual((await ann.core.feed({ search: 'TRAIN' })).items.map((i) => i.body), ['post number 3 about trains']);
  assert.deepEqual((await ann.core.feed({ search: 'number abou' })).items.length, 1);
  assert.deepEqual((await ann.core.feed({ search: 'planes' })).items.length, 0);

  await ann.core.markRead(all.items[2]!.ts + 1e9);
  await ann.core.markRead(0); // never moves back
  assert.equal((await ann.core.feed()).unread, 0);
  assert.equal(ann.core.state.unread, 0);
});

test('paging never cuts between posts with the same timestamp: every post is on exactly one page', async () => {
  const relay = new FakeRelay();
  const ann = await user(relay, 'Ann');
  const at = [100, 90, 90, 90, 90, 80, 70, 70, 60];
  for (const [i, ts] of at.entries()) {
    await ann.store.putItem({ key: `bob:p${i}`, author: 'bob', id: `p${i}`, kind: 'post', ts, text: `post ${i}`, via: 'relay', received: ts });
  }
  const seen: string[] = [];
  let before: number | undefined;
  for (let pages = 0; pages < 10; pages++) {
    const page = await ann.core.feed({ limit: 3, ...(before !== undefined && { before }) });
    seen.push(...page.items.map((i) => i.body));
    if (page.next === undefined) break;
    before = page.next;
  }
  assert.deepEqual(seen.sort(), at.map((_, i) => `post ${i}`).sort(), 'each post once, none skipped at a page boundary');
});

test('the read mark covers what was on screen: a post stored after the page was shown stays unread', async () => {
  const relay = new FakeRelay();
  const ann = await user(relay, 'Ann');
  const bob = await user(relay, 'Bob');
  await befriend(ann, bob);
  await bob.core.post('first');
  const shown = await ann.feedUntil((p) => p.items.length === 1);
  await bob.core.post('second');
  await ann.feedUntil((p) => p.items.length === 2);
  await ann.core.markRead(readMarkFor(shown.items));
  const after = await ann.core.feed();
  assert.deepEqual(after.items.map((i) => [i.body, i.unread]), [['second', true], ['first', false]]);
  assert.equal(after.unread, 1);
});

/** Direct channels between cores in one process: open when both ends are connected, messages in microtasks. */
class FakeMesh {
  readonly ends = new Map<string, { on: MeshEvents; open: Set<string> }>();
  readonly sent: { from: string; to: string; text: string }[] = [];
  create: CreateMesh = (me, on) => {
    const end = { on, open: new Set<string>() };
    this.ends.set(me, end);
    const hub = this;
    return {
      connect: (key) => hub.link(me, key),
      signal: () => {},
      isOpen: (key) => end.open.has(key),
      openCount: () => end.open.size,
      send(key, text) {
        const other = hub.ends.get(key);
        if (!end.open.has(key) || !other) return false;
        hub.sent.push({ from: me, to: key, text });
        queueMicrotask(() => other.on.message(me, text));
        return true;
      },
      drop: (key) => hub.unlink(me, key),
      setIceServers: () => {},
      close: () => {
        // This end's channels close; a newer mesh of the same key (a linked device, online as itself after its link
        // mesh) keeps its place.
        for (const k of [...end.open]) {
          end.open.delete(k);
          hub.ends.get(k)?.open.delete(me);
          end.on.close(k);
          hub.ends.get(k)?.on.close(me);
        }
        if (hub.ends.get(me) === end) hub.ends.delete(me);
      },
    };
  };
  link(a: string, b: string): void {
    const [x, y] = [this.ends.get(a), this.ends.get(b)];
    if (!x || !y || x.open.has(b)) return;
    x.open.add(b);
    y.open.add(a);
    queueMicrotask(() => {
      x.on.open(b);
      y.on.open(a);
    });
  }
  unlink(a: string, b: string): void {
    const [x, y] = [this.ends.get(a), this.ends.get(b)];
    x?.open.delete(b);
    y?.open.delete(a);
    x?.on.close(b);
    y?.on.close(a);
  }
}

/** A core with direct channels on `mesh`; with the identity `name`, online (without, a device to be linked). */
async function meshUser(relay: FakeRelay, mesh: FakeMesh, name: string | undefined, store = memoryStore()) {
  const waiter = stateWaiter<ClientState>(() => core.state);
  const core = new ClientCore({ store, connectRelay: relay.connect, createMesh: mesh.create, relayUrl: 'http://relay.test', clock: clock(), log: { warn: () => {}, error: console.error }, onChange: () => waiter.changed() });
  await core.start();
  if (name) {
    await core.createIdentity(name);
    await waiter.until((s) => s.relay === 'connected');
    await core.idle();
  }
  return { core, store, key: core.state.me?.key ?? '', until: waiter.until };
}

test('over direct channels: a list post never reaches the friend outside it, and catch-up resends v2 envelopes with their stream numbers', async () => {
  const relay = new FakeRelay();
  const mesh = new FakeMesh();
  const withMesh = (name: string | undefined, store = memoryStore()) => meshUser(relay, mesh, name, store);
  const ann = await withMesh('Ann');
  const bobStore = memoryStore();
  const bob = await withMesh('Bob', bobStore);
  const cat = await withMesh('Cat');
  for (const f of [bob, cat]) {
    const code = await ann.core.createInvite();
    await ann.core.idle();
    await f.core.acceptInvite(code);
    await ann.until((s) => s.friends.some((x) => x.key === f.key && x.status === 'mutual' && x.direct));
    await f.until((s) => s.friends.some((x) => x.key === ann.key && x.devices.length > 0)); // the list a friendship sends first
    await Promise.all([ann.core.idle(), f.core.idle()]);
  }
  const [sentBefore, putsBefore] = [mesh.sent.length, relay.puts.length];
  const list = await ann.core.saveList({ name: 'Bob only', members: [bob.key] });
  await ann.core.post({ text: 'direct to Bob', audience: list.id });
  await bob.until((s) => s.posts.some((p) => p.body === 'direct to Bob' && p.via === 'p2p'));
  assert.ok(!mesh.sent.slice(sentBefore).some((m) => m.to === cat.key && m.text.includes('"post"')), 'no envelope to Cat on the channel');
  assert.equal(relay.puts.length, putsBefore, 'nothing through the relay either');

  // Bob goes away; Ann's next posts to him can reach neither the channel nor the relay: they wait in her outbox.
  bob.core.close();
  relay.refusePuts = 'quota';
  await ann.core.post({ text: 'while you were away', audience: list.id });
  await ann.core.post('to both, while Bob was away');
  relay.refusePuts = undefined;
  const bob2 = await withMesh(undefined, bobStore);
  await bob2.until((s) => s.posts.some((p) => p.body === 'while you were away') && s.posts.some((p) => p.body === 'to both, while Bob was away'));
  await ann.core.idle();
  await bob2.core.idle();
  assert.deepEqual(await bobStore.seqsOf(ann.key), [1, 2, 3, 4], "Bob's stream from Ann, gap-free (1: her device list)");
  assert.deepEqual(await cat.store.seqsOf(ann.key), [1, 2], "Cat's: her device list, and only the post to both");
  const mine = await ann.store.postsBy(ann.key);
  await ann.until(() => true);
  for (const p of mine.filter((x) => x.kind === 'post')) assert.equal(p.delivery?.[bob.key], 'delivered', `${p.body}: delivered to Bob (acks count his stream numbers)`);
});

test('linking over a data channel; then friends connected directly are counted as people: a friend’s two devices are one friend, my own other device is none', async () => {
  const relay = new FakeRelay();
  const mesh = new FakeMesh();
  const ann = await meshUser(relay, mesh, 'Ann');
  const bob = await meshUser(relay, mesh, 'Bob');
  const code = await ann.core.createInvite();
  await ann.core.idle();
  await bob.core.acceptInvite(code);
  await ann.until((s) => s.friends.some((x) => x.key === bob.key && x.status === 'mutual' && x.direct));
  await bob.until((s) => s.friends.some((x) => x.key === ann.key && x.devices.length > 0));
  const phone = await meshUser(relay, mesh, undefined);
  const link = phone.core.startLink('Ann’s phone');
  await link.ready;
  await (await ann.core.linkDevice(link.code)).confirm();
  await link.done;
  await phone.until((s) => s.relay === 'connected' && s.friends.some((f) => f.key === bob.key && f.direct));
  const phoneKey = toB64u((await phone.store.getIdentity())!.sigPub);
  const open = (k: string) => mesh.ends.get(k)!.open;
  await bob.until(() => open(bob.key).has(phoneKey) && open(bob.key).has(ann.key));
  await Promise.all([ann.core.idle(), bob.core.idle(), phone.core.idle()]);
  assert.equal(bob.core.state.direct, 1, 'Bob: Ann, on two channels');
  // Whether the laptop and the phone have a channel again by now depends on the fake relay's presence order after the
  // phone's link connection closes; either way neither counts the other.
  assert.equal(phone.core.state.direct, 1, 'Ann’s phone: Bob, not Ann’s laptop');
  assert.equal(ann.core.state.direct, 1, 'Ann’s laptop: Bob, not her phone');
  assert.ok(mesh.sent.some((m) => m.to === phoneKey && m.text.startsWith('{"t":"link"')), 'Ann’s state went to the phone over their data channel');
  phone.core.close();
});
