// Owns sending my posts: numbering, sealing for every friend, direct/mailbox/outbox delivery, retry and delivery marks.
import { BwError, isBwError } from '../../shared/errors.js';
import { toB64u } from '../../shared/bytes.js';
import { peerId } from '../../shared/crypto/identity.js';
import { checkBody, sealPost } from '../../shared/crypto/envelope.js';
import type { ChannelMessage } from '../../shared/protocol.js';
import { myKey, requireMe, type Ctx } from './context.js';
import type { Delivery, PostRow } from './types.js';

/**
 * Where a restored identity's post numbering starts. A friend refuses a post whose (author, seq) it already holds as a
 * replay, and its catch-up cursor counts every seq up to it as delivered, so a restored client must never reuse a
 * number the lost one used; the receiver needs nothing more than that (author, seq) pairs stay unique. The backup
 * cannot know how far the lost client got (it kept posting after the backup was made, and old backups carry no
 * counter), so the floor is the restore time in milliseconds: a counter that starts at 1 and grows by one per post is
 * ~1.8e12 posts short of it, and one that itself started at an earlier restore's floor stays below a later restore's
 * clock unless it posted more than once per millisecond (or the clocks disagree by more than its post count in ms).
 * 2^53 leaves room for 285 000 years of such floors. Friends' cursors stop below the jump; posts above it are still
 * acked one by one.
 */
export const restoredSeqFloor = (now: number): number => Math.max(1, Math.floor(now));

/** Seals a post for every friend, stores it, and sends it to each. */
export async function post(ctx: Ctx, body: string): Promise<PostRow> {
  const me = requireMe(ctx);
  checkBody(body);
  if (!body.trim()) throw new BwError('bad-frame', 'write something first');
  const mine = peerId(me.sigPub);
  const seq = Math.max((await ctx.store.lastSeq(mine)) + 1, ctx.seqFloor);
  const ts = ctx.clock.now();
  const friends = [...ctx.friends.values()];
  const sealed = sealPost(me, { seq, ts, body }, friends.map((f) => ({ sigPub: f.sigPub, wrapKey: f.wrapKey })));
  // Every recipient is recorded before anything is sent, so catch-up knows whom the post was for.
  const delivery: Record<string, Delivery> = Object.fromEntries(sealed.map((s) => [peerId(s.to), 'queued' as Delivery]));
  const row: PostRow = { author: mine, seq, ts, body, via: 'self', received: ts, delivery };
  await ctx.store.putPost(row);
  ctx.seen.add(`${mine}:${seq}`);
  await Promise.all(sealed.map(async (s) => {
    const to = peerId(s.to);
    const how = await deliver(ctx, to, seq, toB64u(s.envelope));
    await setDelivery(ctx, seq, to, how);
    if (how === 'queued') scheduleFlush(ctx);
  }));
  await ctx.refresh();
  return row;
}

export function sendChannel(ctx: Ctx, to: string, msg: ChannelMessage): boolean {
  return ctx.mesh?.send(to, JSON.stringify(msg)) ?? false;
}

/** Direct if the channel is open, else the relay's mailbox; undefined (logged) when neither takes it now. */
async function tryDeliver(ctx: Ctx, to: string, env: string): Promise<'direct' | 'relay' | undefined> {
  if (sendChannel(ctx, to, { t: 'post', env })) return 'direct';
  try {
    const cap = ctx.friends.get(to)?.mailboxOut;
    if (!cap) throw new BwError('not-friend', 'no mailbox capability for that key');
    if (!ctx.relay) throw new BwError('unavailable', 'not connected to the relay');
    await ctx.relay.call('mailbox:put', { to, env, cap });
    return 'relay';
  } catch (e) {
    ctx.log.warn('[bw] mailbox put failed, queued', isBwError(e) ? e.code : e);
    return undefined;
  }
}

/** Direct, else the relay's mailbox, else the local outbox until the network returns. */
export async function deliver(ctx: Ctx, to: string, seq: number, env: string): Promise<Delivery> {
  const how = await tryDeliver(ctx, to, env);
  if (how) return how;
  await ctx.store.addOutbox({ to, seq, env, created: ctx.clock.now() });
  return 'queued';
}

/** Retries the outbox with backoff while the relay is up but refused something (rate limit, quota, a blip). */
export function scheduleFlush(ctx: Ctx): void {
  if (ctx.flush.timer !== undefined || ctx.relay?.status !== 'connected') return;
  const delay = ctx.flush.delay;
  ctx.flush.delay = Math.min(ctx.flush.delay * 2, 60_000);
  ctx.flush.timer = ctx.clock.setTimeout(() => {
    ctx.flush.timer = undefined;
    ctx.serial(() => flushOutbox(ctx));
  }, delay);
}

/** Sends what waits in the outbox, in order; stops at the first that still cannot leave. */
export async function flushOutbox(ctx: Ctx): Promise<void> {
  for (const item of await ctx.store.listOutbox()) {
    if (!ctx.friends.has(item.to)) {
      await ctx.store.deleteOutbox(item.id!); // unfriended since: the post must not reach them
      continue;
    }
    // The row stays queued until it leaves (it is not queued a second time when a retry fails).
    const how = await tryDeliver(ctx, item.to, item.env);
    if (how) {
      await ctx.store.deleteOutbox(item.id!);
      await setDelivery(ctx, item.seq, item.to, how);
    } else {
      scheduleFlush(ctx); // keep order, try again later
      await ctx.refresh();
      return;
    }
  }
  ctx.flush.delay = 1000;
  await ctx.refresh();
}

/** Records how my post `seq` left for `to`; never downgrades 'delivered' (an ack may beat this write). */
export async function setDelivery(ctx: Ctx, seq: number, to: string, how: Delivery): Promise<void> {
  await ctx.store.editPosts(myKey(ctx), seq, (p) => {
    if (p.delivery?.[to] === 'delivered' || p.delivery?.[to] === how) return false;
    p.delivery = { ...p.delivery, [to]: how };
    return true;
  });
}

export async function markDelivered(ctx: Ctx, friend: string, which: (p: PostRow) => boolean): Promise<void> {
  const changed = await ctx.store.editPosts(myKey(ctx), undefined, (p) => {
    if (!p.delivery || !(friend in p.delivery) || p.delivery[friend] === 'delivered' || !which(p)) return false;
    p.delivery[friend] = 'delivered';
    return true;
  });
  if (changed) await ctx.refresh();
}
