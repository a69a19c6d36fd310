// Owns keeping the feed's first screen (shared/first-screen.ts) in localStorage, per database: written when the feed
// settles, read synchronously by <bw-feed>'s first render, cleared when that database holds no identity or another one.
//
// localStorage, not IndexedDB: the point is to paint before IndexedDB has opened and answered. It holds only what the
// same origin's IndexedDB already holds in the clear (post text, names, keys of friends, photo refs) — on a host page
// that embeds <bw-feed>, the host's origin keeps both, as it already keeps that IndexedDB.
import * as v from 'valibot';
import { FIRST_SCREEN_ITEMS, FIRST_SCREEN_VERSION, FirstScreenSchema, type FirstScreen } from '../shared/first-screen.js';
import type { FeedItem } from './core/feed-view.js';
import type { ClientState } from './core/context.js';

export type { FirstScreen } from '../shared/first-screen.js';

/** A snapshot longer than this (UTF-16 units) is not kept: the first screen is a few KB, long threads could make it more. */
export const MAX_FIRST_SCREEN_CHARS = 256 * 1024;

const keyOf = (dbName: string) => `brainwaves:${dbName}:first-screen`;

/** localStorage, or undefined where the page may not use it (opaque origins, storage disabled: reading it throws). */
function storage(): Storage | undefined {
  try {
    return globalThis.localStorage ?? undefined;
  } catch {
    return undefined;
  }
}

/** The snapshot kept for `dbName`, checked against its schema; a bad one is dropped with a warning (undefined). */
export function readFirstScreen(dbName: string): FirstScreen | undefined {
  let text: string | null | undefined;
  try {
    text = storage()?.getItem(keyOf(dbName));
  } catch (e) {
    console.warn('[bw] first-screen snapshot not readable', e);
    return undefined;
  }
  if (!text) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const r = v.safeParse(FirstScreenSchema, parsed);
  if (r.success) return r.output;
  const at = r.issues[0].path?.map((p) => String(p.key)).join('.') || '(root)';
  console.warn(`[bw] first-screen snapshot ignored: ${at}: ${r.issues[0].message}`);
  clearFirstScreen(dbName);
  return undefined;
}

/** A FeedItem as the snapshot keeps it: object URLs and photo states dropped (the next page fetches them again). */
const plainItem = (i: FeedItem): FirstScreen['items'][number] => {
  const { avatarUrl: _a, ...author } = i.author;
  void _a;
  return { ...i, author, photos: i.photos.map((p) => ({ ref: p.ref, state: 'loading' as const })) };
};

/**
 * The snapshot of a settled feed: my identity, friends, lists and unread count from `state`, and the first items of its
 * first page (`more`: older items follow them). Undefined without an identity.
 */
export function firstScreenOf(state: ClientState, items: readonly FeedItem[], more: boolean): FirstScreen | undefined {
  if (!state.me) return undefined;
  return {
    v: FIRST_SCREEN_VERSION,
    me: { ...state.me },
    ...(state.profile && { profile: state.profile }),
    friends: state.friends.map((f) => ({ key: f.key, name: f.name, status: f.status })),
    lists: state.lists.map((l) => ({ id: l.id, name: l.name, members: [...l.members] })),
    unread: state.unread,
    items: items.slice(0, FIRST_SCREEN_ITEMS).map(plainItem),
    more: more || items.length > FIRST_SCREEN_ITEMS,
  };
}

/** Keeps `snap` for `dbName` (over the one before); returns the text written, or undefined when it was not kept. */
export function writeFirstScreen(dbName: string, snap: FirstScreen, last?: string): string | undefined {
  const text = JSON.stringify(snap);
  if (text === last) return text;
  if (text.length > MAX_FIRST_SCREEN_CHARS) return void clearFirstScreen(dbName);
  try {
    storage()?.setItem(keyOf(dbName), text);
    return text;
  } catch (e) {
    console.warn('[bw] first-screen snapshot not kept', e); // quota: the feed just paints from IndexedDB next time
    clearFirstScreen(dbName);
    return undefined;
  }
}

/** Forgets the snapshot of `dbName` (no identity there any more, or another one). */
export function clearFirstScreen(dbName: string): void {
  try {
    storage()?.removeItem(keyOf(dbName));
  } catch (e) {
    console.warn('[bw] first-screen snapshot not cleared', e);
  }
}
