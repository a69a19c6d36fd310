// Owns befriending and unfriending: invites, friend requests, mutual status, blocking, and what the relay may show.
import { BwError, isBwError } from '../../shared/errors.js';
import { fromB64u, toB64u } from '../../shared/bytes.js';
import { peerId, type Identity } from '../../shared/crypto/identity.js';
import { mailboxAllowTag, pairKeys } from '../../shared/crypto/pairwise.js';
import { acceptInvite, createFriendRequest, createInvite, inviteTag, openFriendRequest, type Invite } from '../../shared/crypto/invite.js';
import { inviteDrop, sealDrop } from '../../shared/crypto/invite-drop.js';
import { LIMITS, type FriendRequest } from '../../shared/protocol.js';
import { requireMe, type Ctx } from './context.js';
import type { RelayConnection } from './ports.js';
import type { FriendRow } from './types.js';
import { shareDevices } from './devices.js';
import { dropDevicesOf } from './device-rows.js';
import { tellFriend, tellMyDevices } from './device-sync.js';

/** The keys a friendship keeps, derived once (one X25519) at befriending. */
export function pairFields(me: Identity, friend: Pick<FriendRow, 'sigPub' | 'dhPub'>): Pick<FriendRow, 'wrapKey' | 'mailboxOut' | 'mailboxAllow'> {
  const k = pairKeys(me, friend);
  return { wrapKey: k.wrap, mailboxOut: toB64u(k.mailboxOut), mailboxAllow: mailboxAllowTag(k.mailboxIn, friend.sigPub) };
}

/**
 * Befriending signs with the identity's keys (an invite, a friend request), which only the device that holds them
 * has: a linked device gets the friends made there (client/core/device-sync.ts).
 */
function requireIdentity(ctx: Ctx): Identity {
  const me = requireMe(ctx);
  if (me.identity) throw new BwError('not-author', 'friends are added on the device that holds the identity; they show here once added there');
  return me;
}

/** A fresh invite code (remembered, so the friend request that answers it is recognised). */
export async function makeInvite(ctx: Ctx, relay: string): Promise<string> {
  const { code, invite } = createInvite(requireIdentity(ctx), { relay, now: ctx.clock.now() });
  await ctx.store.putInvite({ token: toB64u(invite.token), expires: invite.expires });
  ctx.serial(() => watch(ctx)); // the relay lets holders of this invite reach me from now on
  return code;
}

/** Accepts a pasted invite code or link; the inviter is told through the relay (now, or when next online). */
export async function answerInvite(ctx: Ctx, code: string): Promise<{ name: string; key: string }> {
  const inv = acceptInvite(requireIdentity(ctx), code, ctx.clock.now());
  const key = peerId(inv.sigPub);
  if (ctx.blocked.has(key)) {
    ctx.blocked.delete(key); // accepting their invite is an explicit unblock
    await ctx.store.deleteBlocked(key);
  }
  await addFriend(ctx, inv, 'pending');
  if (!(await sendFriendRequest(ctx, inv))) await dropFriendRequest(ctx, key);
  return { name: inv.name, key };
}

export async function addFriend(ctx: Ctx, inv: Invite, status: FriendRow['status']): Promise<FriendRow> {
  const me = requireMe(ctx);
  const key = peerId(inv.sigPub);
  const existing = ctx.friends.get(key);
  const row: FriendRow = {
    key,
    name: inv.name,
    sigPub: inv.sigPub,
    dhPub: inv.dhPub,
    ...pairFields(me, inv),
    status: existing?.status === 'mutual' ? 'mutual' : status,
    added: existing?.added ?? ctx.clock.now(),
    ...(existing?.streamOut !== undefined && { streamOut: existing.streamOut }),
    ...(existing?.devicesSent !== undefined && { devicesSent: existing.devicesSent }),
    ...(status === 'pending' && { invite: { token: inv.token, relay: inv.relay, expires: inv.expires } }),
    ...(status === 'mutual' && { answered: toB64u(inv.token) }),
  };
  await ctx.store.putFriend(row);
  ctx.friends.set(key, row);
  await watch(ctx);
  if (row.status === 'mutual') {
    await shareDevices(ctx);
    await tellFriend(ctx, key);
  }
  await ctx.refresh();
  return row;
}

/** Sends the friend request to an online inviter; false if it could not reach them now. */
export async function sendFriendRequest(ctx: Ctx, inv: Invite): Promise<boolean> {
  const req = createFriendRequest(requireMe(ctx), inv, ctx.clock.now());
  if (!ctx.relay) return false;
  try {
    await ctx.relay.call('signal:send', { to: peerId(inv.sigPub), data: req });
    return true;
  } catch (e) {
    // Offline inviter: the request is sent again when presence says they are online, and left as a drop meanwhile.
    if (!isBwError(e, 'offline') && !isBwError(e, 'unavailable')) throw e;
    return false;
  }
}

/** Logs in to the relay as another identity (an invite's drop key) and resolves once it is in. */
function connectAs(ctx: Ctx, id: { sigPub: Uint8Array; sigSecret: Uint8Array }): Promise<RelayConnection> {
  return new Promise((resolve, reject) => {
    const conn: RelayConnection = ctx.connect(id, {
      status: (s, detail) => {
        if (s !== 'offline' || !detail) return;
        conn.close();
        reject(new BwError('unavailable', detail));
      },
      authenticated: () => resolve(conn),
      signal: () => {},
      presence: () => {},
      mailbox: () => {},
    });
  });
}

/**
 * For a pending friend whose invite I accepted: leaves my friend request in the inviter's mailbox through the
 * invite's drop key (shared/crypto/invite-drop.ts), once, so it reaches them when they next connect even if we are
 * never online together. Best effort: a failure is logged and tried again at my next login.
 */
export async function dropFriendRequest(ctx: Ctx, key: string): Promise<void> {
  const f = ctx.friends.get(key);
  if (f?.status !== 'pending' || !f.invite || f.invite.dropped || f.invite.expires <= ctx.clock.now() || ctx.relay?.status !== 'connected') return;
  const inv: Invite = { ...f, ...f.invite };
  const drop = inviteDrop(inv.token);
  let side: RelayConnection | undefined;
  try {
    const env = sealDrop(drop, inv.sigPub, createFriendRequest(requireMe(ctx), inv, ctx.clock.now()));
    side = await connectAs(ctx, drop);
    await side.call('mailbox:put', { to: key, env: toB64u(env), cap: toB64u(drop.cap) });
  } catch (e) {
    if (!isBwError(e)) throw e;
    ctx.log.warn('[bw] friend request not left at the relay', e.code, e.message);
    return;
  } finally {
    side?.close();
  }
  f.invite = { ...f.invite, dropped: ctx.clock.now() };
  await ctx.store.putFriend(f);
}

/** An inviter's side: a friend request answering one of my open invites makes the requester a mutual friend. */
export async function onFriendRequest(ctx: Ctx, from: string, req: FriendRequest): Promise<void> {
  if (ctx.blocked.has(from)) throw new BwError('not-friend', 'friend request from a blocked key');
  const card = openFriendRequest(requireMe(ctx), req, ctx.clock.now());
  if (peerId(card.sigPub) !== from) throw new BwError('bad-signature', 'friend request sender does not match its card');
  const invite = await ctx.store.getInvite(toB64u(card.token));
  if (!invite) throw new BwError('not-friend', 'friend request answers no invite of mine');
  if (invite.revoked) throw new BwError('revoked', 'friend request answers an invite I withdrew when I removed a friend who had used it');
  if (invite.expires <= ctx.clock.now()) throw new BwError('expired', 'friend request answers an expired invite');
  await addFriend(ctx, card, 'mutual');
  if (ctx.direct && ctx.online.has(from)) ctx.mesh?.connect(from);
}

/** A pending friend has shown they hold me as a friend (a channel opened, or a post of theirs verified). */
export async function markMutual(ctx: Ctx, key: string): Promise<void> {
  const f = ctx.friends.get(key);
  if (!f || f.status === 'mutual') return;
  f.status = 'mutual';
  await ctx.store.setFriendStatus(key, 'mutual');
  await watch(ctx); // their invite is answered: stop presenting its tag to the relay
  await shareDevices(ctx);
  await tellFriend(ctx, key);
  await ctx.refresh();
}

/**
 * Removes a friend: no later post is sealed for them, queued ones are dropped, the channel closes, and the invite of
 * mine they answered is withdrawn (invites are reusable until they expire: pasting it again must not re-add them).
 * My other devices are told, unless this is one of them applying what another told it (`tell: false`).
 */
export async function unfriend(ctx: Ctx, key: string, opts: { tell?: boolean; at?: number } = {}): Promise<void> {
  const f = ctx.friends.get(key);
  if (!f) throw new BwError('not-friend', 'that key is not a friend');
  ctx.friends.delete(key);
  await ctx.store.putMeta(`unfriended:${key}`, opts.at ?? ctx.clock.now()); // a friend op for that friendship does not undo it (device-sync.ts)
  await dropDevicesOf(ctx, key);
  if (f.answered) await ctx.store.revokeInvite(f.answered, ctx.clock.now());
  await ctx.store.deleteFriend(key);
  await ctx.store.deleteOutboxTo(key);
  ctx.mesh?.drop(key);
  ctx.online.delete(key);
  await watch(ctx);
  await ctx.refresh();
  if (opts.tell ?? true) await tellMyDevices(ctx, { op: 'unfriend', key });
}

/** Unfriends and refuses any later friend request or offer from that key, here and on my other devices. */
export async function block(ctx: Ctx, key: string, opts: { tell?: boolean; at?: number } = {}): Promise<void> {
  const at = opts.at ?? ctx.clock.now();
  ctx.blocked.add(key);
  await ctx.store.putBlocked({ key, at });
  // The invite they answered would still let them see me come and go, and reach me: it is withdrawn.
  const answered = ctx.friends.get(key)?.answered;
  if (answered) await ctx.store.deleteInvite(answered);
  if (ctx.friends.has(key)) await unfriend(ctx, key, { tell: false, at }); // re-watches without them
  else await watch(ctx);
  await ctx.refresh();
  if (opts.tell ?? true) await tellMyDevices(ctx, { op: 'block', key, at });
}

/** My invites still open (not withdrawn, not expired), newest first, as many as the relay takes. */
export function openInvites<I extends { token: string; expires: number; revoked?: number }>(invites: I[], now: number): I[] {
  return invites.filter((i) => !i.revoked && i.expires > now).sort((a, b) => b.expires - a.expires).slice(0, LIMITS.maxInviteTags);
}

/** The presence:watch message: my friends, tags of my open invites, tags of invites I hold unanswered. Pure. */
export function watchRequest(friends: Iterable<FriendRow>, invites: { token: string; expires: number; revoked?: number }[], now: number) {
  const newest = <T>(rows: T[], expires: (r: T) => number) =>
    rows.filter((r) => expires(r) > now).sort((a, b) => expires(b) - expires(a)).slice(0, LIMITS.maxInviteTags);
  const all = [...friends];
  const mine = newest(invites.filter((i) => !i.revoked), (i) => i.expires);
  const held = newest(all.flatMap((f) => (f.status === 'pending' && f.invite ? [f.invite] : [])), (i) => i.expires);
  return {
    keys: all.map((f) => f.key),
    accept: mine.map((i) => inviteTag(fromB64u(i.token, 'invite token'))),
    present: held.map((i) => inviteTag(i.token)),
  };
}

/**
 * Tells the relay whose presence I want and who may see mine (signaling/presence.ts): my friends and their devices
 * (and my own other devices); holders of my
 * open invites (their friend request can reach me); and, for invites I accepted, the inviter I still have to reach.
 */
export async function watch(ctx: Ctx): Promise<void> {
  if (ctx.relay?.status !== 'connected') return;
  const rows = [...ctx.friends.values(), ...ctx.devices.values()];
  const req = watchRequest(rows, await ctx.store.listInvites(), ctx.clock.now());
  const link = ctx.linkWatch; // a device being linked (client/core/link.ts)
  if (link) Object.assign(req, { keys: [...req.keys, ...link.keys], present: [...req.present, ...link.present] });
  const { online } = await ctx.relay.call('presence:watch', req);
  // …and who may leave posts in my mailbox: my friends, by the hash of the capability each of them holds; and the
  // drop key of each open invite, so its friend request can wait for me there.
  const tags = rows.flatMap((f) => (f.mailboxAllow ? [f.mailboxAllow] : []));
  for (const i of openInvites(await ctx.store.listInvites(), ctx.clock.now())) {
    const drop = inviteDrop(fromB64u(i.token, 'invite token'));
    tags.push(mailboxAllowTag(drop.cap, drop.sigPub));
  }
  await ctx.relay.call('mailbox:allow', { tags });
  for (const k of online) await ctx.presence(k, true);
}
