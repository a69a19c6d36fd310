// Owns the bridge from today's session state to the feed view model: stored posts and friends as FeedItem and PersonView.
import type { FeedItem, PersonView } from './core/feed-view.js';
import type { SessionState } from './session.js';
import type { PostRow } from './core/types.js';

/** The stable id a FeedItem carries for a stored post (author key and sequence number). */
export const postId = (p: Pick<PostRow, 'author' | 'seq'>): string => `${p.author}:${p.seq}`;

/** Everyone the reader knows, by key: me and my friends (names from my friends list, not yet signed profile cards). */
export function peopleOf(state: Pick<SessionState, 'me' | 'friends'>): Map<string, PersonView> {
  const people = new Map<string, PersonView>();
  for (const f of state.friends) people.set(f.key, { key: f.key, name: f.name, verified: f.status === 'mutual', friend: true, online: f.online });
  if (state.me) people.set(state.me.key, { key: state.me.key, name: state.me.name, verified: true, friend: false, online: true });
  return people;
}

/**
 * Stored posts as feed items, newest first as given. Today's posts have no replies, reactions, photos or edits: those
 * stay empty until the content format carries them. `readUpTo`: posts after it (not mine) are unread.
 */
export function toFeedItems(rows: readonly PostRow[], people: Map<string, PersonView>, me: string | undefined, readUpTo: number): FeedItem[] {
  return rows.map((r) => {
    const mine = r.author === me;
    const author = people.get(r.author) ?? { key: r.author, name: r.author.slice(0, 8), verified: false, friend: false };
    return {
      id: postId(r),
      author,
      ts: r.ts,
      body: r.body,
      deleted: false,
      mine,
      reactions: [],
      photos: [],
      via: r.via,
      ...(mine && { delivery: r.delivery ?? {}, audience: { to: Object.keys(r.delivery ?? {}).map((k) => people.get(k) ?? { key: k, name: k.slice(0, 8), verified: false, friend: false }) } }),
      replies: [],
      unread: !mine && r.ts > readUpTo,
    };
  });
}

/** Merges pages of items by id (a later copy wins), newest first. */
export function mergeItems(...pages: readonly FeedItem[][]): FeedItem[] {
  const byId = new Map<string, FeedItem>();
  for (const page of pages) for (const item of page) byId.set(item.id, item);
  return [...byId.values()].sort((a, b) => b.ts - a.ts || (a.id < b.id ? 1 : -1));
}
