// Owns the client's stored row shapes, shared by every store (Dexie in the browser, SQLite in Node) and the core.
import type { ErrorCode } from '../../shared/errors.js';
import type { ImageRef, PhotoRef } from '../../shared/photo-ref.js';

export interface IdentityRow {
  id: 'me';
  name: string;
  sigSecret: Uint8Array;
  sigPub: Uint8Array;
  dhSecret: Uint8Array;
  dhPub: Uint8Array;
  created: number;
  /** Set when restored from a backup: my next post is numbered at least this (see restoredSeqFloor). */
  seqFloor?: number;
  /**
   * On a linked device: the identity this device speaks for (its public keys; its secret stays on the primary). The
   * keys above are then this device's own, certified in that identity's device list. Absent on the primary.
   */
  identity?: { sigPub: Uint8Array; dhPub: Uint8Array };
}

export type FriendStatus = 'pending' | 'mutual';
export interface FriendRow {
  key: string;
  name: string;
  sigPub: Uint8Array;
  dhPub: Uint8Array;
  /** PairKeys.wrap, derived once at befriending. */
  wrapKey: Uint8Array;
  /** PairKeys.mailboxOut (base64url), derived once: what I show the relay to leave posts in their mailbox. */
  mailboxOut?: string;
  /** mailboxAllowTag of their capability for mine, derived once: my allow-list entry for them. */
  mailboxAllow?: string;
  status: FriendStatus;
  added: number;
  /** The last stream number I used for them (envelope v2); unset until I first send them a v2 envelope. */
  streamOut?: number;
  /** While pending: the invite I accepted, to repeat the friend request until the inviter hears it. */
  invite?: { token: Uint8Array; relay: string; expires: number; dropped?: number };
  /** The token (base64url) of my invite that their friend request answered: withdrawn if I remove or block them. */
  answered?: string;
  /** The version of my device list last sent to them (client/core/devices.ts). */
  devicesSent?: number;
  /**
   * Set on a device row (client/core/device-rows.ts): this key is one of that person's other devices, from their
   * accepted device list (mine too: my own other devices). It is sealed to, watched and allowed like a friend, with
   * pairwise keys and a stream of its own; a UI shows only person rows.
   */
  person?: string;
}

export type Via = 'self' | 'p2p' | 'relay';
export type Delivery = 'direct' | 'relay' | 'queued' | 'delivered';
/** What a stream row carried (envelope v2); absent on v1 posts. 'refused': it opened but its content was refused. */
export type SendKind = 'post' | 'reply' | 'reaction' | 'edit' | 'delete' | 'profile' | 'devices' | 'sync' | 'forward' | 'refused';

/**
 * One envelope in an author's stream to me (a friend's, keyed by their stream number to me), or one send of mine (keyed
 * by my own counter). What catch-up, receipts and replay checks count. The content itself lives in ItemRow.
 */
export interface PostRow {
  author: string;
  seq: number;
  ts: number;
  /** A post's text (for the plain post list); '' for other kinds and once deleted. */
  body: string;
  via: Via;
  received: number;
  /** For my own posts: per friend key, how it left. */
  delivery?: Record<string, Delivery>;
  kind?: SendKind;
  /** The ItemRow key of the main item it carried. */
  item?: string;
  /** Mine (v2): the sealed content bundle, base64url, to seal again for a friend's catch-up. */
  content?: string;
  /** Mine (v2): per friend key, the stream number it had in what I send them. */
  streams?: Record<string, number>;
  /** Why its content was refused (kind 'refused'). */
  refused?: ErrorCode;
}

/**
 * One piece of content as the feed needs it: a post or reply (its latest edit or delete applied), a person's current
 * reaction to a post, a person's newest profile card.
 */
export interface ItemRow {
  /**
   * `author:id` for posts and replies; `author:reaction:<post key>` for a reaction; `author:profile` for a card;
   * `author:devices` for a person's newest device list.
   */
  key: string;
  author: string;
  id: string;
  kind: 'post' | 'reply' | 'reaction' | 'profile' | 'devices';
  /** When written (a profile's version). */
  ts: number;
  /** Reply and reaction: the post it answers, as its `author:id`. */
  parent?: string;
  text?: string;
  photos?: PhotoRef[];
  /** null: reaction withdrawn. */
  emoji?: string | null;
  name?: string;
  bio?: string;
  avatar?: ImageRef;
  edited?: number;
  deleted?: number;
  /** The signed item (base64url), kept to pass a reply or reaction on, or a card with it. Dropped on delete. */
  signed?: string;
  via: Via;
  received: number;
  /** The PostRow seq that carried it (mine: my counter; a friend's: their stream number to me). */
  seq?: number;
  /** Mine: who it was sealed for (a list's name if one was chosen). */
  audience?: { list?: string; to: string[] };
  /** Devices: the signed device list (shared/crypto/devices.ts), base64url. */
  list?: string;
  /** Devices: the devices this list added to the one accepted before it ("Ann added a device"); absent on the first. */
  addedDevices?: { name: string; added: number }[];
}

/** An author-side audience list; it never leaves my devices. */
export interface ListRow {
  id: string;
  name: string;
  members: string[];
}

export interface MetaRow {
  key: string;
  value: number;
}

export interface InviteRow {
  token: string;
  expires: number;
  /** When I removed the friend who had answered it: a later friend request answering it is refused. */
  revoked?: number;
}

export interface BlockedRow {
  key: string;
  at: number;
}

/** An encrypted image blob held on this device (shared/crypto/blob.ts): a friend's, fetched, or one of mine. */
export interface BlobRow {
  /** base64url SHA-256 of `bytes`, checked before it is stored. */
  id: string;
  bytes: Uint8Array;
  stored: number;
  /** Mine: the friends it is for (only they may ask for it over a channel). */
  for?: string[];
  /** Mine: friends it has not left for yet (no channel open and the relay refused or was away). */
  pending?: string[];
  /** 1 while `pending` is not empty: the indexed flag a retry finds them by. */
  waiting?: 1;
}

export interface OutboxRow {
  id?: number;
  to: string;
  seq: number;
  env: string;
  created: number;
}
