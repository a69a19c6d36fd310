// Owns keeping my devices in step: telling my other devices what changed here (a friend added, removed or blocked; my read mark), and applying what one of them tells me.
import { BwError } from '../../shared/errors.js';
import { equalBytes, fromB64u, toB64u } from '../../shared/bytes.js';
import { newItemId, openItem, signItem } from '../../shared/crypto/content.js';
import { decodeDeviceList, verifyDeviceList, type DeviceList } from '../../shared/crypto/devices.js';
import type { FriendEntry, SyncOp } from '../../shared/sync-op.js';
import { myKey, requireMe, type Ctx, type Me } from './context.js';
import { send } from './delivery.js';
import { applyDeviceList, devicesOfPerson } from './device-rows.js';
import { block, pairFields, unfriend, watch } from './friends.js';
import type { FriendRow, ItemRow } from './types.js';

/**
 * Seals one op for my other devices only (friends get nothing); with no other device, nothing is sent. A device that
 * is offline gets it from its mailbox, or from my outbox once the relay takes it.
 */
export async function tellMyDevices(ctx: Ctx, op: SyncOp): Promise<void> {
  if (!ctx.me || !devicesOfPerson(ctx, myKey(ctx)).length) return;
  const s = signItem(ctx.me, { kind: 'sync', id: newItemId(), ts: ctx.clock.now(), op });
  await send(ctx, [s.bytes], [], { kind: 'sync', body: '' });
}

/** The device that holds the identity tells my other devices of a mutual friend, with their device list if held. */
export async function tellFriend(ctx: Ctx, key: string): Promise<void> {
  const f = ctx.friends.get(key);
  if (!ctx.me || ctx.me.identity || f?.status !== 'mutual') return;
  const [entry] = await friendEntries(ctx, [f]);
  await tellMyDevices(ctx, { op: 'friend', friend: entry! });
}

/** Friends as my other devices need them (shared/sync-op.ts): keys, name, and their signed device list if I hold one. */
export async function friendEntries(ctx: Pick<Ctx, 'store'>, friends: readonly FriendRow[]): Promise<FriendEntry[]> {
  const lists = await ctx.store.getItems(friends.map((f) => `${f.key}:devices`));
  return friends.map((f, i) => ({ sigPub: toB64u(f.sigPub), dhPub: toB64u(f.dhPub), name: f.name, added: f.added, ...(lists[i]?.signed && { devices: lists[i]!.signed }) }));
}

/**
 * A friend entry as this device holds it: a mutual friend with pairwise keys of this device's own, and their device
 * list, verified as signed by them (never taken on my other device's word). Pure.
 */
export function friendFromEntry(me: Me, e: FriendEntry, now: number): { row: FriendRow; devices?: { list: DeviceList; item: ItemRow } } {
  const sigPub = fromB64u(e.sigPub, 'friend key');
  const dhPub = fromB64u(e.dhPub, 'friend key');
  const row: FriendRow = { key: e.sigPub, name: e.name, sigPub, dhPub, ...pairFields(me, { sigPub, dhPub }), status: 'mutual', added: e.added };
  if (!e.devices) return { row };
  const s = openItem(fromB64u(e.devices, 'friend device list'));
  if (s.item.kind !== 'devices' || !equalBytes(s.signer, sigPub)) throw new BwError('not-author', 'a friend’s device list not signed by them');
  const list = verifyDeviceList(fromB64u(s.item.list, 'device list'), sigPub);
  const item: ItemRow = { key: `${e.sigPub}:devices`, author: e.sigPub, id: s.item.id, kind: 'devices', ts: s.item.ts, signed: e.devices, list: s.item.list, via: 'self', received: now };
  return { row, devices: { list, item } };
}

/** Applies an op another device of mine sent (admitted by items.ts: it came from my own list), without telling again. */
export async function applySync(ctx: Ctx, op: SyncOp): Promise<void> {
  switch (op.op) {
    case 'friend':
      return addFromEntry(ctx, op.friend);
    case 'unfriend':
      if (ctx.friends.has(op.key)) await unfriend(ctx, op.key, { tell: false });
      return;
    case 'block':
      if (!ctx.blocked.has(op.key)) await block(ctx, op.key, { tell: false, at: op.at });
      return;
    case 'read':
      return setReadMark(ctx, await readMarkHere(ctx, op.upTo));
  }
}

/**
 * A friend my identity's device added (or whose list it newly holds): kept here too, with any newer device list.
 * Unless I removed or blocked them here after that friendship began (the entry says when it did): my removal
 * stands, and reaches that device as its own op. Befriended again there after it, they are back (and unblocked).
 */
async function addFromEntry(ctx: Ctx, e: FriendEntry): Promise<void> {
  const { row, devices } = friendFromEntry(requireMe(ctx), e, ctx.clock.now());
  const held = ctx.friends.get(row.key);
  if (!held) {
    const blockedAt = ctx.blocked.has(row.key) ? (await ctx.store.listBlocked()).find((b) => b.key === row.key)?.at ?? Infinity : 0;
    const removedAt = Math.max(blockedAt, (await ctx.store.getMeta(`unfriended:${row.key}`)) ?? 0);
    if (e.added <= removedAt) return;
  }
  if (ctx.blocked.delete(row.key)) await ctx.store.deleteBlocked(row.key); // befriended again there: unblocked
  if (held?.status !== 'mutual') {
    const next = held ? { ...held, status: 'mutual' as const } : row;
    await ctx.store.putFriend(next);
    ctx.friends.set(row.key, next);
  }
  if (devices) {
    const prev = await ctx.store.getItem(devices.item.key);
    const last = prev?.list ? decodeDeviceList(fromB64u(prev.list, 'stored device list')) : undefined;
    // An older list than the one held (theirs reached me first) changes nothing.
    if (!last || last.version < devices.list.version) {
      await ctx.store.putItem(devices.item);
      await applyDeviceList(ctx, row, devices.list);
    }
  }
  await watch(ctx);
  await ctx.refresh();
}

/** The reader has seen everything received up to `upTo`; never moves back. Here only. */
export async function setReadMark(ctx: Ctx, upTo: number): Promise<void> {
  const prev = (await ctx.store.getMeta('readUpTo')) ?? 0;
  if (upTo <= prev) return;
  await ctx.store.putMeta('readUpTo', upTo);
  await ctx.refresh();
}

/** How many of my newest posts (by when written) the read-mark walk looks at. */
const READ_WALK = 200;

/**
 * Another device read up to `upTo` on its clock; my read mark counts what this device received, and it may have
 * received the same posts later (it was offline). So: up to `upTo`, and on through what arrived here after it, in
 * order of arrival, while each was written before `upTo` (the other device can have read it); it stops at the first
 * one written after (not read there yet). My own posts are never unread. Store reads only.
 */
export async function readMarkHere(ctx: Pick<Ctx, 'store' | 'me' | 'clock'>, upTo: number): Promise<number> {
  const prev = (await ctx.store.getMeta('readUpTo')) ?? 0;
  const mine = myKey(ctx);
  let mark = Math.max(prev, Math.min(upTo, ctx.clock.now())); // a clock ahead of mine marks nothing not yet here
  const later = (await ctx.store.pagePosts(undefined, READ_WALK)).filter((p) => p.author !== mine && p.received > mark).sort((a, b) => a.received - b.received);
  for (const p of later) {
    if (p.ts > upTo) break;
    mark = p.received;
  }
  return mark;
}
