// Owns turning stored items into the feed's view model (FeedItem: threads, reactions and who, edited/deleted, unread), and loading one page of it.
import type { AudienceList, FeedItem, PersonView, ReactionView, ReplyView } from './feed-view.js';
import type { Delivery, ItemRow } from './types.js';
import { myKey, type ClientState, type Ctx } from './context.js';
import { personOf } from './device-rows.js';

/** Everything buildFeed needs, already loaded: the page's posts, their replies and reactions, and who is who. */
export interface FeedInput {
  me: string;
  myName: string;
  /** Newest first. */
  posts: readonly ItemRow[];
  /** Replies and reactions whose parent is one of `posts`. */
  children: readonly ItemRow[];
  /** Verified profile cards by person key. */
  profiles: ReadonlyMap<string, ItemRow>;
  friends: ReadonlyMap<string, { name: string; online?: boolean }>;
  /** Items received after this are unread. */
  readUpTo: number;
  /** My posts: item key → per friend, how it left. */
  delivery: ReadonlyMap<string, Record<string, Delivery>>;
}

/** A person as I know them: their signed card's name if I hold one, else a friend's name from the invite, else a short key. */
export function person(input: Pick<FeedInput, 'me' | 'myName' | 'profiles' | 'friends'>, key: string): PersonView {
  const card = input.profiles.get(key);
  const friend = input.friends.get(key);
  const name = card?.name ?? (key === input.me ? input.myName : friend?.name) ?? `${key.slice(0, 8)}…`;
  return {
    key,
    name,
    ...(card?.bio && { bio: card.bio }),
    ...(card?.avatar && { avatar: card.avatar }),
    verified: !!card || key === input.me,
    friend: !!friend,
    ...(friend?.online !== undefined && { online: friend.online }),
  };
}

function reactionsOf(input: FeedInput, rows: readonly ItemRow[]): ReactionView[] {
  const by = new Map<string, ReactionView>();
  for (const r of [...rows].sort((a, b) => a.ts - b.ts)) {
    if (!r.emoji) continue;
    const view = by.get(r.emoji) ?? { emoji: r.emoji, count: 0, mine: false, who: [] };
    view.count++;
    view.mine ||= r.author === input.me;
    view.who.push(person(input, r.author));
    by.set(r.emoji, view);
  }
  return [...by.values()].sort((a, b) => b.count - a.count || a.emoji.localeCompare(b.emoji));
}

function base(input: FeedInput, row: ItemRow): ReplyView {
  return {
    id: row.id,
    author: person(input, row.author),
    ts: row.ts,
    body: row.deleted ? '' : (row.text ?? ''),
    ...(row.edited !== undefined && !row.deleted && { edited: row.edited }),
    deleted: !!row.deleted,
    mine: row.author === input.me,
    reactions: [],
  };
}

/** Stored rows → FeedItem[], newest post first, each thread oldest reply first. Pure. */
export function buildFeed(input: FeedInput): FeedItem[] {
  const kids = new Map<string, ItemRow[]>();
  for (const c of input.children) if (c.parent) kids.set(c.parent, [...(kids.get(c.parent) ?? []), c]);
  return input.posts.map((p) => {
    const under = p.deleted ? [] : (kids.get(p.key) ?? []);
    const mine = p.author === input.me;
    const delivery = mine ? input.delivery.get(p.key) : undefined;
    return {
      ...base(input, p),
      reactions: reactionsOf(input, under.filter((c) => c.kind === 'reaction')),
      photos: p.deleted ? [] : (p.photos ?? []).map((ref) => ({ ref, state: 'loading' as const })),
      via: p.via,
      ...(delivery && { delivery }),
      ...(mine && p.audience && { audience: { ...(p.audience.list && { list: p.audience.list }), to: p.audience.to.map((k) => person(input, k)) } }),
      replies: under.filter((c) => c.kind === 'reply').sort((a, b) => a.ts - b.ts).map((r) => base(input, r)),
      unread: !mine && !p.deleted && p.received > input.readUpTo,
      received: p.received,
    };
  });
}

export interface FeedPage {
  items: FeedItem[];
  /** Pass as `before` for the next, older page; absent when this was the last. */
  next?: number;
  /** Unread posts in the whole store. */
  unread: number;
}

export const FEED_PAGE = 50;
export const MAX_FEED_PAGE = 200;

const pageLimit = (opts: { limit?: number }) => Math.min(Math.max(1, opts.limit ?? FEED_PAGE), MAX_FEED_PAGE);
const readMark = (ctx: Pick<Ctx, 'store'>) => ctx.store.getMeta('readUpTo').then((r) => r ?? 0);

/** A page's first reads, which need no identity: its posts (one more than it shows, to know if more follow) and the read mark. */
export type PageReads = Promise<[ItemRow[], number]>;
export const pageReads = (ctx: Pick<Ctx, 'store'>, opts: { before?: number; limit?: number } = {}): PageReads =>
  Promise.all([ctx.store.pagePosts(opts.before, pageLimit(opts) + 1), readMark(ctx)]);

/**
 * One page of the feed (or of a search over local posts), newest first, built from the store's indexes. The page is
 * pulled again on every change, so the reads that do not depend on each other go out together: with IndexedDB, one
 * read per card of mine after another (its delivery marks) kept the store busy long enough to delay the next send.
 */
export async function loadFeed(ctx: Ctx, opts: { before?: number; limit?: number; search?: string } = {}, started?: PageReads): Promise<FeedPage> {
  const me = myKey(ctx);
  const limit = pageLimit(opts);
  const search = opts.search?.trim();
  // Reads that do not wait on each other go out together (each wait on IndexedDB is a round trip to another process).
  const [found, readUpTo] = await (started ?? (search ? Promise.all([ctx.store.searchPosts(search, limit + 1), readMark(ctx)]) : pageReads(ctx, opts)));
  const { posts, more } = search ? { posts: found.slice(0, limit), more: false } : await pageWithTies(ctx, found, limit);
  const mySends = posts.filter((p) => p.author === me && p.seq !== undefined);
  const people = new Set(posts.map((r) => r.author));
  for (const p of posts) for (const k of p.audience?.to ?? []) people.add(k);
  const profiles = new Map<string, ItemRow>();
  // One batch per round: a page's 50 authors read one by one were most of the first paint's wait on IndexedDB.
  const cards = async (keys: string[]) => (await ctx.store.getItems(keys.map((k) => `${k}:profile`))).forEach((card, i) => card && profiles.set(keys[i]!, card));
  // The posts' people are read beside the threads; only repliers they did not cover need a round of their own.
  const [children, sent, unread] = await Promise.all([
    posts.length ? ctx.store.itemsByParent(posts.map((p) => p.key)) : [],
    Promise.all(mySends.map((p) => ctx.store.getPost(me, p.seq!))),
    ctx.store.countUnread(me, readUpTo),
    people.size ? cards([...people]) : undefined,
  ]);
  const repliers = [...new Set(children.map((r) => r.author))].filter((k) => !people.has(k));
  if (repliers.length) await cards(repliers);
  const delivery = new Map<string, Record<string, Delivery>>();
  mySends.forEach((p, i) => sent[i]?.delivery && delivery.set(p.key, byPerson(sent[i].delivery, (k) => personOf(ctx, k), me)));
  const online = new Set([...ctx.online].map((k) => personOf(ctx, k)));
  const friends = new Map([...ctx.friends.values()].map((f) => [f.key, { name: f.name, online: online.has(f.key) }]));
  const items = buildFeed({ me, myName: ctx.me?.name ?? '', posts, children, profiles, friends, readUpTo, delivery });
  return { items, ...(more && { next: posts.at(-1)!.ts }), unread };
}

const RANK: Record<Delivery, number> = { queued: 0, relay: 1, direct: 2, delivered: 3 };

/**
 * How a send of mine left, per person: a friend with several devices counts once, with the furthest any of their
 * devices got (it reached them once one device holds it); copies to my own other devices are not shown. Pure.
 */
export function byPerson(delivery: Record<string, Delivery>, personOf: (key: string) => string, me: string): Record<string, Delivery> {
  const out: Record<string, Delivery> = {};
  for (const [k, how] of Object.entries(delivery)) {
    const p = personOf(k);
    if (p === me) continue;
    if (!(p in out) || RANK[how] > RANK[out[p]!]) out[p] = how;
  }
  return out;
}

/** The read mark that covers exactly what a reader has on screen: the newest `received` among the shown posts. */
export const readMarkFor = (items: readonly Pick<FeedItem, 'received'>[]): number => items.reduce((m, i) => Math.max(m, i.received), 0);

/** How many posts sharing one timestamp a page takes in whole before it gives up on the rest (a bulk import, not a person). */
export const MAX_TIED_POSTS = 1000;

/**
 * `found` cut to `limit`, but never between two posts with the same ts: the next page starts strictly before the last
 * ts shown, so a tie cut in two would lose the rest of it. The page grows by the tied posts instead (they are few).
 */
async function pageWithTies(ctx: Ctx, found: ItemRow[], limit: number): Promise<{ posts: ItemRow[]; more: boolean }> {
  if (found.length <= limit || found[limit - 1]!.ts !== found[limit]!.ts) return { posts: found.slice(0, limit), more: found.length > limit };
  const tie = found[limit]!.ts;
  const from = await ctx.store.pagePosts(tie + 1, MAX_TIED_POSTS + 1); // the tie first (newest first), then older ones
  const tied = from.filter((p) => p.ts === tie).slice(0, MAX_TIED_POSTS);
  return { posts: [...found.filter((p) => p.ts > tie), ...tied], more: from.length > tied.length };
}
/** My lists as the view model has them. */
export const listsView = (rows: readonly AudienceList[]): AudienceList[] => rows.map((l) => ({ id: l.id, name: l.name, members: [...l.members] }));

/** Everyone the reader knows from the state alone, by key: me (my signed card) and my friends (names from the invite). */
export function peopleOf(state: Pick<ClientState, 'me' | 'friends' | 'profile'>): Map<string, PersonView> {
  const people = new Map<string, PersonView>();
  for (const f of state.friends) people.set(f.key, { key: f.key, name: f.name, verified: f.status === 'mutual', friend: true, online: f.online });
  if (state.me) {
    const p = state.profile;
    people.set(state.me.key, { key: state.me.key, name: p?.name || state.me.name, ...(p?.bio && { bio: p.bio }), ...(p?.avatar && { avatar: p.avatar }), verified: true, friend: false, online: true });
  }
  return people;
}
