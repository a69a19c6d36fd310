// Owns the PostgreSQL mailbox backend (node-postgres pool): numbered schema migrations at start, group commit, and
// quotas that hold across every relay process sharing the database.
import pg from 'pg';
import { BwError } from '../../shared/errors.js';
import type { MailboxStore, StoredItem } from './store.js';
import { groupCommit } from './group-commit.js';

export interface PostgresOptions {
  /** postgres://user:password@host:port/database (libpq URL); the password is better given as PGPASSWORD. */
  databaseUrl: string;
  /** Rows per recipient before puts are refused with 'quota'. */
  queueQuota: number;
  /** Rows from one sender to one recipient before that sender's puts are refused with 'quota'. */
  senderQuota: number;
  /** Connections in the pool (default 8): group commits, fetches and acks in flight at once. */
  poolSize?: number;
}

type Row = { to: string; from: string; env: string; expires: number };
type Result = { id: number } | { error: BwError };

/**
 * The schema, one step per version, append-only (like Dexie's versions): a database at version n runs steps n+1….
 * Version 1 is the first layout; version 2 adds the per-sender index the sender quota counts with; version 3 adds the
 * image blobs (signaling/store/blobs-postgres.ts), so one version number and one lock cover the whole database.
 */
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE mailbox (
     id        BIGSERIAL PRIMARY KEY,
     recipient TEXT   NOT NULL,
     sender    TEXT   NOT NULL,
     env       TEXT   NOT NULL,
     expires   BIGINT NOT NULL
   );
   CREATE INDEX mailbox_by_recipient ON mailbox (recipient, id);
   CREATE INDEX mailbox_by_expiry ON mailbox (expires);
   -- Who may leave posts for whom: hashes of pairwise capabilities, never keys (shared/crypto/pairwise.ts).
   CREATE TABLE mailbox_allow (
     recipient TEXT NOT NULL,
     tag       TEXT NOT NULL,
     PRIMARY KEY (recipient, tag)
   );`,
  `CREATE INDEX mailbox_by_sender ON mailbox (recipient, sender, expires);`,
  // EXTERNAL: stored out of line, uncompressed (ciphertext does not compress), so substring() reads only the TOAST
  // chunks a blob:get asks for, not the whole blob.
  `CREATE TABLE blobs (
     id      TEXT    PRIMARY KEY,
     sender  TEXT    NOT NULL,
     size    INTEGER NOT NULL,
     data    BYTEA   NOT NULL,
     expires BIGINT  NOT NULL
   );
   ALTER TABLE blobs ALTER COLUMN data SET STORAGE EXTERNAL;
   CREATE INDEX blobs_by_sender ON blobs (sender, expires);
   CREATE INDEX blobs_by_expiry ON blobs (expires);
   -- Who may read which blob. A blob sent to many is stored once; these rows say who, as the mailbox's rows do.
   CREATE TABLE blob_to (
     id        TEXT NOT NULL REFERENCES blobs (id) ON DELETE CASCADE,
     recipient TEXT NOT NULL,
     PRIMARY KEY (id, recipient)
   );`,
];

/** Any fixed number: every relay process takes this advisory lock while it migrates, so two starting together take turns. */
const MIGRATION_LOCK = 0x6277_6d62; // 'bwmb'

/** Brings the database to the newest schema version; safe to run from several processes at once. */
export async function migrate(pool: pg.Pool, upTo = MIGRATIONS.length): Promise<number> {
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    await c.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await c.query('CREATE TABLE IF NOT EXISTS bw_schema (version INTEGER NOT NULL)');
    const { rows } = await c.query<{ version: number }>('SELECT version FROM bw_schema');
    let version = rows[0]?.version ?? 0;
    if (!rows.length) await c.query('INSERT INTO bw_schema (version) VALUES (0)');
    for (; version < upTo; version++) await c.query(MIGRATIONS[version]!);
    await c.query('UPDATE bw_schema SET version = $1', [version]);
    await c.query('COMMIT');
    return version;
  } catch (e) {
    await c.query('ROLLBACK').catch(() => {});
    throw e;
  } finally {
    c.release();
  }
}

/** A pool whose errors on idle connections (the server restarting) are logged by the caller, not thrown. */
export function openPool(databaseUrl: string, max = 8, onError: (e: Error) => void = () => {}): pg.Pool {
  const pool = new pg.Pool({ connectionString: databaseUrl, max });
  pool.on('error', onError);
  return pool;
}

/**
 * Every put waits for the next group commit: one transaction for everything queued since the last one started, and
 * acks go out only after COMMIT (synchronous_commit on: the WAL is on disk). Commits overlap up to the pool size.
 *
 * Quotas across processes: a commit first takes a transaction-scoped advisory lock per recipient it writes to (in
 * sorted order, so two commits never deadlock), then counts and inserts. Two relays putting to one recipient take
 * turns, so neither limit is ever exceeded, and one recipient's rows commit in id order (a fetch never skips a row).
 */
export async function openPostgresStore(opts: PostgresOptions, log: (e: Error) => void = () => {}): Promise<MailboxStore> {
  const pool = openPool(opts.databaseUrl, opts.poolSize ?? 8, log);
  try {
    await migrate(pool);
  } catch (e) {
    await pool.end().catch(() => {});
    throw e;
  }

  async function writeBatch(rows: readonly Row[]): Promise<Result[]> {
    const recipients = [...new Set(rows.map((r) => r.to))].sort();
    const c = await pool.connect();
    try {
      await c.query('BEGIN');
      await c.query('SELECT pg_advisory_xact_lock(hashtextextended(r, 0)) FROM unnest($1::text[]) AS r', [recipients]); // in array order
      const now = Date.now();
      // Both counts for every recipient of the batch, in one round trip each.
      const perRecipient = new Map<string, number>();
      const perSender = new Map<string, number>(); // keyed by `${to}\n${from}`
      const counts = await c.query<{ recipient: string; sender: string; n: string }>(
        'SELECT recipient, sender, COUNT(*) AS n FROM mailbox WHERE recipient = ANY($1::text[]) AND expires > $2 GROUP BY recipient, sender',
        [recipients, now],
      );
      for (const r of counts.rows) {
        perSender.set(`${r.recipient}\n${r.sender}`, Number(r.n));
        perRecipient.set(r.recipient, (perRecipient.get(r.recipient) ?? 0) + Number(r.n));
      }
      const kept: Row[] = [];
      const results: (Result | undefined)[] = rows.map((r) => {
        const pair = `${r.to}\n${r.from}`;
        const s = perSender.get(pair) ?? 0;
        if (s >= opts.senderQuota) {
          return { error: new BwError('quota', `you have ${opts.senderQuota} posts waiting for this recipient; the rest wait until they fetch`) };
        }
        const n = perRecipient.get(r.to) ?? 0;
        if (n >= opts.queueQuota) return { error: new BwError('quota', `mailbox for this recipient is full (${opts.queueQuota} posts)`) };
        perSender.set(pair, s + 1);
        perRecipient.set(r.to, n + 1);
        kept.push(r);
        return undefined;
      });
      if (kept.length) {
        // ORDER BY ord: the sequence hands out ids in this order, so sorted ids map back to rows in order.
        const ins = await c.query<{ id: string }>(
          `INSERT INTO mailbox (recipient, sender, env, expires)
             SELECT r, s, e, x FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[]) WITH ORDINALITY AS t(r, s, e, x, ord) ORDER BY ord
           RETURNING id`,
          [kept.map((r) => r.to), kept.map((r) => r.from), kept.map((r) => r.env), kept.map((r) => r.expires)],
        );
        const ids = ins.rows.map((r) => Number(r.id)).sort((a, b) => a - b);
        let at = 0;
        for (let i = 0; i < results.length; i++) if (!results[i]) results[i] = { id: ids[at++]! };
      }
      await c.query('COMMIT');
      return results as Result[];
    } catch (e) {
      await c.query('ROLLBACK').catch(() => {});
      throw e;
    } finally {
      c.release();
    }
  }

  const commits = groupCommit<Row, Result>(writeBatch);

  const one = async <T>(sql: string, params: unknown[]): Promise<T[]> => (await pool.query(sql, params)).rows as T[];

  return {
    putMany: (rows) => commits.put(rows),
    async fetch(to, after, limit, now) {
      const rows = await one<{ id: string; from: string; env: string }>(
        'SELECT id, sender AS "from", env FROM mailbox WHERE recipient = $1 AND id > $2 AND expires > $3 ORDER BY id LIMIT $4',
        [to, after, now, limit],
      );
      return rows.map((r): StoredItem => ({ id: Number(r.id), from: r.from, env: r.env }));
    },
    async ack(to, ids) {
      if (!ids.length) return 0;
      return (await pool.query('DELETE FROM mailbox WHERE recipient = $1 AND id = ANY($2::bigint[])', [to, ids])).rowCount ?? 0;
    },
    count: async (to, now) => Number((await one<{ n: string }>('SELECT COUNT(*) AS n FROM mailbox WHERE recipient = $1 AND expires > $2', [to, now]))[0]!.n),
    depth: async (now) => Number((await one<{ n: string }>('SELECT COUNT(*) AS n FROM mailbox WHERE expires > $1', [now]))[0]!.n),
    async setAllowed(recipient, tags) {
      // One statement, so one atomic step: drop what is no longer listed, add what is new; an unchanged list writes nothing.
      const list = [...new Set(tags)];
      await pool.query(
        `WITH dropped AS (DELETE FROM mailbox_allow WHERE recipient = $1 AND tag <> ALL($2::text[]))
         INSERT INTO mailbox_allow (recipient, tag) SELECT $1, t FROM unnest($2::text[]) AS t ON CONFLICT DO NOTHING`,
        [recipient, list],
      );
    },
    isAllowed: async (recipient, tag) => (await pool.query('SELECT 1 FROM mailbox_allow WHERE recipient = $1 AND tag = $2', [recipient, tag])).rowCount! > 0,
    purgeExpired: async (now) => (await pool.query('DELETE FROM mailbox WHERE expires <= $1', [now])).rowCount ?? 0,
    async close() {
      await commits.drain();
      await pool.end();
    },
  };
}
