// Owns the first-screen snapshot's schema: the feed's first few items and what frames them, as a client keeps them
// outside IndexedDB to paint before its store answers (client/first-screen.ts). Checked on every read, like a stored row.
import * as v from 'valibot';
import { PeerIdSchema } from './protocol.js';
import { ImageRefSchema, PhotoRefSchema } from './photo-ref.js';
import { MAX_NAME_LEN } from './crypto/identity.js';
import { MAX_BIO_CHARS, MAX_TEXT_CHARS } from './crypto/content.js';

/** Snapshot format version: a reader drops any other (the normal path runs). */
export const FIRST_SCREEN_VERSION = 1;
/** Feed items a snapshot holds: a screenful (the list renders 8 cards first, client/components/bw-post-list.ts). */
export const FIRST_SCREEN_ITEMS = 10;
/** Limits of the frame around the items (a snapshot over them is dropped, not cut). */
export const FIRST_SCREEN_MAX = { friends: 1000, lists: 100, replies: 500, reactions: 50, who: 1000 } as const;

// Lengths in UTF-16 units: a character is at most 2, and a stored text is at most its limit in characters.
const Name = v.pipe(v.string(), v.maxLength(MAX_NAME_LEN * 2));
const Text = v.pipe(v.string(), v.maxLength(MAX_TEXT_CHARS * 2));
const Id = v.pipe(v.string(), v.minLength(1), v.maxLength(64), v.regex(/^[A-Za-z0-9_-]+$/, 'must be base64url'));
const Time = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER));
const list = <S extends v.GenericSchema>(item: S, max: number) => v.pipe(v.array(item), v.maxLength(max));

const PersonSchema = v.object({
  key: PeerIdSchema,
  name: Name,
  bio: v.optional(v.pipe(v.string(), v.maxLength(MAX_BIO_CHARS * 2))),
  avatar: v.optional(ImageRefSchema),
  verified: v.boolean(),
  friend: v.boolean(),
  online: v.optional(v.boolean()),
});
const ReactionSchema = v.object({ emoji: v.pipe(v.string(), v.maxLength(16)), count: Time, mine: v.boolean(), who: list(PersonSchema, FIRST_SCREEN_MAX.who) });
const base = {
  id: Id,
  author: PersonSchema,
  ts: Time,
  body: Text,
  edited: v.optional(Time),
  deleted: v.boolean(),
  mine: v.boolean(),
  reactions: list(ReactionSchema, FIRST_SCREEN_MAX.reactions),
};
const Delivery = v.picklist(['direct', 'relay', 'queued', 'delivered']);

/** A FeedItem (client/core/feed-view.ts) as the snapshot keeps it: no object URLs (they die with the page), photos 'loading'. */
export const FirstScreenItemSchema = v.object({
  ...base,
  photos: list(v.object({ ref: PhotoRefSchema, state: v.literal('loading') }), 4),
  via: v.picklist(['self', 'p2p', 'relay']),
  delivery: v.optional(v.record(PeerIdSchema, Delivery)),
  audience: v.optional(v.object({ list: v.optional(Name), to: list(PersonSchema, FIRST_SCREEN_MAX.friends) })),
  replies: list(v.object(base), FIRST_SCREEN_MAX.replies),
  unread: v.boolean(),
  received: Time,
});

/** The snapshot: whose it is, the frame the feed's first render shows (my name, friends, lists, unread) and its first items. */
export const FirstScreenSchema = v.object({
  v: v.literal(FIRST_SCREEN_VERSION),
  me: v.object({ key: PeerIdSchema, name: Name, fingerprint: v.pipe(v.string(), v.maxLength(200)) }),
  profile: v.optional(v.object({ name: Name, bio: v.pipe(v.string(), v.maxLength(MAX_BIO_CHARS * 2)), avatar: v.optional(ImageRefSchema) })),
  friends: list(v.object({ key: PeerIdSchema, name: Name, status: v.picklist(['pending', 'mutual']) }), FIRST_SCREEN_MAX.friends),
  lists: list(v.object({ id: Id, name: Name, members: list(PeerIdSchema, FIRST_SCREEN_MAX.friends) }), FIRST_SCREEN_MAX.lists),
  unread: Time,
  items: list(FirstScreenItemSchema, FIRST_SCREEN_ITEMS),
  /** More items follow the snapshot's (the list shows "Show older posts", not "That's everything"). */
  more: v.boolean(),
});
export type FirstScreen = v.InferOutput<typeof FirstScreenSchema>;
