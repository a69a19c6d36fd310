// Restoring a backup v2 into an empty client core (in-memory store and relay): friends, keys, card and numbering come back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { restoredFloor } from '../../client/core/backup.js';
import type { ClientState } from '../../client/core/context.js';
import type { Clock, ClientStore } from '../../client/core/ports.js';
import { exportBackup } from '../../shared/crypto/backup.js';
import { generateIdentity, peerId } from '../../shared/crypto/identity.js';
import { FakeRelay } from './fake-relay.js';
import { coreUser, manualClock, online, type CoreUser as User } from './core-harness.js';

const N = { scryptN: 2 ** 10 };
const PASS = 'pass phrase';

const user = (relay: FakeRelay, clock: Clock, store?: ClientStore): User => coreUser(relay, { clock, ...(store && { store }) });

const texts = (s: ClientState, author: string) => s.posts.filter((p) => p.author === author).map((p) => p.body);

test('a v2 backup restores friends (mutual, same pair keys), blocked keys, open invites and my card; posts flow both ways again', async () => {
  const relay = new FakeRelay();
  const clock = manualClock();
  const ann = await online(user(relay, clock), 'Ann');
  const bob = await online(user(relay, clock), 'Bob');
  const annKey = ann.core.state.me!.key;
  const bobKey = bob.core.state.me!.key;
  await bob.core.acceptInvite(await ann.core.createInvite());
  await ann.until((s) => s.friends.some((f) => f.key === bobKey && f.status === 'mutual'));
  await ann.core.saveProfile({ name: 'Ann A.', bio: 'restored from a backup' });
  const mallory = peerId(generateIdentity('Mallory').sigPub);
  await ann.core.block(mallory);
  await ann.core.createInvite(); // still open when the backup is made
  await ann.core.post('before the backup');
  await bob.until((s) => texts(s, annKey).includes('before the backup'));
  await bob.core.post('hi Ann');
  await ann.until((s) => texts(s, bobKey).includes('hi Ann'));
  await ann.core.idle();

  const backup = await ann.core.exportBackup(PASS, N);
  assert.ok(backup.startsWith('bwbackup2.'));
  // The lost browser keeps posting after the backup: the backup is stale, its numbers must still not be reused.
  await ann.core.post('after the backup');
  await bob.until((s) => texts(s, annKey).includes('after the backup'));
  const oldFriend = (await ann.store.listFriends())[0]!;
  const oldInvites = await ann.store.listInvites();
  ann.core.close();
  relay.allow.delete(annKey); // the relay forgot her allow list: the restored client must send it again

  clock.t += 60_000;
  const back = user(relay, clock);
  await back.core.start();
  await back.core.importIdentity(backup, PASS);
  await back.until((s) => s.relay === 'connected');
  await back.core.idle();
  const s = back.core.state;
  assert.equal(s.me!.key, annKey);
  assert.equal(s.me!.name, 'Ann A.');
  assert.deepEqual(s.friends.map((f) => [f.key, f.name, f.status]), [[bobKey, 'Bob', 'mutual']]);
  assert.deepEqual(s.blocked, [mallory]);
  assert.deepEqual(s.profile, { name: 'Ann A.', bio: 'restored from a backup' });
  const row = (await back.store.listFriends())[0]!;
  assert.deepEqual(row.wrapKey, oldFriend.wrapKey, 'pair key derived again, the same');
  assert.equal(row.mailboxOut, oldFriend.mailboxOut);
  assert.equal(row.mailboxAllow, oldFriend.mailboxAllow);
  assert.deepEqual((await back.store.listInvites()).map((i) => i.token).sort(), oldInvites.map((i) => i.token).sort());
  assert.ok(relay.allow.get(annKey)?.has(row.mailboxAllow!), 'allow list sent again on connect');

  // No befriending again: Bob reaches her mailbox, and her new posts are no replays at Bob's.
  await bob.core.post('welcome back');
  await back.until((st) => texts(st, bobKey).includes('welcome back'));
  const first = await back.core.post('after the restore');
  assert.ok(first.seq >= clock.t, 'numbered past the restore time');
  assert.ok(first.streams![bobKey]! > oldFriend.streamOut!, 'stream to Bob continues above what he holds');
  await bob.until((st) => texts(st, annKey).includes('after the restore'));
  await back.core.post('and again');
  await bob.until((st) => texts(st, annKey).includes('and again'));
  await bob.core.idle();
  assert.deepEqual(bob.warnings.filter((w) => /replay/.test(w)), [], 'Bob refused nothing as a replay');
  // The backup holds no device list: the restored browser makes one anew, which Bob takes as a newer list (not a
  // rollback of the one he holds) and shows as a device Ann added.
  const atBob = await bob.until((st) => !!st.friends[0]?.addedDevices);
  assert.deepEqual(atBob.friends[0]!.devices.length, 1, 'the new list names only the restored browser');
  assert.deepEqual(bob.warnings.filter((w) => /rollback/.test(w)), [], 'Bob refused no device list');
  back.core.close();
  bob.core.close();
});

test('a v1 backup still restores the identity alone (no friends); a second restore is refused', async () => {
  const relay = new FakeRelay();
  const clock = manualClock();
  const me = generateIdentity('Old');
  const u = user(relay, clock);
  await u.core.start();
  await u.core.importIdentity(exportBackup(me, PASS, N), PASS);
  await u.until((s) => s.relay === 'connected');
  assert.equal(u.core.state.me!.key, peerId(me.sigPub));
  assert.deepEqual(u.core.state.friends, []);
  await assert.rejects(u.core.importIdentity(exportBackup(me, PASS, N), PASS), { code: 'bad-frame' });
  u.core.close();
});

test('the numbering floor never goes back: above the restore time, the backup seq and every stream it knows', () => {
  const now = Date.UTC(2026, 0, 1);
  assert.equal(restoredFloor({ seq: 5, friends: [] }, now), now, 'an old counter: the clock wins');
  assert.equal(restoredFloor({ seq: now + 500, friends: [] }, now), now + 501, 'a clock behind the lost device: the backup wins');
  assert.equal(restoredFloor({ seq: 5, friends: [{ streamOut: now + 9 } as never] }, now), now + 10, 'a stream above both');
});
