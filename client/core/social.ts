// Owns what I write and who gets it: posts to all friends or a list, replies and reactions through the post's author, edits, deletes, my profile card, lists, read marks.
import { BwError } from '../../shared/errors.js';
import { fromB64u, toB64u } from '../../shared/bytes.js';
import { peerId } from '../../shared/crypto/identity.js';
import { newItemId, signItem, type SignedItem } from '../../shared/crypto/content.js';
import type { ImageRef, PhotoRef } from '../../shared/photo-ref.js';
import { myKey, requireMe, type Ctx } from './context.js';
import { send, type Sent } from './delivery.js';
import { itemKey, photoBlobIds } from './items.js';
import type { ItemRow, ListRow } from './types.js';
import { stamp } from './trace.js';
import { personOf } from './device-rows.js';
import { setReadMark, tellMyDevices } from './device-sync.js';

export interface PostInput {
  text: string;
  photos?: PhotoRef[];
  /** An audience list's id; absent: all friends. */
  audience?: string;
}

/** A send of mine with the item it carried. `to`: whom it was sealed for (send photo blobs to exactly these). */
export type Written = Sent & { key: string; id: string };

/**
 * A post named by its key (`author:id`) or by its id alone (what FeedItem.id holds). Ids are random, so one id is one
 * post; should a friend reuse another's id, mine wins, and otherwise the key must be given.
 */
async function findPost(ctx: Ctx, post: string): Promise<ItemRow | undefined> {
  if (post.includes(':')) return ctx.store.getItem(post);
  const rows = (await ctx.store.itemsWithId(post)).filter((r) => r.kind === 'post');
  if (rows.length <= 1) return rows[0];
  const mine = rows.find((r) => r.author === myKey(ctx));
  if (mine) return mine;
  throw new BwError('bad-frame', 'two posts share that id: name it as author:id');
}

async function livePost(ctx: Ctx, post: string): Promise<ItemRow> {
  const row = await findPost(ctx, post);
  if (!row || row.kind !== 'post' || row.deleted) throw new BwError('unknown-post', 'no such post here');
  return row;
}

/** My current friends among `keys`. */
const friendsAmong = (ctx: Ctx, keys: readonly string[]): string[] => keys.filter((k) => ctx.friends.has(k));

/** My own signed profile card: the stored one, or one signed now from my identity's name (so readers always get one). */
export async function myCard(ctx: Ctx): Promise<SignedItem> {
  const me = requireMe(ctx);
  const stored = await ctx.store.getItem(`${myKey(ctx)}:profile`);
  if (stored?.signed) return { signer: me.sigPub, item: { v: 2, kind: 'profile', id: stored.id, ts: stored.ts, name: stored.name!, bio: stored.bio ?? '', ...(stored.avatar && { avatar: stored.avatar }) }, bytes: fromB64u(stored.signed, 'stored card') };
  return saveCard(ctx, { name: me.name, bio: '' });
}

async function saveCard(ctx: Ctx, p: { name: string; bio: string; avatar?: ImageRef }): Promise<SignedItem> {
  const me = requireMe(ctx);
  const key = `${myKey(ctx)}:profile`;
  const prev = await ctx.store.getItem(key);
  const ts = Math.max(ctx.clock.now(), (prev?.ts ?? 0) + 1); // newest wins at every reader
  const card = signItem(me, { kind: 'profile', id: newItemId(), ts, name: p.name.trim(), bio: p.bio, ...(p.avatar && { avatar: p.avatar }) });
  await ctx.store.putItem(stored(ctx, card, key, { name: p.name.trim(), bio: p.bio, ...(p.avatar && { avatar: p.avatar }) }));
  return card;
}

function stored(ctx: Ctx, s: SignedItem, key: string, extra: Partial<ItemRow>): ItemRow {
  const now = ctx.clock.now();
  return { key, author: myKey(ctx), id: s.item.id, kind: s.item.kind as ItemRow['kind'], ts: s.item.ts, signed: toB64u(s.bytes), via: 'self', received: now, ...extra };
}

/** A post to all friends, or to one of my lists: sealed for exactly those, nobody else learns it exists. */
export async function post(ctx: Ctx, input: PostInput): Promise<Written> {
  const me = requireMe(ctx);
  let to = [...ctx.friends.keys()];
  let list: ListRow | undefined;
  if (input.audience !== undefined) {
    list = (await ctx.store.listLists()).find((l) => l.id === input.audience);
    if (!list) throw new BwError('bad-frame', 'no such audience list');
    to = friendsAmong(ctx, list.members);
  }
  const s = signItem(me, { kind: 'post', id: newItemId(), ts: ctx.clock.now(), text: input.text, ...(input.photos?.length && { photos: input.photos }) });
  stamp('post.ts');
  const key = itemKey(myKey(ctx), s.item);
  const row = stored(ctx, s, key, { text: input.text, ...(input.photos?.length && { photos: input.photos }), audience: { ...(list && { list: list.name }), to } });
  // The item is stored with the send, in one transaction, before the post leaves.
  const sent = await send(ctx, [s.bytes], to, { kind: 'post', item: key, body: input.text }, row);
  stamp('post.done');
  return { ...sent, key, id: s.item.id };
}

/**
 * A reply or reaction goes to the post's author alone, with my profile card; the author passes both on to the post's
 * audience (passOn). Under my own post I am that author: it goes straight to the audience.
 */
async function answer(ctx: Ctx, post: string, make: (to: { a: string; id: string }) => Parameters<typeof signItem>[1]): Promise<Written> {
  const me = requireMe(ctx);
  const mine = myKey(ctx);
  const target = await livePost(ctx, post);
  const s = signItem(me, make({ a: target.author, id: target.id }));
  const key = itemKey(mine, s.item);
  const extra: Partial<ItemRow> = s.item.kind === 'reply' ? { parent: target.key, text: s.item.text } : { parent: target.key, emoji: s.item.kind === 'reaction' ? s.item.emoji : null };
  await ctx.store.putItem(stored(ctx, s, key, extra));
  const card = await myCard(ctx);
  const ownThread = target.author === mine;
  if (!ownThread && !ctx.friends.has(target.author)) throw new BwError('not-friend', "the post's author is no longer a friend");
  const to = ownThread ? friendsAmong(ctx, target.audience?.to ?? []) : [target.author];
  const sent = await send(ctx, [s.bytes, card.bytes], to, { kind: s.item.kind, item: key, body: '' });
  return { ...sent, key, id: s.item.id };
}

export const reply = (ctx: Ctx, post: string, text: string): Promise<Written> =>
  answer(ctx, post, (to) => ({ kind: 'reply', id: newItemId(), ts: ctx.clock.now(), to, text }));

/** One emoji per person per post; null withdraws mine. */
export const react = (ctx: Ctx, post: string, emoji: string | null): Promise<Written> =>
  answer(ctx, post, (to) => ({ kind: 'reaction', id: newItemId(), ts: ctx.clock.now(), to, emoji }));

/** Edits or deletes one of my posts, at once here and for everyone it was sealed for. */
async function change(ctx: Ctx, post: string, text: string | undefined): Promise<Written> {
  const me = requireMe(ctx);
  const mine = myKey(ctx);
  const target = await findPost(ctx, post);
  if (!target || target.kind !== 'post') throw new BwError('unknown-post', 'no such post here');
  const key = target.key;
  if (target.author !== mine) throw new BwError('not-author', "that is someone else's post");
  if (target.deleted) throw new BwError('unknown-post', 'that post was deleted');
  const ts = Math.max(ctx.clock.now(), (target.edited ?? target.ts) + 1);
  const to = { a: mine, id: target.id };
  const s = text === undefined ? signItem(me, { kind: 'delete', id: newItemId(), ts, to }) : signItem(me, { kind: 'edit', id: newItemId(), ts, to, text });
  if (text === undefined) {
    const { signed: _s, photos: _p, ...kept } = target;
    await ctx.store.putItem({ ...kept, text: '', deleted: ts });
    for (const child of await ctx.store.itemsByParent([key])) await ctx.store.deleteItem(child.key);
    for (const id of photoBlobIds(target)) await ctx.store.deleteBlob(id); // nobody may fetch them from me any more
  } else {
    await ctx.store.putItem({ ...target, text, edited: ts });
  }
  if (target.seq !== undefined) await ctx.store.editPosts(mine, target.seq, (p) => ((p.body = text ?? ''), true));
  const sent = await send(ctx, [s.bytes], friendsAmong(ctx, target.audience?.to ?? []), { kind: s.item.kind, item: key, body: '' });
  return { ...sent, key, id: target.id };
}

export const edit = (ctx: Ctx, post: string, text: string): Promise<Written> => change(ctx, post, text);
export const remove = (ctx: Ctx, post: string): Promise<Written> => change(ctx, post, undefined);

/** Signs a new profile card (newest wins), renames me locally, and sends the card to every friend. */
export async function saveProfile(ctx: Ctx, p: { name: string; bio: string; avatar?: ImageRef | null }): Promise<Sent> {
  const me = requireMe(ctx);
  const prev = await ctx.store.getItem(`${myKey(ctx)}:profile`);
  const avatar = p.avatar === null ? undefined : (p.avatar ?? prev?.avatar);
  const card = await saveCard(ctx, { name: p.name, bio: p.bio, ...(avatar && { avatar }) });
  const name = card.item.kind === 'profile' ? card.item.name : me.name;
  const row = await ctx.store.getIdentity();
  if (row && row.name !== name) {
    await ctx.store.putIdentity({ ...row, name });
    ctx.me = { ...me, name };
  }
  return send(ctx, [card.bytes], [...ctx.friends.keys()], { kind: 'profile', item: `${myKey(ctx)}:profile`, body: '' });
}

/** Passes a friend's reply or reaction to my post on to exactly the post's audience (not back to its writer). */
export async function passOn(ctx: Ctx, f: { post: ItemRow; signed: SignedItem; card?: SignedItem }): Promise<void> {
  const signer = personOf(ctx, peerId(f.signed.signer)); // a reply written on one of their devices is still theirs
  let card = f.card?.bytes;
  if (!card) {
    const known = await ctx.store.getItem(`${signer}:profile`);
    if (known?.signed) card = fromB64u(known.signed, 'stored card');
  }
  const to = friendsAmong(ctx, f.post.audience?.to ?? []).filter((k) => k !== signer);
  if (!to.length) return;
  // Written on one of their devices: their device list goes with it, so readers who are not their friends know whose.
  const list = signer !== peerId(f.signed.signer) ? (await ctx.store.getItem(`${signer}:devices`))?.signed : undefined;
  const items = [f.signed.bytes, ...(card ? [card] : []), ...(list ? [fromB64u(list, 'stored device list')] : [])];
  await send(ctx, items, to, { kind: 'forward', item: itemKey(signer, f.signed.item), body: '' });
}

const MAX_LIST_NAME = 64;
const MAX_LIST_MEMBERS = 1000;

/** Creates or replaces one of my audience lists (kept on this device only). Members must be friends. */
export async function saveList(ctx: Ctx, l: { id?: string; name: string; members: string[] }): Promise<ListRow> {
  const name = l.name.trim();
  if (!name) throw new BwError('bad-frame', 'a list needs a name');
  if ([...name].length > MAX_LIST_NAME) throw new BwError('oversize', `list name is over ${MAX_LIST_NAME} characters`);
  const members = [...new Set(l.members)];
  if (members.length > MAX_LIST_MEMBERS) throw new BwError('oversize', `a list holds at most ${MAX_LIST_MEMBERS} people`);
  const stranger = members.find((k) => !ctx.friends.has(k));
  if (stranger) throw new BwError('not-friend', `${stranger.slice(0, 8)}… is not a friend`);
  const row: ListRow = { id: l.id ?? newItemId(), name, members };
  await ctx.store.putList(row);
  await ctx.refresh();
  return row;
}

export async function deleteList(ctx: Ctx, id: string): Promise<void> {
  await ctx.store.deleteList(id);
  await ctx.refresh();
}

/** The reader has seen everything received up to `upTo` (never moves back); my other devices follow. */
export async function markRead(ctx: Ctx, upTo: number): Promise<void> {
  const prev = (await ctx.store.getMeta('readUpTo')) ?? 0;
  if (upTo <= prev) return;
  await setReadMark(ctx, upTo);
  await tellMyDevices(ctx, { op: 'read', upTo });
}
