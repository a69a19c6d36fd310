// Owns an in-memory ClientStore for core tests: plain maps, rows cloned in and out like a real store would.
import { MAX_UNREAD, type ClientStore } from '../../client/core/ports.js';
import { checkIdentityRow } from '../../client/core/identity-row.js';
import type { BlobRow, BlockedRow, FriendRow, IdentityRow, InviteRow, ItemRow, ListRow, OutboxRow, PostRow } from '../../client/core/types.js';
import { matchesQuery, searchWords } from '../../client/core/words.js';

const clone = <T>(v: T): T => structuredClone(v);

export function memoryStore(): ClientStore {
  let identity: IdentityRow | undefined;
  const friends = new Map<string, FriendRow>();
  const blocked = new Map<string, BlockedRow>();
  const invites = new Map<string, InviteRow>();
  const posts = new Map<string, PostRow>();
  const outbox = new Map<number, OutboxRow>();
  const blobs = new Map<string, BlobRow>();
  const items = new Map<string, ItemRow>();
  const lists = new Map<string, ListRow>();
  const meta = new Map<string, number>();
  const postsNewest = () => [...items.values()].filter((i) => i.kind === 'post').sort((a, b) => b.ts - a.ts);
  let nextId = 1;
  const pk = (author: string, seq: number) => `${author}\u0000${seq}`;
  const by = (author: string) => [...posts.values()].filter((p) => p.author === author).sort((a, b) => a.seq - b.seq);
  return {
    getIdentity: async () => checkIdentityRow(clone(identity)),
    putIdentity: async (row) => void (identity = clone(row)),
    listFriends: async () => [...friends.values()].map(clone),
    putFriend: async (row) => void friends.set(row.key, clone(row)),
    setFriendStatus: async (key, status) => void (friends.get(key) && (friends.get(key)!.status = status)),
    deleteFriend: async (key) => void friends.delete(key),
    listBlocked: async () => [...blocked.values()].map(clone),
    putBlocked: async (row) => void blocked.set(row.key, clone(row)),
    deleteBlocked: async (key) => void blocked.delete(key),
    listInvites: async () => [...invites.values()].map(clone),
    getInvite: async (token) => clone(invites.get(token)),
    putInvite: async (row) => void invites.set(row.token, clone(row)),
    revokeInvite: async (token, at) => void (invites.get(token) && (invites.get(token)!.revoked = at)),
    deleteInvite: async (token) => void invites.delete(token),
    putPost: async (row) => void posts.set(pk(row.author, row.seq), clone(row)),
    postKeys: async () => [...posts.values()].map((p) => [p.author, p.seq] as [string, number]),
    lastSeq: async (author) => by(author).at(-1)?.seq ?? 0,
    seqsOf: async (author, newest) => {
      const seqs = by(author).map((p) => p.seq);
      return newest === undefined ? seqs : seqs.reverse().slice(0, newest);
    },
    postsBy: async (author) => by(author).map(clone),
    recentPosts: async (limit) => [...posts.values()].sort((a, b) => b.ts - a.ts).slice(0, limit).map(clone),
    async editPosts(author, seq, edit) {
      let changed = false;
      for (const p of by(author)) {
        if (seq !== undefined && p.seq !== seq) continue;
        const copy = clone(p);
        if (edit(copy)) {
          posts.set(pk(author, p.seq), copy);
          changed = true;
        }
      }
      return changed;
    },
    getPost: async (author, seq) => clone(posts.get(pk(author, seq))),
    async putBatch(b) {
      for (const f of b.friends ?? []) friends.set(f.key, clone(f));
      for (const i of b.items ?? []) items.set(i.key, clone(i));
      for (const p of b.posts ?? []) posts.set(pk(p.author, p.seq), clone(p));
    },
    async putBatchWith(keys, decide) {
      const b = decide(keys.map((key) => clone(items.get(key))));
      await this.putBatch(b);
      return b;
    },
    putItem: async (row) => void items.set(row.key, clone(row)),
    getItem: async (key) => clone(items.get(key)),
    getItems: async (keys) => keys.map((key) => clone(items.get(key))),
    deleteItem: async (key) => void items.delete(key),
    itemsWithId: async (id) => [...items.values()].filter((i) => i.id === id && (i.kind === 'post' || i.kind === 'reply')).map(clone),
    itemsByParent: async (parents) => [...items.values()].filter((i) => i.parent !== undefined && parents.includes(i.parent)).map(clone),
    itemsByAuthor: async (author, kinds, limit) => [...items.values()].filter((i) => i.author === author && kinds.includes(i.kind)).sort((a, b) => b.ts - a.ts).slice(0, limit).map(clone),
    pagePosts: async (before, limit) => postsNewest().filter((p) => before === undefined || p.ts < before).slice(0, limit).map(clone),
    searchPosts: async (query, limit) => {
      const q = searchWords(query);
      return postsNewest().filter((p) => q.length && matchesQuery(searchWords(p.text ?? ''), q)).slice(0, limit).map(clone);
    },
    countUnread: async (me, after) => Math.min(MAX_UNREAD, [...items.values()].filter((i) => i.kind === 'post' && i.author !== me && !i.deleted && i.received > after).length),
    listLists: async () => [...lists.values()].map(clone),
    putList: async (row) => void lists.set(row.id, clone(row)),
    deleteList: async (id) => void lists.delete(id),
    getMeta: async (key) => meta.get(key),
    putMeta: async (key, value) => void meta.set(key, value),
    listOutbox: async () => [...outbox.values()].map(clone),
    addOutbox: async (row) => void outbox.set(nextId, { ...clone(row), id: nextId++ }),
    deleteOutbox: async (id) => void outbox.delete(id),
    deleteOutboxTo: async (key) => {
      for (const [id, r] of outbox) if (r.to === key) outbox.delete(id);
    },
    putBlob: async (row) => void blobs.set(row.id, clone(row)),
    getBlob: async (id) => clone(blobs.get(id)),
    waitingBlobs: async () => [...blobs.values()].filter((b) => b.waiting === 1).map(clone),
    deleteBlob: async (id) => void blobs.delete(id),
    close: () => {},
  };
}
