// Owns the terminal client's ClientStore: one SQLite file (better-sqlite3), secret keys kept as a passphrase backup.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fromB64u, toB64u } from '../shared/bytes.js';
import { BwError } from '../shared/errors.js';
import { exportBackup, importBackup, type BackupOptions } from '../shared/crypto/backup.js';
import { peerId } from '../shared/crypto/identity.js';
import { checkIdentityRow } from '../client/core/identity-row.js';
import { MAX_UNREAD, type ClientStore, type StoreBatch } from '../client/core/ports.js';
import type { BlobRow, IdentityRow, ItemRow, ListRow, OutboxRow, PostRow } from '../client/core/types.js';
import { itemFromV1 } from '../client/core/items.js';
import { searchWords } from '../client/core/words.js';

export interface SqliteStoreOptions {
  /** Directory holding client.db; ':memory:' for a throwaway store. */
  dataDir: string;
  /**
   * Asked only when the secret keys are read or written. They are stored as a key backup (shared/crypto/backup.ts,
   * scrypt + XChaCha20-Poly1305), so the file alone never gives them away and `bw backup export` is that same text.
   */
  passphrase: () => string | Promise<string>;
  backup?: BackupOptions;
}

export type SqliteStore = ClientStore & {
  /** My public key and name if an identity exists, without asking for the passphrase. */
  peekIdentity(): { key: string; name: string } | undefined;
  /** Many items in one transaction (imports, benchmarks). */
  putItems(rows: readonly ItemRow[]): Promise<void>;
};

/** JSON with Uint8Arrays as {"$b": base64url}: rows keep their bytes and nested objects in one column. */
const enc = (v: unknown): string => JSON.stringify(v, (_k, x) => (x instanceof Uint8Array ? { $b: toB64u(x) } : x));
const dec = <T>(s: string): T => JSON.parse(s, (_k, x) => (x && typeof x === 'object' && typeof x.$b === 'string' ? fromB64u(x.$b, 'stored bytes') : x)) as T;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS identity (id TEXT PRIMARY KEY, key TEXT NOT NULL, name TEXT NOT NULL, backup TEXT NOT NULL, created INTEGER NOT NULL, seq_floor INTEGER);
  CREATE TABLE IF NOT EXISTS friends (key TEXT PRIMARY KEY, row TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS blocked (key TEXT PRIMARY KEY, at INTEGER NOT NULL);
  CREATE TABLE IF NOT EXISTS invites (token TEXT PRIMARY KEY, expires INTEGER NOT NULL, revoked INTEGER);
  CREATE TABLE IF NOT EXISTS posts (author TEXT NOT NULL, seq INTEGER NOT NULL, ts INTEGER NOT NULL, row TEXT NOT NULL, PRIMARY KEY (author, seq));
  CREATE INDEX IF NOT EXISTS posts_ts ON posts (ts);
  CREATE TABLE IF NOT EXISTS outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, recipient TEXT NOT NULL, seq INTEGER NOT NULL, env TEXT NOT NULL, created INTEGER NOT NULL);
  CREATE TABLE IF NOT EXISTS blobs (id TEXT PRIMARY KEY, data BLOB NOT NULL, stored INTEGER NOT NULL, meta TEXT NOT NULL, waiting INTEGER);
  CREATE INDEX IF NOT EXISTS blobs_waiting ON blobs (waiting) WHERE waiting IS NOT NULL;
`;

/**
 * Version 2 (content v2): items (posts, replies, reactions, profiles) indexed for paging, threads and unread counts,
 * with their search words; audience lists; small named numbers. Stored v1 posts become items.
 */
const SCHEMA_2 = `
  CREATE TABLE IF NOT EXISTS items (key TEXT PRIMARY KEY, id TEXT NOT NULL, kind TEXT NOT NULL, author TEXT NOT NULL, ts INTEGER NOT NULL, received INTEGER NOT NULL, parent TEXT, words TEXT NOT NULL, deleted INTEGER, row TEXT NOT NULL);
  CREATE INDEX IF NOT EXISTS items_id ON items (id);
  CREATE INDEX IF NOT EXISTS items_kind_ts ON items (kind, ts);
  CREATE INDEX IF NOT EXISTS items_kind_received ON items (kind, received);
  CREATE INDEX IF NOT EXISTS items_parent ON items (parent);
  CREATE INDEX IF NOT EXISTS items_author_ts ON items (author, ts);
  CREATE TABLE IF NOT EXISTS lists (id TEXT PRIMARY KEY, row TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
`;
/** Words as one string, space-delimited on both sides, so `LIKE '% word%'` finds a word by its start. */
const wordsColumn = (text: string | undefined): string => ` ${searchWords(text ?? '').join(' ')} `;
/** LIKE pattern for a word start, with LIKE's wildcards escaped. */
const likeWord = (w: string): string => `% ${w.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** How long a second bw waits for the first to let go of the data dir before it is refused. */
const LOCK_WAIT_MS = 2000;

/**
 * Holds the file's lock for as long as this process has it open (SQLite's exclusive locking mode; the OS lets go
 * if the process dies). Two processes on one data dir would each number posts and streams from their own memory,
 * and friends would refuse the second one's as replays; so a second bw is refused with 'busy' instead.
 */
function holdAlone(db: Database.Database, dataDir: string): void {
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE; COMMIT');
  } catch (e) {
    db.close();
    if ((e as { code?: string }).code !== 'SQLITE_BUSY') throw e;
    throw new BwError('busy', `another bw (bw feed --follow?) is using ${dataDir}`);
  }
}

export function openSqliteStore(opts: SqliteStoreOptions): SqliteStore {
  let path = ':memory:';
  if (opts.dataDir !== ':memory:') {
    mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
    path = join(opts.dataDir, 'client.db');
  }
  const db = new Database(path, { timeout: LOCK_WAIT_MS });
  if (path !== ':memory:') holdAlone(db, opts.dataDir);
  db.pragma('journal_mode = WAL');
  const version = db.pragma('user_version', { simple: true }) as number;
  db.exec(SCHEMA);
  db.exec(SCHEMA_2);
  // A linked device's identity (IdentityRow.identity), as JSON: a column added after the table was first made.
  if (!(db.pragma('table_info(identity)') as { name: string }[]).some((c) => c.name === 'linked')) db.exec('ALTER TABLE identity ADD COLUMN linked TEXT');
  const insertItem = db.prepare('INSERT OR REPLACE INTO items (key, id, kind, author, ts, received, parent, words, deleted, row) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
  const putItem = (r: ItemRow) => insertItem.run(r.key, r.id, r.kind, r.author, r.ts, r.received, r.parent ?? null, wordsColumn(r.kind === 'post' ? r.text : ''), r.deleted ?? null, enc(r));
  if (version < 2) {
    // Only v1 rows (no kind), and never over an item already there: safe to run again, whatever set the version back.
    const has = db.prepare('SELECT 1 FROM items WHERE key = ?');
    db.transaction(() => {
      for (const r of db.prepare('SELECT row FROM posts').all() as { row: string }[]) {
        const p = dec<PostRow>(r.row);
        if (p.kind) continue;
        const item = itemFromV1(p);
        if (!has.get(item.key)) putItem(item);
      }
      db.pragma('user_version = 2');
    })();
  }
  const q = <P extends unknown[] = unknown[]>(sql: string) => {
    const s = db.prepare(sql);
    return { all: (...p: P) => s.all(...p) as any[], get: (...p: P) => s.get(...p) as any, run: (...p: P) => s.run(...p) };
  };
  /** A StoreBatch's puts, inside the caller's transaction. */
  const putRows = ({ friends = [], items = [], posts = [] }: StoreBatch): void => {
    for (const f of friends) ps.putFriend.run(f.key, enc(f));
    for (const i of items) putItem(i);
    for (const p of posts) ps.putPost.run(p.author, p.seq, p.ts, enc(p));
  };
  const ps = {
    identity: q('SELECT * FROM identity WHERE id = ?'),
    putIdentity: q('INSERT OR REPLACE INTO identity (id, key, name, backup, created, seq_floor, linked) VALUES (?, ?, ?, ?, ?, ?, ?)'),
    friends: q('SELECT row FROM friends ORDER BY rowid'),
    putFriend: q('INSERT OR REPLACE INTO friends (key, row) VALUES (?, ?)'),
    friend: q('SELECT row FROM friends WHERE key = ?'),
    delFriend: q('DELETE FROM friends WHERE key = ?'),
    blocked: q('SELECT key, at FROM blocked'),
    putBlocked: q('INSERT OR REPLACE INTO blocked (key, at) VALUES (?, ?)'),
    delBlocked: q('DELETE FROM blocked WHERE key = ?'),
    invites: q('SELECT token, expires, revoked FROM invites'),
    invite: q('SELECT token, expires, revoked FROM invites WHERE token = ?'),
    putInvite: q('INSERT OR REPLACE INTO invites (token, expires, revoked) VALUES (?, ?, ?)'),
    revoke: q('UPDATE invites SET revoked = ? WHERE token = ?'),
    delInvite: q('DELETE FROM invites WHERE token = ?'),
    putPost: q('INSERT OR REPLACE INTO posts (author, seq, ts, row) VALUES (?, ?, ?, ?)'),
    postKeys: q('SELECT author, seq FROM posts'),
    lastSeq: q('SELECT MAX(seq) AS seq FROM posts WHERE author = ?'),
    seqs: q('SELECT seq FROM posts WHERE author = ? ORDER BY seq'),
    newestSeqs: q('SELECT seq FROM posts WHERE author = ? ORDER BY seq DESC LIMIT ?'),
    postsBy: q('SELECT row FROM posts WHERE author = ? ORDER BY seq'),
    post: q('SELECT row FROM posts WHERE author = ? AND seq = ?'),
    recent: q('SELECT row FROM posts ORDER BY ts DESC, author, seq DESC LIMIT ?'),
    item: q('SELECT row FROM items WHERE key = ?'),
    delItem: q('DELETE FROM items WHERE key = ?'),
    withId: q("SELECT row FROM items WHERE id = ? AND kind IN ('post', 'reply')"),
    pageAll: q("SELECT row FROM items WHERE kind = 'post' ORDER BY ts DESC LIMIT ?"),
    pageBefore: q("SELECT row FROM items WHERE kind = 'post' AND ts < ? ORDER BY ts DESC LIMIT ?"),
    unread: q(`SELECT COUNT(*) AS n FROM (SELECT 1 FROM items WHERE kind = 'post' AND received > ? AND author != ? AND deleted IS NULL LIMIT ${MAX_UNREAD})`),
    lists: q('SELECT row FROM lists ORDER BY rowid'),
    putList: q('INSERT OR REPLACE INTO lists (id, row) VALUES (?, ?)'),
    delList: q('DELETE FROM lists WHERE id = ?'),
    meta: q('SELECT value FROM meta WHERE key = ?'),
    putMeta: q('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)'),
    outbox: q('SELECT id, recipient AS "to", seq, env, created FROM outbox ORDER BY id'),
    addOutbox: q('INSERT INTO outbox (recipient, seq, env, created) VALUES (?, ?, ?, ?)'),
    delOutbox: q('DELETE FROM outbox WHERE id = ?'),
    delOutboxTo: q('DELETE FROM outbox WHERE recipient = ?'),
    putBlob: q('INSERT OR REPLACE INTO blobs (id, data, stored, meta, waiting) VALUES (?, ?, ?, ?, ?)'),
    blob: q('SELECT * FROM blobs WHERE id = ?'),
    waitingBlobs: q('SELECT * FROM blobs WHERE waiting = 1'),
    delBlob: q('DELETE FROM blobs WHERE id = ?'),
  };
  /** A blob row from its columns: bytes in `data`, the small fields (for, pending) as JSON in `meta`. */
  const blobRow = (r: { id: string; data: Buffer; stored: number; meta: string; waiting: number | null }): BlobRow =>
    ({ id: r.id, bytes: new Uint8Array(r.data), stored: r.stored, ...JSON.parse(r.meta), ...(r.waiting === 1 && { waiting: 1 }) });
  const optional = <T extends object>(r: T): T => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== null)) as T;

  return {
    peekIdentity() {
      const r = ps.identity.get('me');
      return r && { key: r.key, name: r.name };
    },
    async getIdentity() {
      const r = ps.identity.get('me');
      if (!r) return undefined;
      const id = importBackup(r.backup, await opts.passphrase());
      return checkIdentityRow({ id: 'me', ...id, created: r.created, ...(r.seq_floor !== null && { seqFloor: r.seq_floor }), ...(r.linked && { identity: dec(r.linked) }) });
    },
    async putIdentity(row: IdentityRow) {
      const backup = exportBackup(row, await opts.passphrase(), opts.backup);
      ps.putIdentity.run('me', peerId(row.sigPub), row.name, backup, row.created, row.seqFloor ?? null, row.identity ? enc(row.identity) : null);
    },
    listFriends: async () => ps.friends.all().map((r) => dec(r.row)),
    putFriend: async (row) => void ps.putFriend.run(row.key, enc(row)),
    async setFriendStatus(key, status) {
      const r = ps.friend.get(key);
      if (r) ps.putFriend.run(key, enc({ ...dec<object>(r.row), status }));
    },
    deleteFriend: async (key) => void ps.delFriend.run(key),
    listBlocked: async () => ps.blocked.all(),
    putBlocked: async (row) => void ps.putBlocked.run(row.key, row.at),
    deleteBlocked: async (key) => void ps.delBlocked.run(key),
    listInvites: async () => ps.invites.all().map(optional),
    getInvite: async (token) => {
      const r = ps.invite.get(token);
      return r && optional(r);
    },
    putInvite: async (row) => void ps.putInvite.run(row.token, row.expires, row.revoked ?? null),
    revokeInvite: async (token, at) => void ps.revoke.run(at, token),
    deleteInvite: async (token) => void ps.delInvite.run(token),
    putPost: async (row) => void ps.putPost.run(row.author, row.seq, row.ts, enc(row)),
    postKeys: async () => ps.postKeys.all().map((r) => [r.author, r.seq] as [string, number]),
    lastSeq: async (author) => ps.lastSeq.get(author)?.seq ?? 0,
    seqsOf: async (author, newest) => (newest === undefined ? ps.seqs.all(author) : ps.newestSeqs.all(author, newest)).map((r) => r.seq),
    postsBy: async (author) => ps.postsBy.all(author).map((r) => dec<PostRow>(r.row)),
    recentPosts: async (limit) => ps.recent.all(limit).map((r) => dec<PostRow>(r.row)),
    async editPosts(author, seq, edit) {
      const rows = seq === undefined ? ps.postsBy.all(author) : [ps.post.get(author, seq)].filter(Boolean);
      let changed = false;
      db.transaction(() => {
        for (const r of rows) {
          const p = dec<PostRow>(r.row);
          if (!edit(p)) continue;
          ps.putPost.run(p.author, p.seq, p.ts, enc(p));
          changed = true;
        }
      })();
      return changed;
    },
    putBatch: async (batch) => db.transaction(() => putRows(batch))(),
    putBatchWith: async (keys, decide) =>
      db.transaction(() => {
        const batch = decide(keys.map((key) => {
          const r = ps.item.get(key);
          return r && dec<ItemRow>(r.row);
        }));
        putRows(batch);
        return batch;
      })(),
    getPost: async (author, seq) => {
      const r = ps.post.get(author, seq);
      return r && dec<PostRow>(r.row);
    },
    putItem: async (row) => void putItem(row),
    putItems: async (rows) => db.transaction(() => rows.forEach((r) => putItem(r)))(),
    getItem: async (key) => {
      const r = ps.item.get(key);
      return r && dec<ItemRow>(r.row);
    },
    getItems: async (keys) =>
      keys.map((key) => {
        const r = ps.item.get(key);
        return r && dec<ItemRow>(r.row);
      }),
    deleteItem: async (key) => void ps.delItem.run(key),
    itemsWithId: async (id) => ps.withId.all(id).map((r) => dec<ItemRow>(r.row)),
    async itemsByParent(parents) {
      const out: ItemRow[] = [];
      // In chunks, under SQLite's bound-parameter limit.
      for (let i = 0; i < parents.length; i += 500) {
        const chunk = parents.slice(i, i + 500);
        const rows = db.prepare(`SELECT row FROM items WHERE parent IN (${chunk.map(() => '?').join(',')})`).all(...chunk) as { row: string }[];
        out.push(...rows.map((r) => dec<ItemRow>(r.row)));
      }
      return out;
    },
    async itemsByAuthor(author, kinds, limit) {
      const rows = db.prepare(`SELECT row FROM items WHERE author = ? AND kind IN (${kinds.map(() => '?').join(', ')}) ORDER BY ts DESC LIMIT ?`).all(author, ...kinds, limit) as { row: string }[];
      return rows.map((r) => dec<ItemRow>(r.row));
    },
    pagePosts: async (before, limit) => (before === undefined ? ps.pageAll.all(limit) : ps.pageBefore.all(before, limit)).map((r) => dec<ItemRow>(r.row)),
    async searchPosts(query, limit) {
      const words = searchWords(query);
      if (!words.length) return [];
      const where = words.map(() => "words LIKE ? ESCAPE '\\'").join(' AND ');
      const rows = db.prepare(`SELECT row FROM items WHERE kind = 'post' AND ${where} ORDER BY ts DESC LIMIT ?`).all(...words.map(likeWord), limit) as { row: string }[];
      return rows.map((r) => dec<ItemRow>(r.row));
    },
    countUnread: async (me, after) => ps.unread.get(after, me).n as number,
    listLists: async () => ps.lists.all().map((r) => dec<ListRow>(r.row)),
    putList: async (row) => void ps.putList.run(row.id, enc(row)),
    deleteList: async (id) => void ps.delList.run(id),
    getMeta: async (key) => ps.meta.get(key)?.value as number | undefined,
    putMeta: async (key, value) => void ps.putMeta.run(key, value),
    listOutbox: async () => ps.outbox.all() as OutboxRow[],
    addOutbox: async (row) => void ps.addOutbox.run(row.to, row.seq, row.env, row.created),
    deleteOutbox: async (id) => void ps.delOutbox.run(id),
    deleteOutboxTo: async (key) => void ps.delOutboxTo.run(key),
    putBlob: async ({ id, bytes, stored, waiting, ...meta }) => void ps.putBlob.run(id, bytes, stored, JSON.stringify(meta), waiting ?? null),
    getBlob: async (id) => {
      const r = ps.blob.get(id);
      return r && blobRow(r);
    },
    waitingBlobs: async () => ps.waitingBlobs.all().map(blobRow),
    deleteBlob: async (id) => void ps.delBlob.run(id),
    close: () => db.close(),
  };
}
