// admit() on its own: the rules a bundle's items must meet, each refusal with its code, and what is stored otherwise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { admit, keysNeeded, type Known } from '../../client/core/items.js';
import type { ItemRow } from '../../client/core/types.js';
import { newItemId, signItem, type SignedItem } from '../../shared/crypto/content.js';
import { generateIdentity, peerId } from '../../shared/crypto/identity.js';
import { addDevice, deviceEntry, deviceFromIdentity, generateDevice, signDeviceList } from '../../shared/crypto/devices.js';
import { toB64u } from '../../shared/bytes.js';
import type { SyncOp } from '../../shared/sync-op.js';
import { throwsCode } from './helpers.js';

const [ann, bob, cat] = ['Ann', 'Bob', 'Cat'].map((n) => generateIdentity(n)) as [ReturnType<typeof generateIdentity>, ReturnType<typeof generateIdentity>, ReturnType<typeof generateIdentity>];
const [A, B, C] = [ann, bob, cat].map((i) => peerId(i.sigPub)) as [string, string, string];
const postId = newItemId();
const annPost: ItemRow = { key: `${A}:${postId}`, author: A, id: postId, kind: 'post', ts: 10, text: 'hi', via: 'self', received: 10, audience: { to: [B] } };
const known = (me: string, ...rows: ItemRow[]): Known => ({ me, items: new Map(rows.map((r) => [r.key, r])) });
const run = (bundle: SignedItem[], from: string, k: Known) => admit(bundle, from, k, 'relay', 100, 1);
const reply = (who = bob, to = { a: A, id: postId }) => signItem(who, { kind: 'reply', id: newItemId(), ts: 20, to, text: 'yo' });

test('a post already held is a replay, not a second copy (an edit or delete is never undone by a resend)', () => {
  const p = signItem(ann, { kind: 'post', id: postId, ts: 10, text: 'hi' });
  assert.ok(keysNeeded([p]).includes(annPost.key), 'the receiver looks the post up before admitting it');
  throwsCode(() => run([p], A, known(B, { ...annPost, deleted: 11, text: '' })), 'replay');
  assert.equal(run([p], A, known(B)).put[0]!.text, 'hi');
});

test('replies and reactions: to the post’s author from its audience, or passed on by that author; otherwise named refusals', () => {
  const ok = run([reply()], B, known(A, annPost));
  assert.deepEqual([ok.put[0]!.parent, ok.forward.length], [annPost.key, 1], 'stored and passed on');
  throwsCode(() => run([reply(cat)], C, known(A, annPost)), 'unknown-post', 'from a friend the post was not sealed for');
  throwsCode(() => run([reply(bob, { a: A, id: newItemId() })], B, known(A, annPost)), 'unknown-post', 'to a post not held');
  throwsCode(() => run([reply(bob)], B, known(C, annPost)), 'unknown-post', "sent straight to a reader, not through the post's author");
  throwsCode(() => run([reply(bob, { a: C, id: postId })], A, known(C, { ...annPost, key: `${C}:${postId}`, author: C })), 'unknown-post', "passed on by someone who is not the post's author");
  const passed = run([reply(), signItem(bob, { kind: 'profile', id: newItemId(), ts: 5, name: 'Bob', bio: '' })], A, known(C, annPost));
  assert.deepEqual(passed.put.map((r) => r.kind), ['reply', 'profile'], "a reader stores the passed-on reply and the writer's card");
  assert.equal(passed.forward.length, 0, 'only the post’s author passes things on');
  throwsCode(() => run([reply(), signItem(cat, { kind: 'profile', id: newItemId(), ts: 5, name: 'Cat', bio: '' })], A, known(C, annPost)), 'not-author', "someone else's card riding along");
  throwsCode(() => run([signItem(bob, { kind: 'edit', id: newItemId(), ts: 30, to: { a: B, id: postId }, text: 'x' })], A, known(C, annPost)), 'bad-frame', 'an edit cannot be passed on');
  // Ann's other device (a phone listed in her devices) wrote a reply: her laptop takes it as hers, wherever it went,
  // and passes nothing on (the phone sent it where it goes).
  const phone = generateDevice();
  const asAnn = (k: string) => (k === toB64u(phone.sigPub) ? A : k);
  const bobPost: ItemRow = { ...annPost, key: `${B}:${postId}`, author: B, audience: { to: [A] } };
  const toBob = run([signItem(phone, { kind: 'reply', id: newItemId(), ts: 20, to: { a: B, id: postId }, text: 'from my phone' })], A, { ...known(A, bobPost), personOf: asAnn });
  assert.deepEqual([toBob.put[0]!.author, toBob.forward.length], [A, 0], 'my reply to a friend’s post, from my phone');
  const toMine = run([signItem(phone, { kind: 'reply', id: newItemId(), ts: 20, to: { a: A, id: postId }, text: 'under my own post' })], A, { ...known(A, annPost), personOf: asAnn });
  assert.deepEqual([toMine.put[0]!.author, toMine.forward.length], [A, 0], 'my reply under my own post, from my phone: not passed on twice');
});

test('edits and deletes: only the author’s; the newest edit wins; a delete is final', () => {
  const edit = (ts: number, who = ann) => signItem(who, { kind: 'edit', id: newItemId(), ts, to: { a: A, id: postId }, text: `v${ts}` });
  throwsCode(() => run([edit(30, bob)], B, known(C, annPost)), 'not-author');
  throwsCode(() => run([signItem(bob, { kind: 'delete', id: newItemId(), ts: 30, to: { a: A, id: postId } })], B, known(C, annPost)), 'not-author');
  throwsCode(() => run([edit(30)], A, known(C)), 'unknown-post');
  assert.equal(run([edit(30)], A, known(C, annPost)).put[0]!.text, 'v30');
  assert.deepEqual(run([edit(30)], A, known(C, { ...annPost, edited: 40 })).put, [], 'an older edit changes nothing');
  const del = run([signItem(ann, { kind: 'delete', id: newItemId(), ts: 50, to: { a: A, id: postId } })], A, known(C, annPost)).put[0]!;
  assert.deepEqual([del.deleted, del.text, del.signed], [50, '', undefined], 'text and signed bytes dropped');
  assert.deepEqual(run([edit(60)], A, known(C, del)).put, [], 'no edit after a delete');
});

test('device lists: stored when signed by their sender’s identity; forged, rolled back or passed on is refused; a change names what it added', () => {
  const at = 1_000;
  const annPhone = deviceEntry(ann.sigPub, generateDevice(), 'phone', at);
  const annFirst = deviceEntry(ann.sigPub, deviceFromIdentity(ann), 'laptop', at);
  const v1 = signDeviceList(ann, { version: 1, issued: at, devices: [annFirst] });
  const v2 = addDevice(ann, v1, annPhone, at + 1);
  const item = (list: Uint8Array, who = ann) => signItem(who, { kind: 'devices', id: newItemId(), ts: 30, list: toB64u(list) });
  const first = run([item(v1.bytes)], A, known(B));
  assert.deepEqual([first.put[0]!.key, first.put[0]!.addedDevices], [`${A}:devices`, undefined], 'the first list is the baseline: no notice');
  const held = first.put[0]!;
  const next = run([item(v2.bytes)], A, known(B, held)).put[0]!;
  assert.deepEqual(next.addedDevices, [{ name: 'phone', added: at }], 'the new device is named for the notice');
  assert.deepEqual(run([item(v2.bytes)], A, known(B, next)).put, [], 'the same list again changes nothing');
  throwsCode(() => run([item(v1.bytes)], A, known(B, next)), 'rollback', 'an older list');
  const forkedV2 = signDeviceList(ann, { version: 2, issued: at + 5, devices: [annFirst] });
  throwsCode(() => run([item(forkedV2.bytes)], A, known(B, next)), 'rollback', 'another list under a version already held');
  const cats = signDeviceList(cat, { version: 3, issued: at, devices: [deviceEntry(cat.sigPub, generateDevice(), 'cat’s', at)] });
  throwsCode(() => run([item(cats.bytes)], A, known(B, held)), 'bad-signature', "someone else's list in Ann's item");
  const forged = v2.bytes.slice();
  forged[forged.length - 1]! ^= 1;
  throwsCode(() => run([item(forged)], A, known(B, held)), 'bad-signature', 'a list whose signature does not verify');
  throwsCode(() => run([item(v2.bytes)], C, known(B, held)), 'bad-frame', 'passed on by someone else');
  // One of Ann's listed devices speaks for her in posts, but not for which devices are hers: it signs a list of its own.
  const phone = { ...generateDevice(), name: 'phone' };
  const phoneKey = toB64u(phone.sigPub);
  const asAnn = (k: string) => (k === phoneKey ? A : k);
  const own = signDeviceList(phone, { version: 9, issued: at, devices: [deviceEntry(phone.sigPub, deviceFromIdentity(phone), 'phone', at)] });
  throwsCode(() => run([item(own.bytes, phone)], A, { ...known(B, held), personOf: asAnn }), 'not-author', 'a device list signed by a device');
  const fromPhone = run([signItem(phone, { kind: 'post', id: newItemId(), ts: 40, text: 'from my phone' })], A, { ...known(B), personOf: asAnn });
  assert.equal(fromPhone.put[0]!.author, A, 'a post signed by a listed device is its person’s');
});

test('sync items: only from a device in my own list; a friend added only by the identity’s own device', () => {
  const phone = generateDevice();
  const asAnn = (k: string) => (k === toB64u(phone.sigPub) ? A : k);
  const sync = (who: { sigPub: Uint8Array; sigSecret: Uint8Array }, op: SyncOp) => signItem(who, { kind: 'sync', id: newItemId(), ts: 30, op });
  const read = { op: 'read', upTo: 25 } as const;
  assert.deepEqual(run([sync(phone, read)], A, { ...known(A), personOf: asAnn }).sync, read, 'from my phone: applied');
  assert.deepEqual(run([sync(ann, { op: 'unfriend', key: B })], A, { ...known(A), personOf: asAnn }).sync, { op: 'unfriend', key: B }, 'from my laptop: applied');
  throwsCode(() => run([sync(bob, { op: 'unfriend', key: C })], B, known(A)), 'unknown-device', 'from a friend: they are not a device of mine');
  throwsCode(() => run([sync(phone, read)], B, { ...known(A), personOf: asAnn }), 'bad-frame', 'passed on by a friend');
  const friend = { sigPub: toB64u(cat.sigPub), dhPub: toB64u(cat.dhPub), name: 'Cat', added: 1 };
  assert.equal(run([sync(ann, { op: 'friend', friend })], A, { ...known(A), personOf: asAnn }).sync?.op, 'friend', 'a friend added on the identity’s device');
  throwsCode(() => run([sync(phone, { op: 'friend', friend })], A, { ...known(A), personOf: asAnn }), 'not-author', 'a friend “added” by a linked device, which cannot befriend');
});

test('a reply written on the replier’s other device, passed on to a reader who is not their friend: their device list rides along and says whose', () => {
  const phone = generateDevice();
  const at = 5;
  const list = signDeviceList(bob, { version: 2, issued: at, devices: [deviceEntry(bob.sigPub, deviceFromIdentity(bob), 'laptop', at), deviceEntry(bob.sigPub, phone, 'phone', at)] });
  const listItem = (signer = bob, bytes = list.bytes) => signItem(signer, { kind: 'devices', id: newItemId(), ts: at, list: toB64u(bytes) });
  const fromPhone = reply(phone as unknown as typeof bob);
  const card = signItem(bob, { kind: 'profile', id: newItemId(), ts: 5, name: 'Bob', bio: '' });
  const seen = run([fromPhone, card, listItem()], A, known(C, annPost));
  assert.deepEqual(seen.put.map((r) => [r.kind, r.author]), [['reply', B], ['profile', B]], 'Cat stores it as Bob’s, with his card, and not his list');
  assert.ok(keysNeeded([fromPhone, card, listItem()]).includes(`${B}:${fromPhone.item.id}`), 'its earlier copy is looked up under Bob');
  throwsCode(() => run([fromPhone, card], A, known(C, annPost)), 'not-author', 'without the list, Bob’s card cannot vouch for the phone');
  const forged = list.bytes.slice();
  forged[forged.length - 1]! ^= 1;
  throwsCode(() => run([fromPhone, card, listItem(bob, forged)], A, known(C, annPost)), 'bad-signature', 'a list whose signature does not verify');
  const catsClaim = signDeviceList(cat, { version: 1, issued: at, devices: [deviceEntry(cat.sigPub, deviceFromIdentity(cat), 'laptop', at)] });
  throwsCode(() => run([fromPhone, listItem(cat, catsClaim.bytes)], A, known(C, annPost)), 'bad-frame', 'a list that does not name the writing device');
  throwsCode(() => run([reply(), listItem()], B, known(A, annPost)), 'bad-frame', 'a list riding with an item sent straight, not passed on');
  // Cat is Bob's friend too and holds his newer list, which dropped the phone: the old list no longer vouches for it.
  const v3 = signDeviceList(bob, { version: 3, issued: at + 1, devices: [deviceEntry(bob.sigPub, deviceFromIdentity(bob), 'laptop', at)] });
  const catHolds: ItemRow = { key: `${B}:devices`, author: B, id: newItemId(), kind: 'devices', ts: at + 1, list: toB64u(v3.bytes), via: 'relay', received: at + 1 };
  assert.ok(keysNeeded([fromPhone, card, listItem()]).includes(`${B}:devices`), 'the reader looks up the list it holds of the writer');
  throwsCode(() => run([fromPhone, card, listItem()], A, known(C, annPost, catHolds)), 'rollback', 'a removed device speaking through an old list');
});

test('a riding list is held to an age bound by a reader who holds no list of the writer: older than 30 days, or issued over a day ahead of the reader’s clock, is refused (`stale`)', () => {
  // The bound as shared/crypto/devices.ts sets it (MAX_RIDING_LIST_AGE_MS, DEVICE_LIST_CLOCK_SKEW_MS; the vectors pin both).
  const day = 86_400_000;
  const issued = Date.UTC(2026, 0, 1);
  const phone = generateDevice();
  const list = signDeviceList(bob, { version: 2, issued, devices: [deviceEntry(bob.sigPub, deviceFromIdentity(bob), 'laptop', 5), deviceEntry(bob.sigPub, phone, 'phone', 5)] });
  const fromPhone = reply(phone as unknown as typeof bob);
  const bundle = [fromPhone, signItem(bob, { kind: 'devices', id: newItemId(), ts: issued, list: toB64u(list.bytes) })];
  const catAt = (received: number, ...held: ItemRow[]) => admit(bundle, A, known(C, annPost, ...held), 'relay', received, 1);
  assert.equal(catAt(issued + 30 * day).put[0]!.author, B, 'exactly 30 days old: still Bob’s');
  throwsCode(() => catAt(issued + 30 * day + 1), 'stale', 'a day past the bound: a device removed since could be speaking');
  throwsCode(() => catAt(issued + 365 * day), 'stale', 'a year old');
  assert.equal(catAt(issued - day).put[0]!.author, B, 'issued a day ahead of the reader’s clock (the writer’s clock runs fast): taken');
  throwsCode(() => catAt(issued - day - 1), 'stale', 'further ahead: its age cannot be bounded');
  // A reader who holds Bob's list (his friend) decides by version alone, as before: no age bound.
  const held = (l: typeof list): ItemRow => ({ key: `${B}:devices`, author: B, id: newItemId(), kind: 'devices', ts: issued, list: toB64u(l.bytes), via: 'relay', received: issued });
  assert.equal(catAt(issued + 365 * day, held(list)).put[0]!.author, B, 'the very list Cat holds, a year on');
  const older = signDeviceList(bob, { version: 1, issued: issued - day, devices: [deviceEntry(bob.sigPub, deviceFromIdentity(bob), 'laptop', 5)] });
  assert.equal(catAt(issued + 365 * day, held(older)).put[0]!.author, B, 'newer than the one Cat holds');
  const newer = signDeviceList(bob, { version: 3, issued: issued + day, devices: [deviceEntry(bob.sigPub, deviceFromIdentity(bob), 'laptop', 5)] });
  throwsCode(() => catAt(issued + day, held(newer)), 'rollback', 'older than the one Cat holds, however fresh');
});
