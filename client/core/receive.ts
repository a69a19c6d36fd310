// Owns receiving: opening friends' envelopes (mailbox or channel) and admitting their content, receipts, and channel catch-up between two friends.
import { BwError, isBwError } from '../../shared/errors.js';
import { fromB64u, toB64u } from '../../shared/bytes.js';
import { peerId } from '../../shared/crypto/identity.js';
import { openEnvelope, readHeader, sealContent, sealPost } from '../../shared/crypto/envelope.js';
import { parse } from '../../shared/validate.js';
import { ChannelMessageSchema, LIMITS, type ChannelMessage } from '../../shared/protocol.js';
import { contiguousCursor, deliveredBy, postsToResend, streamOf } from '../sync.js';
import { admit, itemFromV1, keysNeeded, type Admitted } from './items.js';
import { passOn } from './social.js';
import { heldSeqs, myDeviceKey, myKey, requireMe, type Ctx } from './context.js';
import { markMutual, onFriendRequest, openInvites } from './friends.js';
import { inviteDrop, openDrop } from '../../shared/crypto/invite-drop.js';
import { forgetLastSeq, markDelivered, sendChannel } from './delivery.js';
import type { ItemRow, PostRow, Via } from './types.js';
import { onBlobMessage } from './blobs.js';
import { applyDeviceList, personOf, rowOf } from './device-rows.js';
import { applySync, tellFriend } from './device-sync.js';
import { decodeDeviceList } from '../../shared/crypto/devices.js';
import { stamp } from './trace.js';

/**
 * Verifies and opens a sealed envelope from a friend, stores its stream row and what it carries, passes replies and
 * reactions to my posts on to their audience, and acks it on the channel if there is one. Content the rules refuse
 * (client/core/items.ts admit) still takes its place in the friend's stream, so nothing after it waits; the refusal
 * is then thrown with its code.
 */
export async function receive(ctx: Ctx, env: string, via: Via): Promise<PostRow> {
  stamp('recv.start');
  const me = requireMe(ctx);
  const bytes = fromB64u(env, 'envelope');
  await heldSeqs(ctx, peerId(readHeader(bytes).author));
  stamp('recv.held');
  const opened = openEnvelope(bytes, {
    me: me.sigPub,
    wrapKeyFor: (author) => rowOf(ctx, peerId(author))?.wrapKey,
    seen: (author, seq) => ctx.seen.has(`${peerId(author)}:${seq}`),
  });
  stamp('recv.opened');
  const author = peerId(opened.author);
  const person = personOf(ctx, author);
  const received = ctx.clock.now();
  let row!: PostRow;
  let refused: BwError | undefined;
  let forward: Admitted['forward'] = [];
  let devices: ItemRow | undefined;
  let sync: Admitted['sync'];
  if (opened.post) {
    const post = opened.post;
    row = { author, seq: post.seq, ts: post.ts, body: post.body, via, received };
    await ctx.store.putBatch({ items: [itemFromV1(row)], posts: [row] });
    ctx.seen.add(`${row.author}:${row.seq}`);
  } else {
    let adm: Admitted | undefined;
    // What it refers to is read and its rows written in one transaction (what most envelopes carry: a post, reply,
    // reaction or card). An edit or delete also changes rows beside its item (the thread, photos): those are
    // stored step by step after it, and the stream row last.
    const keys = keysNeeded(opened.items, (k) => personOf(ctx, k));
    const written = await ctx.store.putBatchWith(keys, (found) => {
      const known = new Map<string, ItemRow>();
      found.forEach((it, i) => it && known.set(keys[i]!, it));
      refused = opened.refused;
      adm = undefined;
      try {
        if (!refused) adm = admit(opened.items, person, { me: myKey(ctx), items: known, personOf: (k) => personOf(ctx, k) }, via, received, opened.seq);
      } catch (e) {
        if (!isBwError(e)) throw e;
        refused = e;
      }
      const ts = opened.items[0]?.item.ts ?? received;
      row = adm
        ? { author, seq: opened.seq, ts, body: adm.main.text ?? '', via, received, kind: adm.main.kind, item: adm.main.key }
        : { author, seq: opened.seq, ts, body: '', via, received, kind: 'refused', refused: refused!.code };
      return adm && followUps(adm) ? {} : { items: adm?.put ?? [], posts: [row] };
    });
    ctx.seen.add(`${row.author}:${row.seq}`);
    if (!written.posts) {
      await applyAdmitted(ctx, adm!);
      await ctx.store.putBatch({ posts: [row] });
    }
    forward = (adm as Admitted | undefined)?.forward ?? [];
    devices = (adm as Admitted | undefined)?.put.find((it) => it.kind === 'devices' && it.author === person);
    sync = (adm as Admitted | undefined)?.sync;
  }
  stamp('recv.stored');
  if (row.author === myDeviceKey(ctx)) forgetLastSeq(ctx);
  // Stored: it may be acknowledged now, before the bookkeeping that follows.
  sendChannel(ctx, row.author, { t: 'ack', seq: row.seq });
  // A new post goes into the state at once; anything else is rebuilt behind this envelope, not before the next one
  // is opened (envelopes that arrive together share one build). Either way it is announced once the state holds it.
  ctx.took(row);
  // The primary passes friends' replies to my posts on (every device of mine gets them; one sends them on).
  if (!me.identity) for (const f of forward) await passOn(ctx, f);
  stamp('recv.passed');
  // A newly accepted device list: seal to exactly the devices it names from now on.
  const whose = person === myKey(ctx) ? { key: person, sigPub: me.identity?.sigPub ?? me.sigPub } : ctx.friends.get(person);
  if (devices?.list && whose) {
    await applyDeviceList(ctx, whose, decodeDeviceList(fromB64u(devices.list, 'device list')));
    if (person !== myKey(ctx)) await tellFriend(ctx, person); // my other devices seal to their new devices too
  }
  if (sync) await applySync(ctx, sync);
  await markMutual(ctx, person); // they seal posts for me: they hold me as a friend (relay-only mode learns it here)
  stamp('recv.mutual');
  if (refused) throw refused;
  return row;
}

/** Whether admitting changes more than its items: an edit or delete of a post (the plain list, the thread) or photos. */
const followUps = (adm: Admitted): boolean => adm.blobs.length > 0 || adm.put.some((it) => it.kind === 'post' && it.seq !== undefined && !!(it.deleted || it.edited));

/** Stores what a bundle changed; a delete also drops the thread under the post, and the plain list's copy of its text. */
async function applyAdmitted(ctx: Ctx, adm: Admitted): Promise<void> {
  for (const it of adm.put) {
    await ctx.store.putItem(it);
    if (it.kind !== 'post' || it.seq === undefined || !(it.deleted || it.edited)) continue;
    const body = it.text ?? '';
    await ctx.store.editPosts(it.author, it.seq, (p) => p.item === it.key && p.body !== body && ((p.body = body), true));
    if (it.deleted) for (const child of await ctx.store.itemsByParent([it.key])) await ctx.store.deleteItem(child.key);
  }
  for (const id of adm.blobs) await ctx.store.deleteBlob(id); // a deleted post's photos go with it
}

/** The drop keys of my open invites (shared/crypto/invite-drop.ts): a mailbox item from one is a friend request. */
async function dropKeys(ctx: Ctx): Promise<Set<string>> {
  const open = openInvites(await ctx.store.listInvites(), ctx.clock.now());
  return new Set(open.map((i) => peerId(inviteDrop(fromB64u(i.token, 'invite token')).sigPub)));
}

/** Fetches, opens and acknowledges everything in my mailbox, page by page; then tells the authors what I hold. */
export async function drainMailbox(ctx: Ctx): Promise<void> {
  const drops = dropKeys(ctx); // read while the first page is fetched
  drops.catch(() => undefined); // awaited below, where its failure is thrown
  for (;;) {
    stamp('mailbox.fetch');
    const { items } = await ctx.relay!.call('mailbox:fetch', { after: 0, limit: LIMITS.maxFetchPage });
    stamp('mailbox.fetched');
    const dropped = await drops;
    if (!items.length) return;
    const got: string[] = [];
    for (const item of items) {
      try {
        if (dropped.has(item.from)) {
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
    stamp('mailbox.acked');
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

/** A data channel message checked against its schema; a named BwError otherwise. */
export function readChannelMessage(text: string): ChannelMessage {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new BwError('bad-frame', 'channel message is not JSON');
  }
  return parse(ChannelMessageSchema, json, 'channel message');
}

export async function onChannelMessage(ctx: Ctx, from: string, text: string): Promise<void> {
  if (!rowOf(ctx, from)) throw new BwError('not-friend', 'data channel message from a non-friend');
  const msg = readChannelMessage(text);
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
      return markDelivered(ctx, from, (_p, stream) => stream === msg.seq);
    case 'blob':
    case 'blob-want':
      return onBlobMessage(ctx, from, msg);
    case 'link':
      throw new BwError('bad-frame', 'a link chunk goes only to a device being linked');
    case 'sync': {
      const me = requireMe(ctx);
      const friend = rowOf(ctx, from)!;
      const mine = await ctx.store.postsBy(myDeviceKey(ctx));
      await markDelivered(ctx, from, (p) => deliveredBy([p], from, msg.since).length > 0);
      for (const p of postsToResend(mine, from, msg.since)) {
        const to = { sigPub: friend.sigPub, wrapKey: friend.wrapKey };
        const [s] = p.content
          ? sealContent(me, fromB64u(p.content, 'stored content'), [{ ...to, stream: streamOf(p, from) }])
          : sealPost(me, { seq: p.seq, ts: p.ts, body: p.body }, [to]);
        sendChannel(ctx, from, { t: 'post', env: toB64u(s!.envelope) });
      }
      return;
    }
  }
}
