// Owns the client's IndexedDB schema (Dexie): declared, append-only versions; stored rows are checked on read.
import { Dexie, type EntityTable } from 'dexie';
import type { BlobRow, BlockedRow, FriendRow, IdentityRow, InviteRow, ItemRow, ListRow, MetaRow, OutboxRow, PostRow } from './core/types.js';
import { checkIdentityRow } from './core/identity-row.js';
import { itemFromV1 } from './core/items.js';
import { searchWords } from './core/words.js';

export type { BlockedRow, Delivery, FriendRow, FriendStatus, IdentityRow, InviteRow, ItemRow, ListRow, OutboxRow, PostRow, Via } from './core/types.js';

/** An item as IndexedDB holds it: with its search words, for the multi-entry index (stripped on the way out). */
export type StoredItem = ItemRow & { words: string[] };
export const toStoredItem = (row: ItemRow): StoredItem => ({ ...row, words: row.kind === 'post' ? searchWords(row.text ?? '') : [] });

export type BwDb = Dexie & {
  identity: EntityTable<IdentityRow, 'id'>;
  friends: EntityTable<FriendRow, 'key'>;
  posts: EntityTable<PostRow, 'author'>;
  invites: EntityTable<InviteRow, 'token'>;
  outbox: EntityTable<OutboxRow, 'id'>;
  blocked: EntityTable<BlockedRow, 'key'>;
  blobs: EntityTable<BlobRow, 'id'>;
  items: EntityTable<StoredItem, 'key'>;
  lists: EntityTable<ListRow, 'id'>;
  meta: EntityTable<MetaRow, 'key'>;
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
  // Content v2: items by id, for paging (kind+ts), unread counts (kind+received), threads (parent) and search (words).
  db.version(3)
    .stores({ items: 'key, id, [kind+ts], [kind+received], parent, *words', lists: 'id', meta: 'key' })
    .upgrade(async (tx) => {
      const posts = (await tx.table('posts').toArray()) as PostRow[];
      await tx.table('items').bulkPut(posts.map((p) => toStoredItem(itemFromV1(p))));
    });
  // Image blobs (client/core/blobs.ts). Numbered 4, not 3, so a version 3 from the content format v2 can land beside it
  // in either order; a new table needs no upgrade function (existing databases just gain it, empty).
  db.version(4).stores({ blobs: 'id, waiting' });
  return db;
}

/** Reads my identity, checking the stored row's shape (a corrupt row is a named error, not a crash later). */
export async function loadIdentity(db: BwDb): Promise<IdentityRow | undefined> {
  return checkIdentityRow(await db.identity.get('me'));
}
