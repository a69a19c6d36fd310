// Owns an in-memory ClientStore for core tests: plain maps, rows cloned in and out like a real store would.
import type { ClientStore } from '../../client/core/ports.js';
import { checkIdentityRow } from '../../client/core/identity-row.js';
import type { BlobRow, BlockedRow, FriendRow, IdentityRow, InviteRow, OutboxRow, PostRow } from '../../client/core/types.js';

const clone = <T>(v: T): T => structuredClone(v);

export function memoryStore(): ClientStore {
  let identity: IdentityRow | undefined;
  const friends = new Map<string, FriendRow>();
  const blocked = new Map<string, BlockedRow>();
  const invites = new Map<string, InviteRow>();
  const posts = new Map<string, PostRow>();
  const outbox = new Map<number, OutboxRow>();
  const blobs = new Map<string, BlobRow>();
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
