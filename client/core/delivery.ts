// Owns sending: numbering (my seq, each friend's stream), sealing for exactly the recipients, direct/mailbox/outbox delivery, retry and delivery marks.
import { BwError, isBwError } from '../../shared/errors.js';
import { toB64u } from '../../shared/bytes.js';
import { peerId } from '../../shared/crypto/identity.js';
import { sealContent } from '../../shared/crypto/envelope.js';
import { encodeBundle } from '../../shared/crypto/content.js';
import type { ChannelMessage } from '../../shared/protocol.js';
import { myDeviceKey, requireMe, type Ctx } from './context.js';
import type { Delivery, ItemRow, PostRow } from './types.js';
import { streamOf } from '../sync.js';
import { stamp } from './trace.js';
import { fanOut, rowOf } from './device-rows.js';

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

/** A send of mine as stored, and whom it was sealed for (every key it went to: friends and their devices, mine). */
export type Sent = PostRow & { to: string[] };

/**
 * The next number in my stream to a friend (envelope v2). A friend I had sent v1 posts continues above the highest
 * of those (their seq was my global counter); a restored identity starts at its floor, like v1 numbering. Kept on the
 * friend row (streamOut, which the caller stores with the send); only a row without it is looked up in my sends.
 */
export async function nextStream(ctx: Ctx, key: string): Promise<number> {
  const f = rowOf(ctx, key);
  if (!f) throw new BwError('not-friend', 'that key is not a friend');
  let last = f.streamOut;
  if (last === undefined) {
    last = 0;
    // Also above any v2 send to them on record (a friend removed and added again still holds my old stream).
    for (const p of await ctx.store.postsBy(myDeviceKey(ctx))) if (p.delivery && key in p.delivery) last = Math.max(last, p.streams?.[key] ?? p.seq);
  }
  return Math.max(last + 1, ctx.seqFloor);
}

/** My highest seq, read from the store once per core and then kept (sends are numbered one at a time, see exclusive). */
const lastSeqs = new WeakMap<Ctx, number>();
async function lastSeq(ctx: Ctx, mine: string): Promise<number> {
  return lastSeqs.get(ctx) ?? ctx.store.lastSeq(mine);
}
/** A post of mine was stored by another path (e.g. taken in from elsewhere): the next send reads my highest seq again. */
export const forgetLastSeq = (ctx: Ctx): void => void lastSeqs.delete(ctx);

const numbering = new WeakMap<Ctx, Promise<unknown>>();
/** Runs `fn` after every earlier numbering step of this core has finished. */
function exclusive<T>(ctx: Ctx, fn: () => Promise<T>): Promise<T> {
  const next = (numbering.get(ctx) ?? Promise.resolve()).catch(() => {}).then(fn);
  numbering.set(ctx, next);
  return next;
}

/**
 * Seals one bundle of signed items for exactly `to` (friends' keys), each with their next stream number, stores the
 * send (with `item`, my item it carries, numbered) and delivers it: direct, else the relay mailbox, else the outbox.
 * Friends not in `to` get nothing at all.
 */
export async function send(ctx: Ctx, items: readonly Uint8Array[], to: readonly string[], what: Pick<PostRow, 'kind' | 'item' | 'body'>, item?: ItemRow): Promise<Sent> {
  const me = requireMe(ctx);
  const mine = myDeviceKey(ctx); // my sends are numbered per device: two devices posting at once never clash
  const content = encodeBundle(items);
  // Each person's devices get their own copy, and so do my own other devices.
  const recipients = fanOut(ctx, to);
  const ts = ctx.clock.now();
  // Numbers are taken and the send stored in one step, so two sends at once never share one. Every recipient's
  // number, the send and its item are written in one transaction before anything leaves (a number a friend may hold
  // is never handed out again, and catch-up knows whom the post was for); the rest of the bookkeeping comes after.
  stamp('send.start');
  const { row, sealed } = await exclusive(ctx, async () => {
    stamp('send.exclusive');
    const [last, numbers] = await Promise.all([lastSeq(ctx, mine), Promise.all(recipients.map((k) => nextStream(ctx, k)))]);
    const seq = Math.max(last + 1, ctx.seqFloor);
    const streams: Record<string, number> = Object.fromEntries(recipients.map((k, i) => [k, numbers[i]!]));
    const sealed = sealContent(me, content, recipients.map((k) => ({ sigPub: rowOf(ctx, k)!.sigPub, wrapKey: rowOf(ctx, k)!.wrapKey, stream: streams[k]! })));
    // Every recipient is recorded before anything is sent, so catch-up knows whom the post was for.
    stamp('send.sealed');
    const delivery: Record<string, Delivery> = Object.fromEntries(recipients.map((k) => [k, 'queued' as Delivery]));
    const row: PostRow = { author: mine, seq, ts, ...what, via: 'self', received: ts, delivery, content: toB64u(content), streams };
    const friends = recipients.map((k) => ({ ...rowOf(ctx, k)!, streamOut: streams[k]! }));
    await ctx.store.putBatch({ friends, posts: [row], ...(item && { items: [{ ...item, seq }] }) });
    for (const f of friends) {
      const held = rowOf(ctx, f.key);
      if (held) held.streamOut = f.streamOut;
    }
    lastSeqs.set(ctx, seq);
    ctx.seen.add(`${mine}:${seq}`);
    stamp('send.stored');
    return { row, sealed };
  });
  const seq = row.seq;
  await Promise.all(sealed.map(async (s) => {
    const k = peerId(s.to);
    const how = await deliver(ctx, k, seq, toB64u(s.envelope));
    stamp(`send.${how}`);
    await setDelivery(ctx, seq, k, how);
    if (how === 'queued') scheduleFlush(ctx);
  }));
  stamp('send.marked');
  await ctx.refresh();
  stamp('send.refreshed');
  return { ...((await ctx.store.getPost(mine, seq)) ?? row), to: recipients };
}

/**
 * Sends over the open data channel to `to`; false when there is none. A device being linked reads only its link there
 * (client/core/link.ts): anything else for it (a post, a blob, a catch-up) is not sent, so a post goes to its mailbox.
 */
export function sendChannel(ctx: Ctx, to: string, msg: ChannelMessage): boolean {
  if (msg.t !== 'link' && ctx.linking.has(to)) return false;
  return ctx.mesh?.send(to, JSON.stringify(msg)) ?? false;
}

/** Direct if the channel is open, else the relay's mailbox; undefined (logged) when neither takes it now. */
async function tryDeliver(ctx: Ctx, to: string, env: string): Promise<'direct' | 'relay' | undefined> {
  if (sendChannel(ctx, to, { t: 'post', env })) return 'direct';
  try {
    const cap = rowOf(ctx, to)?.mailboxOut;
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
    if (!rowOf(ctx, item.to)) {
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
  await ctx.store.editPosts(myDeviceKey(ctx), seq, (p) => {
    if (p.delivery?.[to] === 'delivered' || p.delivery?.[to] === how) return false;
    p.delivery = { ...p.delivery, [to]: how };
    return true;
  });
}

/** Marks delivered to `friend` those of my sends `which` picks, given each send's number in my stream to them. */
export async function markDelivered(ctx: Ctx, friend: string, which: (p: PostRow, stream: number) => boolean): Promise<void> {
  const changed = await ctx.store.editPosts(myDeviceKey(ctx), undefined, (p) => {
    if (!p.delivery || !(friend in p.delivery) || p.delivery[friend] === 'delivered' || !which(p, streamOf(p, friend))) return false;
    p.delivery[friend] = 'delivered';
    return true;
  });
  if (changed) await ctx.refresh();
}
