// Owns the SQLite image blob backend (better-sqlite3, its own blobs.db beside mailbox.db): one row per blob, one per recipient.
import { openSqliteFile } from './sqlite-file.js';
import { blobQuotaError, type BlobStore } from './blobs.js';

/** Opens `<dataDir>/blobs.db` (':memory:' for a throwaway store). */
export function openSqliteBlobStore(opts: { dataDir: string }): BlobStore {
  const db = openSqliteFile(opts.dataDir, 'blobs.db'); // secure_delete: a fetched blob's ciphertext is overwritten, as the mailbox's posts are
  db.pragma('foreign_keys = ON');
  db.exec(`
    CREATE TABLE IF NOT EXISTS blobs (
      id      TEXT    PRIMARY KEY,
      sender  TEXT    NOT NULL,
      size    INTEGER NOT NULL,
      data    BLOB    NOT NULL,
      expires INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS blobs_by_sender ON blobs (sender, expires, size);
    CREATE INDEX IF NOT EXISTS blobs_by_expiry ON blobs (expires);
    -- Who may read which blob. A blob sent to many is stored once; these rows say who, as the mailbox's rows do.
    CREATE TABLE IF NOT EXISTS blob_to (
      id        TEXT NOT NULL REFERENCES blobs (id) ON DELETE CASCADE,
      recipient TEXT NOT NULL,
      PRIMARY KEY (id, recipient)
    ) WITHOUT ROWID;
  `);
  const insertBlob = db.prepare('INSERT OR IGNORE INTO blobs (id, sender, size, data, expires) VALUES (?, ?, ?, ?, ?)');
  const extend = db.prepare('UPDATE blobs SET expires = MAX(expires, ?) WHERE id = ?');
  const ownBlob = db.prepare('SELECT 1 FROM blobs WHERE id = ? AND sender = ?').pluck();
  const addTo = db.prepare('INSERT OR IGNORE INTO blob_to (id, recipient) VALUES (?, ?)');
  const senderBytes = db.prepare('SELECT COALESCE(SUM(size), 0) FROM blobs WHERE sender = ? AND expires > ?').pluck();
  // substr() on a BLOB counts bytes (1-based): a chunk is read without loading the whole blob.
  const read = db.prepare(`SELECT b.size AS size, substr(b.data, ? + 1, ?) AS data FROM blobs b JOIN blob_to t ON t.id = b.id
    WHERE b.id = ? AND t.recipient = ? AND b.expires > ?`);
  const dropTo = db.prepare('DELETE FROM blob_to WHERE id = ? AND recipient = ?');
  const orphan = db.prepare('DELETE FROM blobs WHERE id = ? AND NOT EXISTS (SELECT 1 FROM blob_to WHERE id = ?)');
  const stats = db.prepare('SELECT COUNT(*) AS blobs, COALESCE(SUM(size), 0) AS bytes FROM blobs WHERE expires > ?');
  const purge = db.prepare('DELETE FROM blobs WHERE expires <= ?');

  const exists = db.prepare('SELECT 1 FROM blobs WHERE id = ?').pluck();
  // One transaction: the quota is counted and the blob inserted with no other write in between (one process, one writer).
  const put = db.transaction((id: string, from: string, data: Uint8Array, to: readonly string[], expires: number, quota: number, now: number) => {
    if (exists.get(id)) extend.run(expires, id);
    else {
      const used = senderBytes.get(from, now) as number;
      if (used + data.length > quota) throw blobQuotaError(used, quota);
      insertBlob.run(id, from, data.length, data, expires);
    }
    for (const r of to) addTo.run(id, r);
  });
  const add = db.transaction((id: string, from: string, to: readonly string[], expires: number) => {
    if (!ownBlob.get(id, from)) return false;
    extend.run(expires, id);
    for (const r of to) addTo.run(id, r);
    return true;
  });
  const ack = db.transaction((recipient: string, ids: readonly string[]) => {
    let n = 0;
    for (const id of ids) {
      if (dropTo.run(id, recipient).changes === 0) continue;
      n++;
      orphan.run(id, id);
    }
    return n;
  });

  // async: a throw (SQLite busy, the quota) becomes a rejection, as with every other backend.
  return {
    put: async (b, quota, now) => put(b.id, b.from, b.data, b.to, b.expires, quota, now),
    addRecipients: async (id, from, to, expires) => add(id, from, to, expires),
    senderBytes: async (from, now) => senderBytes.get(from, now) as number,
    async read(id, recipient, at, len, now) {
      const r = read.get(at, len, id, recipient, now) as { size: number; data: Buffer | null } | undefined;
      if (!r) return undefined;
      // substr() of an empty range is '' (text) rather than an empty BLOB.
      return { size: r.size, data: r.data instanceof Uint8Array ? new Uint8Array(r.data.buffer, r.data.byteOffset, r.data.length) : new Uint8Array(0) };
    },
    ack: async (recipient, ids) => ack(recipient, ids),
    stats: async (now) => stats.get(now) as { blobs: number; bytes: number },
    async purgeExpired(now) {
      const n = purge.run(now).changes;
      db.pragma('wal_checkpoint(TRUNCATE)'); // deleted blobs' old page images leave the disk too
      return n;
    },
    close: async () => void db.close(),
  };
}
