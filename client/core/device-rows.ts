// Owns device rows: one transport row per device in a person's accepted device list (a friend's, or my own other devices), each with its own pairwise keys, stream and mailbox capability; and which person a device key speaks for.
import { equalBytes } from '../../shared/bytes.js';
import { peerId } from '../../shared/crypto/identity.js';
import type { DeviceList } from '../../shared/crypto/devices.js';
import { myKey, personKey, requireMe, type Ctx, type Me } from './context.js';
import { pairFields, watch } from './friends.js';
import type { FriendRow } from './types.js';

/**
 * The device rows a person's accepted list asks for, seen from `me`: every listed device but this one and, for a
 * friend, the one that holds their identity keys (that one is the person row). A row already held is kept as it is
 * (its stream number and pairwise keys go on); a new one gets pairwise keys of its own. Pure.
 */
export function rowsForList(me: Me, person: { key: string; sigPub: Uint8Array }, list: DeviceList, held: readonly FriendRow[], now: number): FriendRow[] {
  const prev = new Map(held.map((r) => [r.key, r]));
  // My own list, on a linked device: the primary is a device of mine like any other (I am no friend of my own).
  const self = person.key === personKey(me);
  return list.devices
    .filter((d) => !(equalBytes(d.sigPub, person.sigPub) && !self) && !equalBytes(d.sigPub, me.sigPub))
    .map((d) => {
      const key = peerId(d.sigPub);
      return prev.get(key) ?? { key, name: d.name, sigPub: d.sigPub, dhPub: d.dhPub, ...pairFields(me, d), status: 'mutual', added: now, person: person.key };
    });
}

/** A friend's row or a device row, by the key it is reached at. */
export const rowOf = (ctx: Pick<Ctx, 'friends' | 'devices'>, key: string): FriendRow | undefined => ctx.friends.get(key) ?? ctx.devices.get(key);

/** The person a key speaks for: the person whose device it is, else the key itself. */
export const personOf = (ctx: Pick<Ctx, 'devices' | 'me'>, key: string): string =>
  ctx.devices.get(key)?.person ?? (ctx.me?.identity && key === peerId(ctx.me.sigPub) ? personKey(ctx.me) : key);

/** The device rows held for one person. */
export const devicesOfPerson = (ctx: Pick<Ctx, 'devices'>, person: string): FriendRow[] => [...ctx.devices.values()].filter((r) => r.person === person);

/**
 * Every key a send to `people` goes to: each of them, each of their devices, and my own other devices (my posts show
 * on all of them). Keys that are neither a friend nor a device are left out.
 */
export function fanOut(ctx: Pick<Ctx, 'friends' | 'devices' | 'me'>, people: readonly string[]): string[] {
  const mine = myKey(ctx);
  const whose = new Set([...people, mine]);
  const persons = [...new Set(people)].filter((k) => ctx.friends.has(k));
  return [...persons, ...[...ctx.devices.values()].filter((r) => whose.has(r.person!)).map((r) => r.key)];
}

/**
 * Makes the device rows held for `person` what their newly accepted list asks for: a listed device gets a row (it
 * is sealed to, watched and allowed to leave posts from now on); a device the list dropped loses its row, its queued
 * posts and its channel, so nothing later is sealed to it.
 */
export async function applyDeviceList(ctx: Ctx, person: { key: string; sigPub: Uint8Array }, list: DeviceList): Promise<void> {
  const held = devicesOfPerson(ctx, person.key);
  const next = rowsForList(requireMe(ctx), person, list, held, ctx.clock.now());
  const kept = new Set(next.map((r) => r.key));
  const added = next.filter((r) => !ctx.devices.has(r.key));
  const gone = held.filter((r) => !kept.has(r.key));
  if (!added.length && !gone.length) return;
  if (added.length) await ctx.store.putBatch({ friends: added });
  for (const r of added) ctx.devices.set(r.key, r);
  for (const r of gone) await dropRow(ctx, r.key);
  await watch(ctx);
}

/** Forgets every device of a person (unfriended or blocked). The caller watches again. */
export async function dropDevicesOf(ctx: Ctx, person: string): Promise<void> {
  for (const r of devicesOfPerson(ctx, person)) await dropRow(ctx, r.key);
}

async function dropRow(ctx: Ctx, key: string): Promise<void> {
  ctx.devices.delete(key);
  await ctx.store.deleteFriend(key);
  await ctx.store.deleteOutboxTo(key);
  ctx.mesh?.drop(key);
  ctx.online.delete(key);
}
