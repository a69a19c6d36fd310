// Owns the interfaces through which the client core reaches the outside: store, relay connection, mesh, clock, log.
import type { Identity } from '../../shared/crypto/identity.js';
import type { ClientToServer, IceServer } from '../../shared/protocol.js';
import type { BlobRow, BlockedRow, FriendRow, FriendStatus, IdentityRow, InviteRow, ItemRow, ListRow, OutboxRow, PostRow } from './types.js';

/**
 * Everything the client keeps: identity, friends, blocked keys, invites, posts and the outbox. Async so IndexedDB
 * fits; a synchronous store (SQLite) answers with resolved promises. Rows go in and come out as plain objects.
 */
export interface ClientStore {
  /** My identity, checked on read (checkIdentityRow); undefined before one is created. */
  getIdentity(): Promise<IdentityRow | undefined>;
  putIdentity(row: IdentityRow): Promise<void>;

  listFriends(): Promise<FriendRow[]>;
  putFriend(row: FriendRow): Promise<void>;
  setFriendStatus(key: string, status: FriendStatus): Promise<void>;
  deleteFriend(key: string): Promise<void>;

  listBlocked(): Promise<BlockedRow[]>;
  putBlocked(row: BlockedRow): Promise<void>;
  deleteBlocked(key: string): Promise<void>;

  listInvites(): Promise<InviteRow[]>;
  getInvite(token: string): Promise<InviteRow | undefined>;
  putInvite(row: InviteRow): Promise<void>;
  /** Marks an invite withdrawn at `at`; nothing if there is no such invite. */
  revokeInvite(token: string, at: number): Promise<void>;
  deleteInvite(token: string): Promise<void>;

  /** Inserts or replaces the post (author, seq). */
  putPost(row: PostRow): Promise<void>;
  /** Every (author, seq) held. */
  postKeys(): Promise<[string, number][]>;
  /** The author's highest seq held, 0 if none. */
  lastSeq(author: string): Promise<number>;
  /** The author's seqs held, ascending; with `newest`, only that many of the highest, descending. */
  seqsOf(author: string, newest?: number): Promise<number[]>;
  /** The author's posts, ascending by seq. */
  postsBy(author: string): Promise<PostRow[]>;
  /** The newest posts by ts, newest first. */
  recentPosts(limit: number): Promise<PostRow[]>;
  /**
   * Runs `edit` on the author's posts (only `seq` when given) and stores those it reports changed (returns true).
   * Resolves whether any changed.
   */
  editPosts(author: string, seq: number | undefined, edit: (p: PostRow) => boolean): Promise<boolean>;

  /**
   * Puts friend rows, items and stream rows in one transaction, all or none: what a send or a received envelope
   * writes costs one round trip to IndexedDB, not one per row.
   */
  putBatch(batch: StoreBatch): Promise<void>;
  /**
   * Reads the items with these keys (undefined where none) and writes the batch `decide` makes of them, in one
   * transaction: a received envelope's known items, then its rows. `decide` is synchronous; resolves with its batch.
   */
  putBatchWith(keys: readonly string[], decide: (known: (ItemRow | undefined)[]) => StoreBatch): Promise<StoreBatch>;

  /** The stream row (author, seq), if held. */
  getPost(author: string, seq: number): Promise<PostRow | undefined>;

  /** Inserts or replaces an item by its key. */
  putItem(row: ItemRow): Promise<void>;
  getItem(key: string): Promise<ItemRow | undefined>;
  /** The items with these keys, in the same order (undefined where none): one batch, not a round trip each. */
  getItems(keys: readonly string[]): Promise<(ItemRow | undefined)[]>;
  deleteItem(key: string): Promise<void>;
  /** Posts and replies with this id (one, unless someone reused another's id). */
  itemsWithId(id: string): Promise<ItemRow[]>;
  /** Replies and reactions whose parent is one of `parents`, in no particular order. */
  itemsByParent(parents: string[]): Promise<ItemRow[]>;
  /** Posts (kind 'post') older than `before` (all if undefined), newest first: indexed on (kind, ts). */
  pagePosts(before: number | undefined, limit: number): Promise<ItemRow[]>;
  /** One author's items of `kinds`, newest first (what linking a device of mine sends it). */
  itemsByAuthor(author: string, kinds: readonly ItemRow['kind'][], limit: number): Promise<ItemRow[]>;
  /** Posts whose text contains every word of `query` (case-insensitive), newest first. */
  searchPosts(query: string, limit: number): Promise<ItemRow[]>;
  /** Posts not by `me`, not deleted, received after `after`; counted up to MAX_UNREAD (a UI shows "999+"). */
  countUnread(me: string, after: number): Promise<number>;

  /** My audience lists. */
  listLists(): Promise<ListRow[]>;
  putList(row: ListRow): Promise<void>;
  deleteList(id: string): Promise<void>;

  /** A named number kept on this device (e.g. 'readUpTo'); undefined if never set. */
  getMeta(key: string): Promise<number | undefined>;
  putMeta(key: string, value: number): Promise<void>;

  /** Outbox rows in insertion order. */
  listOutbox(): Promise<OutboxRow[]>;
  addOutbox(row: Omit<OutboxRow, 'id'>): Promise<void>;
  deleteOutbox(id: number): Promise<void>;
  deleteOutboxTo(key: string): Promise<void>;

  /** Inserts or replaces an image blob (client/core/blobs.ts). */
  putBlob(row: BlobRow): Promise<void>;
  getBlob(id: string): Promise<BlobRow | undefined>;
  /** My blobs that still wait to leave for someone (`waiting` set). */
  waitingBlobs(): Promise<BlobRow[]>;
  deleteBlob(id: string): Promise<void>;

  close(): void;
}

/** Rows ClientStore.putBatch writes together (each inserted or replaced by its key). */
export interface StoreBatch {
  friends?: readonly FriendRow[];
  items?: readonly ItemRow[];
  posts?: readonly PostRow[];
}

/** Where unread counting stops: it runs on every state change, so it must stay cheap with 100,000 posts unread. */
export const MAX_UNREAD = 1000;

export type RelayStatus = 'connecting' | 'connected' | 'offline';

export interface RelayEvents {
  status(status: RelayStatus, detail?: string): void;
  authenticated(iceServers: IceServer[]): void;
  signal(from: string, data: unknown): void;
  presence(key: string, online: boolean): void;
  mailbox(): void;
}

/** Typed calls to the relay; the success half of each ack, or a thrown BwError. */
export interface RelayConnection {
  readonly status: RelayStatus;
  call<E extends keyof ClientToServer>(event: E, msg: Parameters<ClientToServer[E]>[0]): Promise<Extract<Parameters<Parameters<ClientToServer[E]>[1]>[0], { ok: true }>>;
  close(): void;
}

/** Opens the relay connection for an identity (client/relay-connection.ts, or a stand-in). */
export type ConnectRelay = (me: Pick<Identity, 'sigPub' | 'sigSecret'>, on: RelayEvents) => RelayConnection;

export interface MeshEvents {
  /** Sends a signal to a friend; `lost()` says it could not be sent (the attempt is then replaced). */
  signal(to: string, signal: unknown, lost: () => void): void;
  open(key: string): void;
  close(key: string): void;
  message(from: string, text: string): void;
}

/** Direct data channels to friends (client/mesh.ts); absent in relay-only mode. */
export interface Mesh {
  /** Starts a channel to a friend now online, if this side is the initiator; the other side waits. */
  connect(key: string): void;
  /** Feeds a signal relayed from a friend. */
  signal(from: string, signal: unknown): void;
  isOpen(key: string): boolean;
  openCount(): number;
  send(key: string, text: string): boolean;
  drop(key: string): void;
  setIceServers(servers: IceServer[]): void;
  close(): void;
}

export type CreateMesh = (me: string, on: MeshEvents) => Mesh;

/** Exactly one side initiates, by key order, so two friends who see each other at once never both offer. */
export const isInitiator = (me: string, them: string): boolean => me < them;

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock = (now: () => number = Date.now): Clock => ({
  now,
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
});

/** Where rejected messages and retries are reported; console by default, quiet in the CLI unless asked. */
export interface Logger {
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}
