// Owns the client's IndexedDB schema (Dexie): declared, append-only versions; stored rows are checked on read.
import { Dexie, type EntityTable } from 'dexie';
import * as v from 'valibot';
import { parse } from '../shared/validate.js';

export interface IdentityRow {
  id: 'me';
  name: string;
  sigSecret: Uint8Array;
  sigPub: Uint8Array;
  dhSecret: Uint8Array;
  dhPub: Uint8Array;
  created: number;
  /** Set when restored from a backup: my next post is numbered at least this (see Session.importIdentity). */
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
  invite?: { token: Uint8Array; relay: string; expires: number };
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

export interface OutboxRow {
  id?: number;
  to: string;
  seq: number;
  env: string;
  created: number;
}

export type BwDb = Dexie & {
  identity: EntityTable<IdentityRow, 'id'>;
  friends: EntityTable<FriendRow, 'key'>;
  posts: EntityTable<PostRow, 'author'>;
  invites: EntityTable<InviteRow, 'token'>;
  outbox: EntityTable<OutboxRow, 'id'>;
  blocked: EntityTable<BlockedRow, 'key'>;
};

/** Opens (or creates) the store. The name is prefixed so a host page's own databases never collide. */
export function openDb(name: string): BwDb {
  const db = new Dexie(`brainwaves:${name}`) as BwDb;
  // Append-only: never edit a shipped version, add version(2) with an upgrade instead.
  db.version(1).stores({
    identity: 'id',
    friends: 'key',
    posts: '[author+seq], ts, author',
    invites: 'token',
    outbox: '++id, to',
  });
  db.version(2).stores({ blocked: 'key' });
  return db;
}

const bytes = (len: number) => v.pipe(v.instance(Uint8Array), v.length(len));
const IdentityRowSchema = v.object({
  id: v.literal('me'),
  name: v.string(),
  sigSecret: bytes(32),
  sigPub: bytes(32),
  dhSecret: bytes(32),
  dhPub: bytes(32),
  created: v.number(),
  seqFloor: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(Number.MAX_SAFE_INTEGER))),
});

/** Reads my identity, checking the stored row's shape (a corrupt row is a named error, not a crash later). */
export async function loadIdentity(db: BwDb): Promise<IdentityRow | undefined> {
  const row = await db.identity.get('me');
  return row && (parse(IdentityRowSchema, row, 'stored identity') as IdentityRow);
}
