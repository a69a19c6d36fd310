// Owns the PostgreSQL image blob backend (node-postgres pool, the mailbox's database): bytes in bytea, one row per
// recipient, a sender quota that holds across every relay process sharing the database.
import type pg from 'pg';
import { blobQuotaError, type BlobStore } from './blobs.js';
import { migrate, openPool, outageGuard } from './postgres.js';

export interface PostgresBlobOptions {
  /** The same database as the mailbox's (--database-url); its tables come with schema version 3 (postgres.ts MIGRATIONS). */
  databaseUrl: string;
  /** Connections in the pool (default 4): puts, chunk reads and acks in flight at once. */
  poolSize?: number;
}

/**
 * Any fixed number: the class half of the two-key advisory lock a put takes on its sender. The two-int key space does
 * not overlap the one-bigint space the mailbox's per-recipient locks and the migration lock use.
 */
const SENDER_LOCK = 0x6277_626c; // 'bwbl'

/** BEGIN … COMMIT on one pooled connection; ROLLBACK and rethrow on any error. */
async function inTransaction<T>(pool: pg.Pool, work: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    const r = await work(c);
    await c.query('COMMIT');
    return r;
  } catch (e) {
    await c.query('ROLLBACK').catch(() => {});
    throw e;
  } finally {
    c.release();
  }
}

const asBuffer = (d: Uint8Array) => Buffer.from(d.buffer, d.byteOffset, d.length);

/**
 * A put is acknowledged after COMMIT (synchronous_commit on): an acknowledged blob survives the crash of any relay
 * process. Deleted blobs (acked by their last recipient, or expired) are gone from every query at once, but PostgreSQL
 * does not overwrite their freed bytes: VACUUM makes the space reusable, and the old ciphertext stays on disk until
 * it is reused (unlike SQLite's secure_delete). It is ciphertext whose key the relay never sees.
 *
 * Across processes: a new blob's quota is counted and the blob inserted under a transaction-scoped advisory lock on
 * its sender, so two relays storing for one sender take turns and the quota is never exceeded. A put or addRecipients
 * locks the blob's row (UPDATE) before adding recipients, and an ack locks the rows of the blobs it names (FOR UPDATE)
 * before deciding whether anyone still waits, so an ack by the last recipient never deletes a blob whose new
 * recipients another process is adding at that moment.
 */
export async function openPostgresBlobStore(opts: PostgresBlobOptions, log: (e: Error) => void = () => {}): Promise<BlobStore> {
  const pool = openPool(opts.databaseUrl, opts.poolSize ?? 4, log);
  try {
    await migrate(pool);
  } catch (e) {
    await pool.end().catch(() => {});
    throw e;
  }

  const addTo = (c: pg.PoolClient, id: string, to: readonly string[]) =>
    c.query('INSERT INTO blob_to (id, recipient) SELECT $1, r FROM unnest($2::text[]) AS r ON CONFLICT DO NOTHING', [id, [...new Set(to)]]);
  const sumFor = async (q: pg.Pool | pg.PoolClient, from: string, now: number) =>
    Number((await q.query<{ n: string }>('SELECT COALESCE(SUM(size), 0) AS n FROM blobs WHERE sender = $1 AND expires > $2', [from, now])).rows[0]!.n);

  const guard = outageGuard(log);
  // Every call but close goes through guard: during an outage it answers 'unavailable', not 'internal'.
  return {
    put: guard((b, quota, now) =>
      inTransaction(pool, async (c) => {
        // First: every statement after the lock sees every put for this sender committed before it.
        await c.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [SENDER_LOCK, b.from]);
        // Already there (the same bytes: the id is their hash): only recipients and expiry change, no bytes are added.
        const had = await c.query('UPDATE blobs SET expires = GREATEST(expires, $2) WHERE id = $1', [b.id, b.expires]);
        if (!had.rowCount) {
          const used = await sumFor(c, b.from, now);
          if (used + b.data.length > quota) throw blobQuotaError(used, quota);
          // Another sender storing the very same bytes at this moment: one row, both sets of recipients.
          await c.query(
            `INSERT INTO blobs (id, sender, size, data, expires) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (id) DO UPDATE SET expires = GREATEST(blobs.expires, EXCLUDED.expires)`,
            [b.id, b.from, b.data.length, asBuffer(b.data), b.expires],
          );
        }
        await addTo(c, b.id, b.to);
      })),
    addRecipients: guard((id, from, to, expires) =>
      inTransaction(pool, async (c) => {
        const own = await c.query('UPDATE blobs SET expires = GREATEST(expires, $3) WHERE id = $1 AND sender = $2', [id, from, expires]);
        if (!own.rowCount) return false;
        await addTo(c, id, to);
        return true;
      })),
    senderBytes: guard((from, now) => sumFor(pool, from, now)),
    read: guard(async (id, recipient, at, len, now) => {
      // substring() on bytea counts bytes (1-based): a chunk is read without loading the whole blob (STORAGE EXTERNAL).
      const { rows } = await pool.query<{ size: number; data: Buffer }>(
        `SELECT b.size, substring(b.data FROM $1::int + 1 FOR $2::int) AS data FROM blobs b JOIN blob_to t ON t.id = b.id
          WHERE b.id = $3 AND t.recipient = $4 AND b.expires > $5`,
        [at, len, id, recipient, now],
      );
      const r = rows[0];
      if (!r) return undefined;
      return { size: r.size, data: new Uint8Array(r.data.buffer, r.data.byteOffset, r.data.length) };
    }),
    ack: guard((recipient, ids) => {
      const list = [...new Set(ids)].sort();
      if (!list.length) return Promise.resolve(0);
      return inTransaction(pool, async (c) => {
        await c.query('SELECT 1 FROM blobs WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE', [list]); // sorted: two acks never deadlock
        const dropped = await c.query<{ id: string }>('DELETE FROM blob_to WHERE recipient = $1 AND id = ANY($2::text[]) RETURNING id', [recipient, list]);
        if (!dropped.rowCount) return 0;
        await c.query('DELETE FROM blobs b WHERE b.id = ANY($1::text[]) AND NOT EXISTS (SELECT 1 FROM blob_to t WHERE t.id = b.id)', [dropped.rows.map((r) => r.id)]);
        return dropped.rowCount;
      });
    }),
    stats: guard(async (now) => {
      const r = (await pool.query<{ blobs: string; bytes: string }>('SELECT COUNT(*) AS blobs, COALESCE(SUM(size), 0) AS bytes FROM blobs WHERE expires > $1', [now])).rows[0]!;
      return { blobs: Number(r.blobs), bytes: Number(r.bytes) };
    }),
    // Recipient rows go with their blob (ON DELETE CASCADE). The bytes stay on disk until reused (see above).
    purgeExpired: guard(async (now) => (await pool.query('DELETE FROM blobs WHERE expires <= $1', [now])).rowCount ?? 0),
    close: () => pool.end(),
  };
}
