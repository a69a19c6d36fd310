// The rules for keeping my devices in step on their own: a friend entry verified on arrival, and the read mark carried over to a device that received the same posts later.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { friendFromEntry, readMarkHere } from '../../client/core/device-sync.js';
import type { ItemRow } from '../../client/core/types.js';
import { newItemId, signItem } from '../../shared/crypto/content.js';
import { generateIdentity, peerId } from '../../shared/crypto/identity.js';
import { deviceEntry, deviceFromIdentity, signDeviceList } from '../../shared/crypto/devices.js';
import { toB64u } from '../../shared/bytes.js';
import { memoryStore } from '../cases/memory-store.js';
import { throwsCode } from './helpers.js';
import { manualClock } from './core-harness.js';

const ann = generateIdentity('Ann');
const cat = generateIdentity('Cat');
const mallory = generateIdentity('Mallory');

/** Cat's device list as a signed devices item, signed by `signer`'s identity (Cat's own, or someone else's). */
function catList(signer = cat): string {
  const list = signDeviceList(cat, { version: 5, issued: 5, devices: [deviceEntry(cat.sigPub, deviceFromIdentity(cat), 'laptop', 5)] });
  return toB64u(signItem(signer, { kind: 'devices', id: newItemId(), ts: 5, list: toB64u(list.bytes) }).bytes);
}
const entry = (devices?: string) => ({ sigPub: toB64u(cat.sigPub), dhPub: toB64u(cat.dhPub), name: 'Cat', added: 1, ...(devices && { devices }) });

test('a friend entry from another device of mine: kept with keys of this device’s own; a list not signed by the friend is refused', () => {
  const { row, devices } = friendFromEntry(ann, entry(catList()), 100);
  assert.deepEqual([row.key, row.status, devices?.list.version, devices?.item.key], [peerId(cat.sigPub), 'mutual', 5, `${peerId(cat.sigPub)}:devices`]);
  assert.equal(friendFromEntry(ann, entry(), 100).devices, undefined, 'no list yet: the friend alone');
  throwsCode(() => friendFromEntry(ann, entry(catList(mallory)), 100), 'not-author', 'a list item someone else signed');
  const forged = signDeviceList(mallory, { version: 9, issued: 9, devices: [deviceEntry(mallory.sigPub, deviceFromIdentity(mallory), 'evil', 9)] });
  const claimed = toB64u(signItem(cat, { kind: 'devices', id: newItemId(), ts: 9, list: toB64u(forged.bytes) }).bytes);
  throwsCode(() => friendFromEntry(ann, entry(claimed), 100), 'bad-signature', 'a list Cat’s identity did not sign, in an item that claims to be hers');
});

test('the read mark from another device: up to its time, then on through what arrived here later while it was written before that', async () => {
  const store = memoryStore();
  const me = peerId(ann.sigPub);
  const C = peerId(cat.sigPub);
  const post = (ts: number, received: number, author = C): ItemRow => ({ key: `${author}:${ts}`, author, id: newItemId(), kind: 'post', ts, received, text: 't', via: 'relay' });
  // This device was offline: it took in the posts the other device read (written before 200) at 500 and after.
  for (const p of [post(100, 500), post(150, 510), post(300, 520), post(120, 530), post(400, 505, me)]) await store.putItem(p);
  const ctx = { store, me: ann, clock: manualClock(1000) };
  assert.equal(await readMarkHere(ctx, 200), 510, 'read through 150, up to the first post written after 200 (not read there yet)');
  assert.equal(await readMarkHere(ctx, 600), 600, 'everything here arrived before that: the mark itself');
  assert.equal(await readMarkHere(ctx, 60_000), 1000, 'a clock ahead of this one marks no more than what is here now');
  await store.putMeta('readUpTo', 700);
  assert.equal(await readMarkHere(ctx, 200), 700, 'never moves back');
});
