// Owns my device list as friends see it: made on first use (this device, the identity's own keys), re-signed when old, sent sealed to every friend once they are mutual and after each change, and what a friend's list shows.
import { fromB64u, toB64u } from '../../shared/bytes.js';
import { peerId } from '../../shared/crypto/identity.js';
import { newItemId, signItem, type SignedItem } from '../../shared/crypto/content.js';
import { BwError } from '../../shared/errors.js';
import { addDevice, decodeDeviceList, deviceEntry, deviceFromIdentity, dueForRefresh, nextDeviceList, removeDevice, signDeviceList, type Device, type DeviceList } from '../../shared/crypto/devices.js';
import { applyDeviceList } from './device-rows.js';
import { myKey, requireMe, type Ctx, type Me } from './context.js';
import { send } from './delivery.js';
import type { ItemRow } from './types.js';

/** What a UI shows of one device in a person's list. */
export interface DeviceView {
  name: string;
  added: number;
  /** The device's own key (what removing it names). */
  key?: string;
}

const listKey = (ctx: Ctx): string => `${myKey(ctx)}:devices`;

/** My stored device list and the signed item that carries it to friends; the first call makes version 1. */
export async function myDevices(ctx: Ctx): Promise<{ list: DeviceList; item: SignedItem }> {
  const me = requireMe(ctx);
  const stored = await ctx.store.getItem(listKey(ctx));
  if (stored?.list && stored.signed) return { list: decodeDeviceList(fromB64u(stored.list, 'stored device list')), item: { signer: me.identity?.sigPub ?? me.sigPub, item: { v: 2, kind: 'devices', id: stored.id, ts: stored.ts, list: stored.list }, bytes: fromB64u(stored.signed, 'stored device list item') } };
  if (me.identity) throw new BwError('unknown-device', 'this linked device holds no device list yet');
  // An identity from before device lists is its own first device: friends' keys for it stay what they are.
  // The first version is the clock, not 1: a browser restored from a backup (which holds no list) makes its list
  // anew, and friends holding the old one would refuse another first version as a rollback.
  const now = ctx.clock.now();
  const first = deviceEntry(me.sigPub, deviceFromIdentity(me), ctx.deviceName, now);
  return saveList(ctx, signDeviceList(me, { version: Math.max(1, now), issued: now, devices: [first] }));
}

async function saveList(ctx: Ctx, list: DeviceList): Promise<{ list: DeviceList; item: SignedItem }> {
  const me = requireMe(ctx);
  const now = ctx.clock.now();
  const item = signItem(me, { kind: 'devices', id: newItemId(), ts: now, list: toB64u(list.bytes) });
  const row: ItemRow = { key: listKey(ctx), author: myKey(ctx), id: item.item.id, kind: 'devices', ts: now, signed: toB64u(item.bytes), list: toB64u(list.bytes), via: 'self', received: now };
  await ctx.store.putItem(row);
  return { list, item };
}

/**
 * Sends my current list to every mutual friend who has not had this version (friends made before device lists
 * included); the version is recorded on each friend's row in the transaction that stores the send, so it goes once.
 */
export function shareDevices(ctx: Ctx): Promise<void> {
  // One at a time per client: two callers at once (a new friend, a login) would both find the friend due.
  const run = (sharing.get(ctx) ?? Promise.resolve()).then(() => shareDue(ctx));
  sharing.set(ctx, run.catch(() => undefined));
  return run;
}

const sharing = new WeakMap<Ctx, Promise<void>>();

async function shareDue(ctx: Ctx): Promise<void> {
  if (!ctx.me || ctx.me.identity) return; // only the primary, which signs the list, sends it
  const { list, item } = await freshDevices(ctx);
  const due = [...ctx.friends.values()].filter((f) => f.status === 'mutual' && (f.devicesSent ?? 0) < list.version);
  if (!due.length) return;
  // Marked on the held rows first: send() stores its recipients' rows with the numbers it gives them, marks included.
  const before = due.map((f) => f.devicesSent);
  for (const f of due) f.devicesSent = list.version;
  try {
    await send(ctx, [item.bytes], due.map((f) => f.key), { kind: 'devices', item: listKey(ctx), body: '' });
  } catch (e) {
    due.forEach((f, i) => (f.devicesSent = before[i])); // not stored: due again next time
    throw e;
  }
}

/**
 * My list, re-signed first (the same devices as the next version) once it is DEVICE_LIST_REFRESH_MS old: a reply
 * written on one of my linked devices carries it to readers who are not my friends, who refuse one older than
 * MAX_RIDING_LIST_AGE_MS (shared/crypto/devices.ts). Friends then get it like any new version, with no notice.
 */
async function freshDevices(ctx: Ctx): Promise<{ list: DeviceList; item: SignedItem }> {
  return changeList(ctx, (list, now) => (dueForRefresh(list, now) ? nextDeviceList(requirePrimary(ctx), list, list.devices, now) : undefined));
}

const writing = new WeakMap<Ctx, Promise<unknown>>();

/**
 * One read, sign and store of my list at a time per client (`make` answers undefined to leave it as it is): a removal
 * and a re-signing at once would both sign version N+1, and friends would take whichever came first and refuse the
 * other as a rollback, perhaps keeping the removed device. Never waits on sharing, so sharing may call it.
 */
function changeList(ctx: Ctx, make: (list: DeviceList, now: number) => DeviceList | undefined): Promise<{ list: DeviceList; item: SignedItem }> {
  const run = (writing.get(ctx) ?? Promise.resolve()).then(async () => {
    const mine = await myDevices(ctx);
    const next = make(mine.list, ctx.clock.now());
    return next ? saveList(ctx, next) : mine;
  });
  writing.set(ctx, run.catch(() => undefined));
  return run;
}

/**
 * The primary adds a linked device's entry (deviceEntry, signed by that device's own key) as the next version of my
 * list and sends it to every friend, who then see "added a device".
 */
export function addMyDevice(ctx: Ctx, entry: Device, opts: { share?: boolean } = {}): Promise<DeviceList> {
  return publish(ctx, (list, now) => addDevice(requirePrimary(ctx), list, entry, now), opts.share ?? true);
}

/**
 * The primary removes one of its devices (by key) as the next version of my list. From then on nothing I seal goes to
 * it, and each friend stops sealing to it once the list reaches them (it waits in their mailbox ahead of my later posts).
 */
export async function removeMyDevice(ctx: Ctx, key: string): Promise<DeviceList> {
  const me = requirePrimary(ctx);
  if (key === peerId(me.sigPub)) throw new BwError('bad-frame', 'this device holds the identity: it cannot remove itself');
  return publish(ctx, (list, now) => {
    const gone = list.devices.find((d) => peerId(d.sigPub) === key);
    if (!gone) throw new BwError('unknown-device', 'no such device in my list');
    return removeDevice(me, list, gone.id, now);
  });
}

/** This device's keys, if it is the primary (holds the identity secret): only it signs my device list. */
function requirePrimary(ctx: Ctx): Me {
  const me = requireMe(ctx);
  if (me.identity) throw new BwError('not-author', 'only the device that holds the identity links and removes devices');
  return me;
}

/**
 * Makes and stores my next list (changeList) and seals to exactly the devices it names from now on; then sends it to
 * every friend, unless the caller does that itself (linking sends the new device its state first: the list's copies to
 * every friend cost the relay's per-key budget, and a put over it waits in the outbox, while a link chunk would fail).
 */
async function publish(ctx: Ctx, make: (list: DeviceList, now: number) => DeviceList, share = true): Promise<DeviceList> {
  const me = requireMe(ctx);
  const { list: next } = await changeList(ctx, make);
  await applyDeviceList(ctx, { key: peerId(me.sigPub), sigPub: me.sigPub }, next);
  if (share) await shareDevices(ctx);
  return next;
}

/** A stored list's devices, oldest first, for a profile. */
export function devicesOf(row: Pick<ItemRow, 'list'> | undefined): DeviceView[] {
  if (!row?.list) return [];
  return decodeDeviceList(fromB64u(row.list, 'stored device list')).devices.map((d) => ({ name: d.name, added: d.added, key: peerId(d.sigPub) })).sort((a, b) => a.added - b.added);
}
