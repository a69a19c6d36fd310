// Owns what a key backup (v2) carries out of this client's store, and bringing it back into a client that has no identity.
import { fromB64u, toB64u } from '../../shared/bytes.js';
import { peerId } from '../../shared/crypto/identity.js';
import { openItem } from '../../shared/crypto/content.js';
import { MAX_BACKUP_AVATAR_BYTES, MAX_BACKUP_BLOCKED, type BackupContents, type BackupFriend } from '../../shared/crypto/backup.js';
import { requireMe, type Ctx } from './context.js';
import { restoredSeqFloor } from './delivery.js';
import { openInvites, pairFields } from './friends.js';
import type { FriendRow, IdentityRow, ItemRow } from './types.js';

/** Everything backup v2 keeps of this client: identity, numbering high-water marks, card and avatar, friends, blocked keys, open invites. */
export async function backupContents(ctx: Ctx): Promise<BackupContents> {
  const me = requireMe(ctx);
  const mine = peerId(me.sigPub);
  const { store } = ctx;
  const row = await store.getIdentity();
  const card = await store.getItem(`${mine}:profile`);
  const avatarId = card?.signed ? card.avatar?.id : undefined;
  const blob = avatarId ? await store.getBlob(avatarId) : undefined;
  const friends = [...ctx.friends.values()].sort((a, b) => a.added - b.added || (a.key < b.key ? -1 : 1)).map((f): BackupFriend => ({
    sigPub: f.sigPub,
    dhPub: f.dhPub,
    name: f.name,
    status: f.status,
    added: f.added,
    ...(f.streamOut !== undefined && { streamOut: f.streamOut }),
    ...(f.status === 'pending' && f.invite && { invite: { token: f.invite.token, relay: f.invite.relay, expires: f.invite.expires } }),
  }));
  // The newest blocks if there are more than a backup holds (the oldest are the least likely to come back).
  const blocked = (await store.listBlocked()).filter((b) => !ctx.friends.has(b.key) && b.key !== mine).sort((a, b) => b.at - a.at).slice(0, MAX_BACKUP_BLOCKED);
  return {
    identity: me,
    created: row?.created ?? 0,
    seq: Math.max(await store.lastSeq(mine), ctx.seqFloor - 1, 0),
    ...(card?.signed && { card: fromB64u(card.signed, 'stored card') }),
    // The avatar image travels only if this device holds it and it is small (it always is when made here).
    ...(blob && blob.bytes.length <= MAX_BACKUP_AVATAR_BYTES && { avatar: blob.bytes }),
    friends,
    blocked: blocked.map((b) => ({ key: b.key, at: b.at })),
    invites: openInvites(await store.listInvites(), ctx.clock.now()).map((i) => ({ token: i.token, expires: i.expires })),
  };
}

/**
 * The numbering floor after a restore: above the restore time (restoredSeqFloor: the lost device may have kept posting
 * after the backup was made) and above every number the backup knows was used, so it never goes back even when the
 * backup is newer than this device's clock says.
 */
export function restoredFloor(b: Pick<BackupContents, 'seq' | 'friends'>, now: number): number {
  return Math.max(restoredSeqFloor(now), b.seq + 1, ...b.friends.map((f) => (f.streamOut ?? 0) + 1));
}

/**
 * Writes a decrypted backup into the store (which holds no identity): friends with their pair keys derived again,
 * blocked keys, open invites, my card and avatar; the identity row last, so a restore cut short can simply be run again.
 * Updates the running state; the caller goes online (the relay is then told my friends and allow list as always).
 */
export async function restore(ctx: Ctx, b: BackupContents): Promise<IdentityRow> {
  const { store } = ctx;
  const now = ctx.clock.now();
  const me = b.identity;
  const mine = peerId(me.sigPub);
  for (const f of b.friends) {
    const row: FriendRow = {
      key: peerId(f.sigPub),
      name: f.name,
      sigPub: f.sigPub,
      dhPub: f.dhPub,
      ...pairFields(me, f),
      status: f.status,
      added: f.added,
      ...(f.streamOut !== undefined && { streamOut: f.streamOut }),
      ...(f.invite && { invite: { token: f.invite.token, relay: f.invite.relay, expires: f.invite.expires } }),
    };
    await store.putFriend(row);
    ctx.friends.set(row.key, row);
  }
  for (const x of b.blocked) {
    await store.putBlocked(x);
    ctx.blocked.add(x.key);
  }
  for (const i of b.invites) await store.putInvite({ token: i.token, expires: i.expires });
  if (b.card) {
    const s = openItem(b.card); // verified on import; read again for its fields
    if (s.item.kind === 'profile') {
      const row: ItemRow = {
        key: `${mine}:profile`, author: mine, id: s.item.id, kind: 'profile', ts: s.item.ts, name: s.item.name, bio: s.item.bio,
        ...(s.item.avatar && { avatar: s.item.avatar }), signed: toB64u(b.card), via: 'self', received: now,
      };
      await store.putItem(row);
      // Friends who never fetched my avatar can ask this device for it over a channel.
      if (b.avatar && s.item.avatar) await store.putBlob({ id: s.item.avatar.id, bytes: b.avatar, stored: now, for: [...ctx.friends.keys()] });
    }
  }
  const seqFloor = restoredFloor(b, now);
  const row: IdentityRow = { id: 'me', ...me, created: b.created || now, seqFloor };
  await store.putIdentity(row);
  ctx.me = me;
  ctx.seqFloor = seqFloor;
  return row;
}
