// The client core's rules with in-memory stand-ins (store, relay, clock): befriend, post, mailbox, outbox, remove, restore.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClientStore } from '../../client/core/ports.js';
import { memoryStore } from '../cases/memory-store.js';
import { FakeRelay } from './fake-relay.js';
import { coreUser, manualClock, online, type CoreUser as User } from './core-harness.js';
import { fromB64u, toB64u } from '../../shared/bytes.js';
import { mailboxAllowTag, pairKeys } from '../../shared/crypto/pairwise.js';
import { openEnvelope, readHeader } from '../../shared/crypto/envelope.js';
import { readLinkOffer } from '../../shared/crypto/link.js';
import { deviceEntry, generateDevice } from '../../shared/crypto/devices.js';

/** A core on the fake relay, with a clock the test moves (new unless given). */
const user = (relay: FakeRelay, clock = manualClock(), store?: ClientStore): User => coreUser(relay, { clock, ...(store && { store }) });

async function befriend(a: User, b: User): Promise<void> {
  const code = await a.core.createInvite();
  await a.core.idle();
  await b.core.acceptInvite(code);
  await a.until((s) => s.friends.some((f) => f.key === b.core.state.me!.key && f.status === 'mutual'));
}

/** Befriends, then waits until each holds the other's device list (what a new friendship sends first) and is idle. */
async function settledFriends(a: User, b: User): Promise<void> {
  await befriend(a, b);
  await b.until((s) => s.friends.some((f) => f.key === a.core.state.me!.key && f.devices.length > 0));
  await a.until((s) => s.friends.some((f) => f.key === b.core.state.me!.key && f.devices.length > 0));
  await Promise.all([a.core.idle(), b.core.idle()]);
}

/** Ann and Bob on one relay, settled friends; Bob's store is kept, to start him again on it. */
async function annAndBob(): Promise<{ relay: FakeRelay; ann: User; bob: User; bobStore: ClientStore }> {
  const relay = new FakeRelay();
  const ann = await online(user(relay), 'Ann');
  const bobStore = memoryStore();
  const bob = await online(user(relay, manualClock(), bobStore), 'Bob');
  await settledFriends(ann, bob);
  return { relay, ann, bob, bobStore };
}

test('invite, accept, post both ways through the mailbox (relay-only core)', async () => {
  const relay = new FakeRelay();
  const ann = await online(user(relay), 'Ann');
  const bob = await online(user(relay), 'Bob');
  await befriend(ann, bob);
  assert.equal(bob.core.state.friends[0]!.status, 'pending', 'the accepter is pending until the inviter shows it holds them');

  await ann.core.post('hello Bob');
  const got = await bob.until((s) => s.posts.some((p) => p.body === 'hello Bob'));
  const p = got.posts.find((x) => x.body === 'hello Bob')!;
  assert.equal(p.authorName, 'Ann');
  assert.equal(p.via, 'relay');
  await bob.until((s) => s.friends[0]!.status === 'mutual');

  await bob.core.post('hi Ann');
  await ann.until((s) => s.posts.some((x) => x.body === 'hi Ann' && x.authorName === 'Bob'));
  // Bob's receipt turns Ann's mailbox post into 'delivered' with no data channel.
  await ann.until((s) => s.posts.find((x) => x.body === 'hello Bob')!.delivery![bob.core.state.me!.key] === 'delivered');
});

test('a post to an offline friend waits in the mailbox and arrives when they next connect', async () => {
  const { relay, ann, bob, bobStore } = await annAndBob();
  bob.core.close();
  await ann.core.post('while you were away');
  assert.equal(relay.mailboxes.get(bob.core.state.me!.key)?.length, 1);

  const again = await online(user(relay, manualClock(), bobStore));
  await again.until((s) => s.posts.some((p) => p.body === 'while you were away' && p.via === 'relay'));
  await again.core.idle();
  assert.equal(relay.mailboxes.get(again.core.state.me!.key)?.length, 0, 'fetched posts are acknowledged');
});

test('with the relay down a post waits in the outbox once, and leaves once when it is back', async () => {
  const relay = new FakeRelay();
  const clock = manualClock();
  const annStore = memoryStore();
  const ann = await online(user(relay, clock, annStore), 'Ann');
  const bob = await online(user(relay), 'Bob');
  await settledFriends(ann, bob);
  const toBob = () => relay.puts.filter((p) => p.to === bob.core.state.me!.key).length;
  const before = toBob(); // the device list a new friendship sends
  ann.core.close();
  relay.up = false;
  const offline = user(relay, clock, annStore);
  await offline.core.start();
  await offline.until((s) => s.relay === 'offline');
  const row = await offline.core.post('queued');
  assert.equal(Object.values(row.delivery!)[0], 'queued');
  assert.equal((await annStore.listOutbox()).length, 1);
  offline.core.close();

  relay.up = true;
  const back = await online(user(relay, clock, annStore));
  await bob.until((s) => s.posts.some((p) => p.body === 'queued'));
  await back.core.idle();
  assert.equal((await annStore.listOutbox()).length, 0);
  assert.equal(toBob() - before, 1, 'sent once');
});

test('a mailbox page of posts is taken in with a few state builds, not one each, and each post is announced once the state holds it', async () => {
  const { relay, ann, bob, bobStore } = await annAndBob();
  bob.core.close();
  const POSTS = 30;
  for (let i = 0; i < POSTS; i++) await ann.core.post(`while away ${i}`);

  // A state build reads the newest posts once; like IndexedDB, this store answers that in a later task.
  let builds = 0;
  const store: ClientStore = {
    ...bobStore,
    recentPosts: (n) => {
      builds++;
      return new Promise((resolve) => setImmediate(() => resolve(bobStore.recentPosts(n))));
    },
  };
  const { core, until, received, seen } = coreUser(relay, { clock: manualClock(), store });
  await core.start();
  await until((s) => s.posts.filter((p) => p.body.startsWith('while away')).length === POSTS);
  await core.idle();
  const early = received.filter((p, i) => !seen[i]!.posts.some((x) => x.author === p.author && x.seq === p.seq)).map((p) => p.body);
  assert.equal(received.length, POSTS, 'every post announced once');
  assert.deepEqual(early, [], 'no post announced before the state held it');
  assert.ok(builds <= POSTS / 3, `${builds} state builds for ${POSTS} posts fetched in one page`);
  core.close();
});

test('befriending while never online together: the friend request waits at the relay until the inviter connects', async () => {
  const relay = new FakeRelay();
  const annStore = memoryStore();
  const ann = await online(user(relay, manualClock(), annStore), 'Ann');
  const code = await ann.core.createInvite();
  await ann.core.idle();
  const annKey = ann.core.state.me!.key;
  ann.core.close();

  const bobStore = memoryStore();
  const bob = await online(user(relay, manualClock(), bobStore), 'Bob');
  await bob.core.acceptInvite(code);
  await bob.core.idle();
  const waiting = relay.mailboxes.get(annKey) ?? [];
  assert.equal(waiting.length, 1, 'the request waits in her mailbox');
  assert.notEqual(waiting[0]!.from, bob.core.state.me!.key, 'left under the invite’s drop key, not Bob’s');
  console.error('got post');
  const bobKey = bob.core.state.me!.key;
  bob.core.close();

  const ann2 = await online(user(relay, manualClock(), annStore));
  await ann2.until((s) => s.friends.some((f) => f.key === bobKey && f.status === 'mutual'));
  await ann2.core.idle();
  assert.equal(relay.mailboxes.get(annKey)?.length, 0, 'the request is acknowledged');
  await ann2.core.post('welcome, Bob');
  ann2.core.close();

  const bob2 = await online(user(relay, manualClock(), bobStore));
  await bob2.until((s) => s.posts.some((p) => p.body === 'welcome, Bob' && p.authorName === 'Ann'));
  await bob2.until((s) => s.friends[0]!.status === 'mutual');
  assert.ok((await bobStore.listFriends())[0]!.invite?.dropped, 'left once, remembered');
});

test('a refused mailbox put stays one outbox row through failed retries, and leaves once', async () => {
  const relay = new FakeRelay();
  const clock = manualClock();
  const ann = await online(user(relay, clock), 'Ann');
  const bob = await online(user(relay), 'Bob');
  await settledFriends(ann, bob);
  const before = relay.puts.length; // the device lists a new friendship sends
  relay.refusePuts = 'quota';
  await ann.core.post('over quota');
  const outbox = async () => (await (ann as User).store.listOutbox()).length;
  assert.equal(await outbox(), 1);
  for (let i = 0; i < 3; i++) {
    assert.equal(clock.timers.length, i + 1, 'a retry is scheduled');
    clock.timers[i]!();
    await ann.core.idle();
    assert.equal(await outbox(), 1, `retry ${i + 1} failed and queued nothing more`);
  }
  relay.refusePuts = undefined;
  clock.timers.at(-1)!();
  await ann.core.idle();
  assert.equal(await outbox(), 0);
  await bob.until((s) => s.posts.some((p) => p.body === 'over quota'));
  assert.equal(relay.puts.length - before, 1);
});

test('after remove nothing new reaches the removed friend, and their re-sent request for the used invite is refused', async () => {
  const relay = new FakeRelay();
  const ann = await online(user(relay), 'Ann');
  const bob = await online(user(relay), 'Bob');
  await settledFriends(ann, bob);
  console.error('got post');
  const bobKey = bob.core.state.me!.key;
  await ann.core.unfriend(bobKey);
  const row = await ann.core.post('not for Bob');
  assert.deepEqual(row.delivery, {}, 'not sealed for a removed friend');
  // Bob still holds the invite as pending: presence makes him send the request again; Ann refuses it (revoked).
  relay.disconnect(bobKey);
  const bob2 = await online(user(relay, manualClock(), bob.store));
  await bob2.core.idle();
  await ann.core.idle();
  assert.equal(ann.core.state.friends.length, 0);
  await assert.rejects(ann.core.unfriend(bobKey), { code: 'not-friend' });
});

test('a restored identity numbers its posts past the restore time; a second identity is refused', async () => {
  const relay = new FakeRelay();
  const clock = manualClock();
  const ann = await online(user(relay, clock), 'Ann');
  const first = await ann.core.post('one');
  assert.equal(first.seq, 1);
  const backup = await ann.core.exportBackup('pass phrase');
  await assert.rejects(ann.core.createIdentity('Again'), { code: 'bad-frame' });

  clock.t += 60_000;
  const restored = user(relay, clock);
  await restored.core.start();
  await restored.core.importIdentity(backup, 'pass phrase');
  const next = await restored.core.post('after');
  assert.equal(next.seq, clock.t);
  assert.equal(restored.core.state.me!.key, ann.core.state.me!.key);
});

test('an envelope received before a restart is refused as a replay after it (what is held is read per author, on demand)', async () => {
  const { relay, ann, bob, bobStore } = await annAndBob();
  await ann.core.post('only once');
  await bob.until((s) => s.posts.some((p) => p.body === 'only once'));
  const bobKey = bob.core.state.me!.key;
  const env = relay.puts.filter((p) => p.to === bobKey).at(-1)!.env;
  bob.core.close();

  const { core: again, received } = await online(user(relay, manualClock(), bobStore));
  relay.inject(bobKey, ann.core.state.me!.key, env);
  await new Promise((resolve) => setImmediate(resolve)); // the relay's 'mailbox' nudge is a microtask
  await again.idle();
  assert.equal(relay.mailboxes.get(bobKey)?.length, 0, 'the copy was fetched and acknowledged');
  assert.deepEqual(received.map((p) => p.body), [], 'the copy is a replay: no post arrives a second time');
  const held = (await bobStore.postsBy(ann.core.state.me!.key)).filter((p) => p.kind !== 'devices');
  assert.deepEqual(held.map((p) => [p.body, p.kind]), [['only once', 'post']], 'held once, as it first came (not overwritten as refused)');
});

test('device lists: friends get mine once we are mutual; a device I add reaches them with a notice, and each version goes once', async () => {
  const relay = new FakeRelay();
  const annStore = memoryStore();
  const ann = await online(user(relay, manualClock(), annStore), 'Ann');
  const bob = await online(user(relay), 'Bob');
  await settledFriends(ann, bob);
  // Ann holds Bob as a friend at once and sends him her list; it makes Bob mutual, and he sends his.
  const atBob = await bob.until((s) => s.friends[0]?.devices.length === 1);
  assert.deepEqual(atBob.friends[0]!.devices.map((d) => d.name), ['Browser']);
  assert.equal(atBob.friends[0]!.addedDevices, undefined, 'the first list is no news');
  await ann.until((s) => s.friends[0]?.devices.length === 1);

  const annKey = fromB64u(ann.core.state.me!.key, 'key');
  await ann.core.addDevice(deviceEntry(annKey, generateDevice(), 'Ann’s phone', Date.UTC(2026, 0, 2)));
  const later = await bob.until((s) => s.friends[0]?.devices.length === 2);
  assert.deepEqual(later.friends[0]!.addedDevices, [{ name: 'Ann’s phone', added: Date.UTC(2026, 0, 2) }], 'Bob sees that Ann added a device');
  await ann.core.idle();
  // Each version went once, and starting again (a login shares what is due) sends nothing more to Bob.
  ann.core.close();
  const again = await online(user(relay, manualClock(), annStore));
  const sends = (await annStore.recentPosts(50)).filter((p) => p.kind === 'devices' && p.author === again.core.state.me!.key);
  assert.equal(sends.length, 2, 'version 1 and version 2, each once');
});

test('a friend\'s devices: posts are sealed to every device in their list, mine included; a removed device gets nothing sealed after', async () => {
  const { relay, ann, bob: bobBefore, bobStore } = await annAndBob();
  const annKey = ann.core.state.me!.key;
  const bobKey = bobBefore.core.state.me!.key;
  const annPub = fromB64u(annKey, 'key');
  const bobPub = fromB64u(bobKey, 'key');
  const phone = generateDevice();
  const phoneKey = toB64u(phone.sigPub);
  await ann.core.addDevice(deviceEntry(annPub, phone, 'Ann’s phone', Date.UTC(2026, 0, 2)));
  await bobBefore.until((s) => s.friends[0]?.devices.length === 2);
  await bobBefore.core.idle();
  // Bob starts again on his store: the phone's row is kept with its stream.
  bobBefore.core.close();
  const bob = await online(user(relay, manualClock(), bobStore));
  await ann.core.idle();
  // The phone logs in with its own key and allows Ann and Bob to leave posts in its own mailbox (what its core does).
  const phoneRelay = relay.connect(phone, { status: () => {}, authenticated: () => {}, signal: () => {}, presence: () => {}, mailbox: () => {} });
  await new Promise((r) => setTimeout(r, 0));
  const identityDh = new Map([[annKey, (await ann.store.getIdentity())!.dhPub], [bobKey, (await bob.store.getIdentity())!.dhPub]]);
  const pair = (friend: Uint8Array) => pairKeys(phone, { sigPub: friend, dhPub: identityDh.get(toB64u(friend))! });
  const tag = (friend: Uint8Array) => mailboxAllowTag(pair(friend).mailboxIn, friend);
  await phoneRelay.call('mailbox:allow', { tags: [tag(annPub), tag(bobPub)] });

  /** What the phone can read of the envelopes left for it: each opened with its own pairwise key for the sender. */
  const readByPhone = () =>
    relay.puts.filter((p) => p.to === phoneKey).flatMap((p) => {
      const bytes = fromB64u(p.env, 'env');
      const sender = readHeader(bytes).author;
      const opened = openEnvelope(bytes, { me: phone.sigPub, wrapKeyFor: (a) => pair(a).wrap, seen: () => false });
      return opened.items.flatMap((it) => (it.item.kind === 'post' ? [`${toB64u(sender) === annKey ? 'Ann' : 'Bob'}: ${it.item.text}`] : []));
    });

  await bob.core.post('hello, all of Ann');
  await ann.until((s) => s.posts.some((p) => p.body === 'hello, all of Ann'));
  await ann.core.post('from my laptop');
  await bob.until((s) => s.posts.some((p) => p.body === 'from my laptop'));
  assert.deepEqual(readByPhone(), ['Bob: hello, all of Ann', 'Ann: from my laptop'], 'Bob seals to both of Ann\'s devices; Ann seals to her own other device');
  assert.equal(bob.core.state.friends.length, 1, 'a device is not a friend of its own in the list');
  const sent = (await bob.core.feed()).items.find((i) => i.body === 'hello, all of Ann')!;
  assert.deepEqual(Object.keys(sent.delivery ?? {}), [annKey], 'delivery shows once per person');

  await ann.core.removeDevice(phoneKey);
  await bob.until((s) => s.friends[0]?.devices.length === 1);
  await Promise.all([ann.core.idle(), bob.core.idle()]);
  const before = relay.puts.filter((p) => p.to === phoneKey).length;
  await bob.core.post('after the phone was lost');
  await ann.until((s) => s.posts.some((p) => p.body === 'after the phone was lost'));
  await ann.core.post('laptop only');
  await bob.until((s) => s.posts.some((p) => p.body === 'laptop only'));
  await Promise.all([ann.core.idle(), bob.core.idle()]);
  assert.equal(relay.puts.filter((p) => p.to === phoneKey).length, before, 'nothing sealed after the removal goes to the removed device');
  assert.ok(!readByPhone().some((t) => t.includes('after') || t.includes('laptop only')));
  phoneRelay.close();
});

test('linking: a new device joins with its own keys after both screens show one code; friends and both devices exchange posts; removed, it gets nothing after', async () => {
  const { relay, ann, bob } = await annAndBob();
  await ann.core.post('from before the link');
  const phoneStore = memoryStore();
  const phone = user(relay, manualClock(), phoneStore);
  await phone.core.start();
  const link = phone.core.startLink('Ann’s phone');
  await link.ready; // the phone is on the relay, waiting for an answer
  const primary = await ann.core.linkDevice(link.code);
  assert.equal(primary.sas, await link.sas, 'both screens show the same code');
  assert.equal(primary.name, 'Ann’s phone');
  // A signal that is not part of the link (the primary's data channel offer, once it lists the phone) leaves it be.
  const phoneDevice = toB64u(readLinkOffer(link.code, Date.UTC(2026, 0, 1)).device.sigPub);
  relay.clients.get(phoneDevice)!.on.signal(ann.core.state.me!.key, { kind: 'sdp', signal: { type: 'offer' } });
  await primary.confirm();
  await link.done;
  await expectBw(() => ann.core.linkDevice(link.code), 'link-used');
  await expectBw(() => phone.core.exportBackup('a passphrase'), 'not-author');
  await expectBw(() => phone.core.removeDevice(ann.core.state.me!.key), 'not-author');

  await phone.until((s) => s.relay === 'connected');
  const annKey = ann.core.state.me!.key;
  assert.equal(phone.core.state.me!.key, annKey, 'the phone speaks for Ann');
  assert.equal(phone.core.state.me!.fingerprint, ann.core.state.me!.fingerprint);
  assert.deepEqual(phone.core.state.friends.map((f) => f.name), ['Bob'], 'Ann’s friends came with the link');
  const synced = (await phone.core.feed()).items.find((i) => i.body === 'from before the link');
  assert.ok(synced?.mine, 'my posts came with the link, as mine');
  const atBob = await bob.until((s) => s.friends[0]?.devices.length === 2);
  assert.deepEqual(atBob.friends[0]!.addedDevices?.map((d) => d.name), ['Ann’s phone'], 'Bob is told Ann added a device');
  await Promise.all([ann.core.idle(), bob.core.idle(), phone.core.idle()]);

  await bob.core.post('to Ann, wherever she is');
  await ann.until((s) => s.posts.some((p) => p.body === 'to Ann, wherever she is'));
  await phone.until((s) => s.posts.some((p) => p.body === 'to Ann, wherever she is' && p.authorName === 'Bob'));
  await phone.core.post('from the phone');
  await ann.core.post('from the laptop');
  const bobSees = await bob.until((s) => ['from the phone', 'from the laptop'].every((t) => s.posts.some((p) => p.body === t)));
  assert.ok(bobSees.posts.filter((p) => p.body.startsWith('from the')).every((p) => p.authorName === 'Ann' && !p.mine), 'both are Ann’s posts at Bob');
  await ann.until((s) => s.posts.some((p) => p.body === 'from the phone' && p.mine));
  await phone.until((s) => s.posts.some((p) => p.body === 'from the laptop' && p.mine));
  const phoneKey = (await phoneStore.getIdentity())!.sigPub;

  await ann.core.removeDevice(toB64u(phoneKey));
  await bob.until((s) => s.friends[0]?.devices.length === 1);
  await Promise.all([ann.core.idle(), bob.core.idle(), phone.core.idle()]);
  await bob.core.post('after the phone was removed');
  await ann.core.post('laptop after removal');
  await ann.until((s) => s.posts.some((p) => p.body === 'after the phone was removed'));
  await bob.until((s) => s.posts.some((p) => p.body === 'laptop after removal'));
  await Promise.all([ann.core.idle(), bob.core.idle(), phone.core.idle()]);
  assert.ok(!phone.core.state.posts.some((p) => p.body.includes('after') && p.body !== 'from before the link'), 'the removed phone reads nothing posted afterwards');
  phone.core.close();
});

/** Links a new device to `primary` (online on `relay`) and waits until it is online as them and everyone is idle. */
async function linkedDevice(relay: FakeRelay, primary: User, clock = manualClock()): Promise<User> {
  const phone = user(relay, clock);
  await phone.core.start();
  const link = phone.core.startLink('Ann’s phone');
  await link.ready;
  await (await primary.core.linkDevice(link.code)).confirm();
  await link.done;
  await phone.until((s) => s.relay === 'connected');
  await Promise.all([primary.core.idle(), phone.core.idle()]);
  return phone;
}

test('staying in step: a friend added, removed or blocked on one of my devices, and my read mark, follow on the others', async () => {
  const relay = new FakeRelay();
  const clock = manualClock();
  const ann = await online(user(relay, clock), 'Ann');
  const bob = await online(user(relay, clock), 'Bob');
  await settledFriends(ann, bob);
  const phone = await linkedDevice(relay, ann, clock);
  const [A, B] = [ann, bob].map((u) => u.core.state.me!.key) as [string, string];
  await expectBw(() => phone.core.createInvite(), 'not-author'); // only the identity's device befriends

  // Cat befriends Ann on the laptop: the phone holds Cat too, and Cat's posts reach it; the phone's reach Cat.
  const cat = await online(user(relay, clock), 'Cat');
  await settledFriends(ann, cat);
  const C = cat.core.state.me!.key;
  await phone.until((s) => s.friends.some((f) => f.key === C && f.status === 'mutual'));
  await cat.until((s) => s.friends.some((f) => f.key === A && f.devices.length === 2));
  await Promise.all([ann.core.idle(), cat.core.idle(), phone.core.idle()]);
  clock.t += 60_000;
  await cat.core.post('hello Ann');
  await phone.until((s) => s.posts.some((p) => p.body === 'hello Ann' && p.authorName === 'Cat'));
  await ann.until((s) => s.posts.some((p) => p.body === 'hello Ann'));
  await phone.core.post('phone to all');
  await cat.until((s) => s.posts.some((p) => p.body === 'phone to all' && p.authorName === 'Ann'));

  // Read on the laptop: the phone's unread count follows.
  await Promise.all([ann.core.idle(), phone.core.idle()]);
  assert.equal(phone.core.state.unread, 1, 'unread on the phone before');
  clock.t += 60_000;
  await ann.core.markRead(clock.t);
  await phone.until((s) => s.unread === 0);

  // Removed on the phone: gone on the laptop. Blocked on the laptop: gone and blocked on the phone.
  await phone.core.unfriend(B);
  await ann.until((s) => !s.friends.some((f) => f.key === B));
  await ann.core.block(C);
  await phone.until((s) => !s.friends.some((f) => f.key === C) && s.blocked.includes(C));
  await Promise.all([ann.core.idle(), phone.core.idle()]);
  assert.deepEqual([ann.core.state.friends, phone.core.state.friends], [[], []], 'both devices agree: no friends left');
  assert.ok(ann.core.state.blocked.includes(C));
  for (const u of [ann, phone]) assert.deepEqual(u.warnings.filter((w) => !w.includes('not part of the link')), [], 'nothing refused on the way');
  phone.core.close();
});

test('a block on my linked device stands when my laptop, offline meanwhile, later tells it of that friend’s new device list', async () => {
  const relay = new FakeRelay();
  const clock = manualClock();
  const annStore = memoryStore();
  const ann = await online(user(relay, clock, annStore), 'Ann');
  const cat = await online(user(relay, clock), 'Cat');
  await settledFriends(ann, cat);
  const phone = await linkedDevice(relay, ann, clock);
  const C = cat.core.state.me!.key;
  await phone.until((s) => s.friends.some((f) => f.key === C && f.status === 'mutual'));
  await Promise.all([ann.core.idle(), cat.core.idle(), phone.core.idle()]);
  ann.core.close(); // the laptop is offline overnight

  clock.t += 60_000;
  await cat.core.addDevice(deviceEntry(fromB64u(C, 'key'), generateDevice(), 'Cat’s tablet', clock.t)); // waits in the laptop's mailbox
  await cat.core.idle();
  clock.t += 60_000;
  await phone.core.block(C); // and so does this
  await phone.core.idle();
  // The laptop reads Cat's new list first: it tells the phone of Cat again, then applies the phone's block.
  const laptop = await online(user(relay, clock, annStore));
  await laptop.until((s) => s.blocked.includes(C));
  await Promise.all([laptop.core.idle(), phone.core.idle()]);
  assert.ok(phone.core.state.blocked.includes(C) && !phone.core.state.friends.some((f) => f.key === C), 'Cat stays blocked and gone on the phone');
  assert.ok(!laptop.core.state.friends.some((f) => f.key === C), 'and on the laptop');
  laptop.core.close();
  phone.core.close();
});

test('a reply written on a friend’s linked device reaches the post’s other readers under the friend’s name, even those who are not the friend’s friends', async () => {
  const relay = new FakeRelay();
  const [ann, bob, cat] = await Promise.all(['Ann', 'Bob', 'Cat'].map((n) => online(user(relay), n)));
  await settledFriends(ann!, bob!);
  await settledFriends(ann!, cat!);
  const bobPhone = await linkedDevice(relay, bob!);
  await ann!.until((s) => s.friends.some((f) => f.name === 'Bob' && f.devices.length === 2));
  await Promise.all([ann!.core.idle(), bob!.core.idle(), bobPhone.core.idle()]);
  const { id } = await ann!.core.post('what do you all think?');
  await bobPhone.until((s) => s.posts.some((p) => p.body === 'what do you all think?'));
  await bobPhone.core.reply(id, 'from Bob’s phone');
  await cat!.until(() => cat!.received.some((p) => p.kind === 'forward')); // Ann passed it on
  const atCat = (await cat!.core.feed()).items.find((i) => i.id === id)?.replies.find((r) => r.body === 'from Bob’s phone');
  assert.ok(atCat, 'Cat holds the reply under Ann’s post');
  assert.deepEqual([atCat.author.key, atCat.author.name, atCat.author.verified], [bob!.core.state.me!.key, 'Bob', true], 'Cat sees it as Bob’s, by his verified name');
  assert.deepEqual(cat!.warnings, [], 'nothing refused at Cat');
  bobPhone.core.close();
});

/** Resolves once `fn` rejects with a BwError of `code`. */
async function expectBw(fn: () => Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(fn, (e: { code?: string }) => e.code === code);
}

test('start reads the first feed page beside the state; the first feed() takes it, unless something changed since', async () => {
  const relay = new FakeRelay();
  const store = memoryStore();
  const ann = await online(user(relay, manualClock(), store), 'Ann');
  await ann.core.post('before');
  ann.core.close();

  let pages = 0;
  const counted: ClientStore = { ...store, pagePosts: (before, limit) => (pages++, store.pagePosts(before, limit)) };
  const again = user(relay, manualClock(), counted);
  await again.core.start({ connect: false });
  assert.equal(pages, 1, 'start read the first page');
  assert.deepEqual((await again.core.feed({})).items.map((i) => i.body), ['before']);
  assert.equal(pages, 1, 'the first feed() took the page start read');

  // A change after start (here my own post) comes before the first feed(): that page is read again, with it.
  const later = user(relay, manualClock(Date.UTC(2026, 0, 2)), counted);
  await later.core.start({ connect: false });
  await later.core.post('after start');
  assert.deepEqual((await later.core.feed()).items.map((i) => i.body), ['after start', 'before']);
  assert.deepEqual((await later.core.feed({ limit: 1 })).items.map((i) => i.body), ['after start'], 'options: read as asked');
});
