// Owns the client's stored row shapes, shared by every store (Dexie in the browser, SQLite in Node) and the core.

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
  /** While pending: the invite I accepted, to repeat the friend request until the inviter hears it. */
  invite?: { token: Uint8Array; relay: string; expires: number; dropped?: number };
  /** The token (base64url) of my invite that their friend request answered: withdrawn if I remove or block them. */
  answered?: string;
}

export type Via = 'self' | 'p2p' | 'relay';
export type Delivery = 'direct' | 'relay' | 'queued' | 'delivered';
export interface PostRow {
  author: string;
  seq: number;
  ts: number;
  body: string;
  via: Via;
  received: number;
  /** For my own posts: per friend key, how it left. */
  delivery?: Record<string, Delivery>;
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
