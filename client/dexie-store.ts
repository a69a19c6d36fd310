// Owns the browser's ClientStore: the core's store interface over the Dexie (IndexedDB) schema of client/db.ts.
import type { ClientStore } from './core/ports.js';
import type { PostRow } from './core/types.js';
import { loadIdentity, openDb } from './db.js';

type PostKey = [string, number];

/** What the page's feed reads beyond the first page: older pages by the `ts` index, and a text search. */
export interface FeedPages {
  /** Posts at or before `ts`, newest first (the caller drops those it already holds at exactly `ts`). */
  postsBefore(ts: number, limit: number): Promise<PostRow[]>;
  /** Posts whose text contains `text` (any case), newest first. */
  searchPosts(text: string, limit: number): Promise<PostRow[]>;
}

/** Opens the IndexedDB database `brainwaves:<name>` as a ClientStore. */
export function openDexieStore(name: string): ClientStore & FeedPages {
  const db = openDb(name);
  const byAuthor = (author: string) => db.posts.where('author').equals(author);
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
    postsBefore: (ts, limit) => db.posts.where('ts').belowOrEqual(ts).reverse().limit(limit).toArray(),
    searchPosts(text, limit) {
      const needle = text.toLocaleLowerCase();
      return db.posts.orderBy('ts').reverse().filter((p) => p.body.toLocaleLowerCase().includes(needle)).limit(limit).toArray();
    },
    async editPosts(author, seq, edit) {
      let changed = false;
      const rows = seq === undefined ? byAuthor(author) : db.posts.where('[author+seq]').equals([author, seq]);
      await rows.modify((p: PostRow) => {
        if (edit(p)) changed = true;
      });
      return changed;
    },
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
