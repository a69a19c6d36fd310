// Owns the SQLite mailbox backend (better-sqlite3, WAL, synchronous=FULL, secure_delete) with group commit.
import { BwError } from '../../shared/errors.js';
import type { MailboxStore, StoredItem } from './store.js';
import { groupCommit } from './group-commit.js';
import { openSqliteFile } from './sqlite-file.js';

export interface SqliteOptions {
  /** Directory for mailbox.db; ':memory:' for a throwaway store. */
  dataDir: string;
  /** Rows per recipient before puts are refused with 'quota'. */
  queueQuota: number;
  /** Rows from one sender to one recipient before that sender's puts are refused with 'quota'. */
  senderQuota: number;
}

type Row = { to: string; from: string; env: string; expires: number };
type Result = { id: number } | { error: BwError };

/**
 * Every put waits for the next group commit: one transaction with one fsync for everything queued
 * since the last one. Acks are sent only after commit, so a crash loses nothing that was acknowledged,
 * and the disk's fsync rate no longer caps the mailbox.
 */
export function openSqliteStore(opts: SqliteOptions): MailboxStore {
  const db = openSqliteFile(opts.dataDir, 'mailbox.db');
  db.exec(`
    CREATE TABLE IF NOT EXISTS mailbox (
      id        INTEGER PRIMARY KEY AUTOINCREMENT,
      recipient TEXT    NOT NULL,
      sender    TEXT    NOT NULL,
      env       TEXT    NOT NULL,
      expires   INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS mailbox_by_recipient ON mailbox (recipient, id);
    CREATE INDEX IF NOT EXISTS mailbox_by_expiry ON mailbox (expires);
    -- Makes the per-sender count a range seek, and is a covering index for the per-recipient count (no table reads).
    CREATE INDEX IF NOT EXISTS mailbox_by_sender ON mailbox (recipient, sender, expires);
    -- Who may leave posts for whom: hashes of pairwise capabilities, never keys (shared/crypto/pairwise.ts).
    CREATE TABLE IF NOT EXISTS mailbox_allow (
      recipient TEXT NOT NULL,
      tag       TEXT NOT NULL,
      PRIMARY KEY (recipient, tag)
    ) WITHOUT ROWID;
  `);
  const insert = db.prepare('INSERT INTO mailbox (recipient, sender, env, expires) VALUES (?, ?, ?, ?)');
  const countStmt = db.prepare('SELECT COUNT(*) AS n FROM mailbox WHERE recipient = ? AND expires > ?');
  const depthStmt = db.prepare('SELECT COUNT(*) AS n FROM mailbox WHERE expires > ?'); // a range over mailbox_by_expiry
  const senderCountStmt = db.prepare('SELECT COUNT(*) AS n FROM mailbox WHERE recipient = ? AND sender = ? AND expires > ?');
  const fetchStmt = db.prepare('SELECT id, sender AS "from", env FROM mailbox WHERE recipient = ? AND id > ? AND expires > ? ORDER BY id LIMIT ?');
  const del = db.prepare('DELETE FROM mailbox WHERE recipient = ? AND id = ?');
  const purge = db.prepare('DELETE FROM mailbox WHERE expires <= ?');
  const dropAllowed = db.prepare('DELETE FROM mailbox_allow WHERE recipient = ? AND tag = ?');
  const addAllowed = db.prepare('INSERT OR IGNORE INTO mailbox_allow (recipient, tag) VALUES (?, ?)');
  const allowed = db.prepare('SELECT 1 FROM mailbox_allow WHERE recipient = ? AND tag = ?').pluck();
  const allowedOf = db.prepare('SELECT tag FROM mailbox_allow WHERE recipient = ?').pluck();
  const changeAllowed = db.transaction((recipient: string, drop: readonly string[], add: readonly string[]) => {
    for (const t of drop) dropAllowed.run(recipient, t);
    for (const t of add) addAllowed.run(recipient, t);
  });
  /**
   * Clients send their list on every connect; an unchanged one costs a read, a changed one writes only the difference,
   * and neither waits for an fsync on the relay's one thread: a list lost to a crash is sent again at the next connect
   * (until then, a friend's post is refused and waits in their outbox, as it does for any refusal).
   */
  const setAllowed = (recipient: string, tags: readonly string[]) => {
    const next = new Set(tags);
    const now = new Set(allowedOf.all(recipient) as string[]);
    const drop = [...now].filter((t) => !next.has(t));
    const add = [...next].filter((t) => !now.has(t));
    if (!drop.length && !add.length) return;
    db.pragma('synchronous = NORMAL'); // WAL + NORMAL: durable at the next checkpoint, not at this commit
    try {
      changeAllowed(recipient, drop, add);
    } finally {
      db.pragma('synchronous = FULL');
    }
  };

  /**
   * Two limits, both checked here in the commit's transaction: a sender's share of one recipient's queue first (so a
   * flooder is told about its own share), then the recipient's whole queue. Each count is read at most once per
   * group commit and then kept up to date in a Map as rows of the batch are stored; refused rows are not counted.
   */
  const writeBatch = db.transaction((rows: readonly Row[]): Result[] => {
    const perRecipient = new Map<string, number>();
    const perSender = new Map<string, number>(); // keyed by `${to}\n${from}`
    const now = Date.now();
    return rows.map((r) => {
      const pair = `${r.to}\n${r.from}`;
      let s = perSender.get(pair);
      if (s === undefined) perSender.set(pair, (s = (senderCountStmt.get(r.to, r.from, now) as { n: number }).n));
      if (s >= opts.senderQuota) {
        return { error: new BwError('quota', `you have ${opts.senderQuota} posts waiting for this recipient; the rest wait until they fetch`) };
      }
      let n = perRecipient.get(r.to);
      if (n === undefined) perRecipient.set(r.to, (n = (countStmt.get(r.to, now) as { n: number }).n));
      if (n >= opts.queueQuota) return { error: new BwError('quota', `mailbox for this recipient is full (${opts.queueQuota} posts)`) };
      perSender.set(pair, s + 1);
      perRecipient.set(r.to, n + 1);
      return { id: Number(insert.run(r.to, r.from, r.env, r.expires).lastInsertRowid) };
    });
  });

  const commits = groupCommit<Row, Result>(writeBatch);

  return {
    putMany: (rows) => commits.put(rows),
    fetch: async (to, after, limit, now) => fetchStmt.all(to, after, now, limit) as StoredItem[],
    ack: async (to, ids) => db.transaction(() => ids.reduce((n, id) => n + del.run(to, id).changes, 0))(),
    count: async (to, now) => (countStmt.get(to, now) as { n: number }).n,
    depth: async (now) => (depthStmt.get(now) as { n: number }).n,
    setAllowed: async (recipient, tags) => setAllowed(recipient, tags),
    isAllowed: async (recipient, tag) => allowed.get(recipient, tag) !== undefined,
    async purgeExpired(now) {
      const n = purge.run(now).changes;
      // Copies every committed page into the file and empties the WAL, so deleted posts' old page images leave the disk too.
      db.pragma('wal_checkpoint(TRUNCATE)');
      return n;
    },
    async close() {
      await commits.drain();
      db.close();
    },
  };
}
