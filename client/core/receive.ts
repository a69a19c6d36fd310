// Owns receiving: opening friends' posts (mailbox or channel), receipts, and channel catch-up between two friends.
import { BwError, isBwError } from '../../shared/errors.js';
import { fromB64u, toB64u } from '../../shared/bytes.js';
import { peerId } from '../../shared/crypto/identity.js';
import { openPost, sealPost } from '../../shared/crypto/envelope.js';
import { parse } from '../../shared/validate.js';
import { ChannelMessageSchema, LIMITS } from '../../shared/protocol.js';
import { contiguousCursor, deliveredBy, postsToResend } from '../sync.js';
import { requireMe, type Ctx } from './context.js';
import { markMutual, onFriendRequest, openInvites } from './friends.js';
import { inviteDrop, openDrop } from '../../shared/crypto/invite-drop.js';
import { markDelivered, sendChannel } from './delivery.js';
import type { PostRow, Via } from './types.js';
import { onBlobMessage } from './blobs.js';

/** Verifies and opens a sealed post from a friend, stores it, and acks it on the channel if there is one. */
export async function receive(ctx: Ctx, env: string, via: Via): Promise<PostRow> {
  const me = requireMe(ctx);
  const bytes = fromB64u(env, 'envelope');
  const post = openPost(bytes, {
    me: me.sigPub,
    wrapKeyFor: (author) => ctx.friends.get(peerId(author))?.wrapKey,
    seen: (author, seq) => ctx.seen.has(`${peerId(author)}:${seq}`),
  });
  const row: PostRow = { author: peerId(post.author), seq: post.seq, ts: post.ts, body: post.body, via, received: ctx.clock.now() };
  ctx.seen.add(`${row.author}:${row.seq}`);
  await ctx.store.putPost(row);
  await markMutual(ctx, row.author); // they seal posts for me: they hold me as a friend (relay-only mode learns it here)
  await ctx.refresh();
  ctx.onPost(row);
  sendChannel(ctx, row.author, { t: 'ack', seq: row.seq });
  return row;
}

/** The drop keys of my open invites (shared/crypto/invite-drop.ts): a mailbox item from one is a friend request. */
async function dropKeys(ctx: Ctx): Promise<Set<string>> {
  const open = openInvites(await ctx.store.listInvites(), ctx.clock.now());
  return new Set(open.map((i) => peerId(inviteDrop(fromB64u(i.token, 'invite token')).sigPub)));
}

/** Fetches, opens and acknowledges everything in my mailbox, page by page; then tells the authors what I hold. */
export async function drainMailbox(ctx: Ctx): Promise<void> {
  const drops = await dropKeys(ctx);
  for (;;) {
    const { items } = await ctx.relay!.call('mailbox:fetch', { after: 0, limit: LIMITS.maxFetchPage });
    if (!items.length) return;
    const got: string[] = [];
    for (const item of items) {
      try {
        if (drops.has(item.from)) {
          const req = openDrop(fromB64u(item.env, 'invite drop'));
          await onFriendRequest(ctx, req.k, req); // checks the token against my invites, and the card against k
          continue;
        }
        got.push((await receive(ctx, item.env, 'relay')).author);
      } catch (e) {
        // Stored locally or unreadable for a named reason: either way it is settled, so it is acknowledged.
        if (!isBwError(e)) throw e;
        if (e.code !== 'replay') ctx.log.warn('[bw] mailbox post rejected', e.code, e.message);
      }
    }
    await ctx.relay!.call('mailbox:ack', { ids: items.map((i) => i.id) });
    for (const author of new Set(got)) await sendReceipt(ctx, author);
  }
}

/**
 * Tells a friend, through the relay, which of their newest posts I hold, so their copy shows 'delivered' without a
 * data channel (one that came through the mailbox has nobody else to say so). Best effort: an offline friend gets
 * it when presence next says they are online.
 */
export async function sendReceipt(ctx: Ctx, author: string): Promise<void> {
  if (!ctx.online.has(author) || ctx.relay?.status !== 'connected') return;
  const seqs = await ctx.store.seqsOf(author, LIMITS.maxReceiptSeqs);
  const sig = seqs.join(',');
  if (!seqs.length || ctx.receipted.get(author) === sig) return;
  ctx.receipted.set(author, sig);
  try {
    await ctx.relay.call('signal:send', { to: author, data: { kind: 'receipt', seqs } });
  } catch (e) {
    ctx.receipted.delete(author);
    if (!isBwError(e)) throw e;
    ctx.log.warn('[bw] receipt not sent', e.code);
  }
}

/** How far I hold the author's posts without a gap (sent as the catch-up cursor when a channel opens). */
export async function cursorFor(ctx: Ctx, author: string): Promise<number> {
  return contiguousCursor(await ctx.store.seqsOf(author));
}

export async function onChannelMessage(ctx: Ctx, from: string, text: string): Promise<void> {
  if (!ctx.friends.has(from)) throw new BwError('not-friend', 'data channel message from a non-friend');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new BwError('bad-frame', 'channel message is not JSON');
  }
  const msg = parse(ChannelMessageSchema, json, 'channel message');
  switch (msg.t) {
    case 'post':
      try {
        await receive(ctx, msg.env, 'p2p');
      } catch (e) {
        // A catch-up resend of a post already held is expected: the sync cursor already told them.
        if (!isBwError(e, 'replay')) throw e;
      }
      return;
    case 'ack':
      return markDelivered(ctx, from, (p) => p.seq === msg.seq);
    case 'blob':
    case 'blob-want':
      return onBlobMessage(ctx, from, msg);
    case 'sync': {
      const me = requireMe(ctx);
      const friend = ctx.friends.get(from)!;
      const mine = await ctx.store.postsBy(peerId(me.sigPub));
      await markDelivered(ctx, from, (p) => deliveredBy([p], from, msg.since).length > 0);
      for (const p of postsToResend(mine, from, msg.since)) {
        const [s] = sealPost(me, { seq: p.seq, ts: p.ts, body: p.body }, [{ sigPub: friend.sigPub, wrapKey: friend.wrapKey }]);
        sendChannel(ctx, from, { t: 'post', env: toB64u(s!.envelope) });
      }
      return;
    }
  }
}
