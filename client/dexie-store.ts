// Owns the browser's ClientStore: the core's store interface over the Dexie (IndexedDB) schema of client/db.ts.
import { MAX_UNREAD, type ClientStore, type StoreBatch } from './core/ports.js';
import type { ItemRow, PostRow } from './core/types.js';
import { loadIdentity, openDb, toStoredItem, type BwDb, type StoredItem } from './db.js';
import { matchesQuery, searchWords } from './core/words.js';

/** The row without its index-only search words. */
const fromStored = (s: StoredItem | undefined): ItemRow | undefined => {
  if (!s) return undefined;
  const { words: _w, ...row } = s;
  return row;
};
const rows = (xs: StoredItem[]): ItemRow[] => xs.map((x) => fromStored(x)!);

type PostKey = [string, number];

/** Stores opened by openEarly, before anything asked for them: the first openDexieStore takes its own, closes the rest. */
const early = new Map<string, BwDb>();

/**
 * Starts opening `brainwaves:<name>` now (client/early-open.ts: while the rest of the page's code still evaluates), for
 * the openDexieStore of that name that comes next.
 */
export function openEarly(name: string): void {
  if (early.has(name) || !globalThis.indexedDB) return;
  const db = openDb(name);
  early.set(name, db);
  db.open().catch(() => undefined); // a failure is not lost: the store's reads reject with it
}

/** Opens the IndexedDB database `brainwaves:<name>` as a ClientStore. */
export function openDexieStore(name: string): ClientStore {
  const opened = early.get(name);
  for (const [n, other] of early) if (n !== name) other.close();
  early.clear();
  const db = opened ?? openDb(name);
  // Opening (a round trip, more on a big database) starts now, beside the tab lock's wait (client/session.ts), not at
  // the first read after it. A failure is not lost: Dexie rejects every read with it.
  db.open().catch(() => undefined);
  const byAuthor = (author: string) => db.posts.where('author').equals(author);
  /** A StoreBatch's puts, inside the caller's transaction. */
  const putRows = async ({ friends = [], items = [], posts = [] }: StoreBatch): Promise<void> => {
    await Promise.all([db.friends.bulkPut([...friends]), db.items.bulkPut(items.map(toStoredItem)), db.posts.bulkPut([...posts])]);
  };
  return {
    getIdentity: () => loadIdentity(db),
    putIdentity: async (row) => void (await db.identity.put(row)),
    listFriends: () => db.friends.toArray(),
    putFriend: async (row) => void (await db.friends.put(row)),
    setFriendStatus: async (key, status) => void (await db.friends.update(key, { status })),
    deleteFriend: (key) => db.friends.delete(key),
    listBlocked: () => db.blocked.toArray(),
    putBlocked: async (row) => void (await db.blocked.put(row)),
    deleteBlocked: (key) => db.blocked.delete(key),
    listInvites: () => db.invites.toArray(),
    getInvite: (token) => db.invites.get(token),
    putInvite: async (row) => void (await db.invites.put(row)),
    revokeInvite: async (token, at) => void (await db.invites.update(token, { revoked: at })),
    deleteInvite: (token) => db.invites.delete(token),
    putPost: async (row) => void (await db.posts.put(row)),
    postKeys: async () => (await db.posts.toCollection().primaryKeys()) as unknown as PostKey[],
    lastSeq: async (author) => (await byAuthor(author).last())?.seq ?? 0,
    async seqsOf(author, newest) {
      const c = newest === undefined ? byAuthor(author) : byAuthor(author).reverse().limit(newest);
      return ((await c.primaryKeys()) as unknown as PostKey[]).map(([, seq]) => seq);
    },
    postsBy: (author) => byAuthor(author).toArray(),
    recentPosts: (limit) => db.posts.orderBy('ts').reverse().limit(limit).toArray(),
    async editPosts(author, seq, edit) {
      let changed = false;
      const rows = seq === undefined ? byAuthor(author) : db.posts.where('[author+seq]').equals([author, seq]);
      await rows.modify((p: PostRow) => {
        if (edit(p)) changed = true;
      });
      return changed;
    },
    putBatch: (batch) => db.transaction('rw', [db.friends, db.items, db.posts], () => putRows(batch)),
    putBatchWith: (keys, decide) =>
      db.transaction('rw', [db.friends, db.items, db.posts], async () => {
        const batch = decide((await db.items.bulkGet([...keys])).map(fromStored));
        await putRows(batch);
        return batch;
      }),
    getPost: (author, seq) => db.posts.get([author, seq] as unknown as string),
    putItem: async (row) => void (await db.items.put(toStoredItem(row))),
    getItem: async (key) => fromStored(await db.items.get(key)),
    getItems: async (keys) => (await db.items.bulkGet([...keys])).map(fromStored),
    deleteItem: (key) => db.items.delete(key),
    itemsWithId: async (id) => rows(await db.items.where('id').equals(id).filter((i) => i.kind === 'post' || i.kind === 'reply').toArray()),
    itemsByParent: async (parents) => rows(await db.items.where('parent').anyOf(parents).toArray()),
    // No index of its own: every received item would pay for one, for a rare link. Newest first through (kind, ts).
    async itemsByAuthor(author, kinds, limit) {
      const found = await Promise.all(kinds.map((k) => db.items.where('[kind+ts]').between([k, -Infinity], [k, Infinity]).reverse().filter((i) => i.author === author).limit(limit).toArray()));
      return rows(found.flat().sort((a, b) => b.ts - a.ts).slice(0, limit));
    },
    pagePosts: async (before, limit) =>
      rows(await db.items.where('[kind+ts]').between(['post', -Infinity], ['post', before ?? Infinity], true, false).reverse().limit(limit).toArray()),
    async searchPosts(query, limit) {
      const words = searchWords(query);
      if (!words.length) return [];
      // The longest word narrows through the index; the rest are checked on what it found.
      const first = [...words].sort((a, b) => b.length - a.length)[0]!;
      const hits = await db.items.where('words').startsWith(first).distinct().filter((i) => i.kind === 'post' && matchesQuery(i.words, words)).toArray();
      return rows(hits.sort((a, b) => b.ts - a.ts).slice(0, limit));
    },
    countUnread: (me, after) =>
      db.items.where('[kind+received]').between(['post', after], ['post', Infinity], false, true).filter((i) => i.author !== me && !i.deleted).limit(MAX_UNREAD).count(),
    listLists: () => db.lists.toArray(),
    putList: async (row) => void (await db.lists.put(row)),
    deleteList: (id) => db.lists.delete(id),
    getMeta: async (key) => (await db.meta.get(key))?.value,
    putMeta: async (key, value) => void (await db.meta.put({ key, value })),
    listOutbox: () => db.outbox.toArray(),
    addOutbox: async (row) => void (await db.outbox.add(row)),
    deleteOutbox: (id) => db.outbox.delete(id),
    deleteOutboxTo: async (key) => void (await db.outbox.where('to').equals(key).delete()),
    putBlob: async (row) => void (await db.blobs.put(row)),
    getBlob: (id) => db.blobs.get(id),
    waitingBlobs: () => db.blobs.where('waiting').equals(1).toArray(),
    deleteBlob: (id) => db.blobs.delete(id),
    close: () => db.close(),
  };
}
