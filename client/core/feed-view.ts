// Owns the feed's view model: what the client core hands the components for a post, its thread and its reactions (types only).
import type { ImageRef, PhotoRef } from '../../shared/photo-ref.js';
import type { Delivery, Via } from './types.js';

/** A person as the reader knows them. `verified`: the name comes from their signed profile card. */
export interface PersonView {
  key: string;
  name: string;
  bio?: string;
  /** Their avatar's encrypted blob, as their signed profile card names it (the shell fetches it into avatarUrl). */
  avatar?: ImageRef;
  /** Avatar image, once fetched and decrypted (an object URL or data URL the shell made). */
  avatarUrl?: string;
  verified: boolean;
  /** Friend of mine (not just someone whose reply reached me through a friend). */
  friend: boolean;
  online?: boolean;
}

/** A photo as shown: its reference, and URLs once the shell has fetched and decrypted the blobs. */
export interface PhotoView {
  ref: PhotoRef;
  thumbUrl?: string;
  fullUrl?: string;
  state: 'loading' | 'ready' | 'missing' | 'bad';
}

export interface ReactionView {
  emoji: string;
  count: number;
  /** I am one of them. */
  mine: boolean;
  who: PersonView[];
}

/** Fields every item in a thread has. `id` is the post's stable id (base64url), unique across authors and devices. */
interface ItemBase {
  id: string;
  author: PersonView;
  ts: number;
  /** Empty when deleted. */
  body: string;
  /** Time of the latest edit, when edited. */
  edited?: number;
  deleted: boolean;
  mine: boolean;
  reactions: ReactionView[];
}

export type ReplyView = ItemBase;

export interface FeedItem extends ItemBase {
  photos: PhotoView[];
  via: Via;
  /** Mine only: per friend key, how it left. */
  delivery?: Record<string, Delivery>;
  /** Mine only: who it was sealed for (the list's name, if one was chosen, and the friends). */
  audience?: { list?: string; to: PersonView[] };
  /** Oldest first. */
  replies: ReplyView[];
  /** Not yet seen on this device. */
  unread: boolean;
  /** When this device received it (what the read mark counts: markRead(upTo) covers received ≤ upTo). */
  received: number;
}

/** An author-side audience list ("Close friends"); it never leaves the author's devices. */
export interface AudienceList {
  id: string;
  name: string;
  members: string[];
}
