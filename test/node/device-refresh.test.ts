// My device list stays young enough to ride along: the identity's device re-signs it (same devices, next version) once it is half the riding bound old, and friends take it with no notice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClientStore } from '../../client/core/ports.js';
import { memoryStore } from '../cases/memory-store.js';
import { FakeRelay } from './fake-relay.js';
import { coreUser, manualClock, online, type CoreUser as User } from './core-harness.js';
import { fromB64u } from '../../shared/bytes.js';
import { decodeDeviceList, type DeviceList } from '../../shared/crypto/devices.js';

const DAY = 86_400_000;
const user = (relay: FakeRelay, clock: ReturnType<typeof manualClock>, store?: ClientStore): User => coreUser(relay, { clock, ...(store && { store }) });

/** Befriends and waits until each holds the other's device list and both are idle. */
async function settledFriends(a: User, b: User): Promise<void> {
  const code = await a.core.createInvite();
  await a.core.idle();
  await b.core.acceptInvite(code);
  await b.until((s) => s.friends.some((f) => f.key === a.core.state.me!.key && f.status === 'mutual' && f.devices.length > 0));
  await a.until((s) => s.friends.some((f) => f.key === b.core.state.me!.key && f.devices.length > 0));
  await Promise.all([a.core.idle(), b.core.idle()]);
}

/** The list of `whose` that `holder` has stored. */
async function heldList(holder: User, whose: string): Promise<DeviceList> {
  const row = await holder.store.getItem(`${whose}:devices`);
  assert.ok(row?.list, `${whose}'s list is held`);
  return decodeDeviceList(fromB64u(row.list, 'held list'));
}

test('the identity re-signs its device list once it is 15 days old (half the 30-day riding bound), on its next login; friends take it without an “added a device” notice', async () => {
  const relay = new FakeRelay();
  const clock = manualClock();
  const annStore = memoryStore();
  let ann = await online(user(relay, clock, annStore), 'Ann');
  const bob = await online(user(relay, clock), 'Bob');
  await settledFriends(ann, bob);
  const A = ann.core.state.me!.key;
  const first = await heldList(bob, A);
  assert.equal(first.issued, clock.t);

  const again = async (): Promise<void> => {
    ann.core.close();
    ann = await online(user(relay, clock, annStore));
    await Promise.all([ann.core.idle(), bob.core.idle()]);
  };
  clock.t += 15 * DAY - 1;
  await again();
  assert.equal((await heldList(bob, A)).version, first.version, 'younger than 15 days: not re-signed');

  clock.t += 1;
  await again();
  const next = await heldList(bob, A);
  assert.deepEqual([next.version, next.issued], [first.version + 1, clock.t], 'Bob holds the re-signed list');
  assert.deepEqual(next.devices.map((d) => d.name), first.devices.map((d) => d.name), 'the same devices');
  const atBob = bob.core.state.friends.find((f) => f.key === A)!;
  assert.equal(atBob.addedDevices, undefined, 'no news: nothing was added');
  assert.equal((await heldList(ann, A)).version, first.version + 1, 'Ann keeps it as her own');
  ann.core.close();
  bob.core.close();
});
