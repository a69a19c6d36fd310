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
  // A whole group commit as one call, so one round trip and one transaction (see openPostgresStore).
  `CREATE FUNCTION bw_mailbox_put(in_locks TEXT[], in_to TEXT[], in_from TEXT[], in_env TEXT[], in_expires BIGINT[],
                                  in_now BIGINT, in_queue_quota BIGINT, in_sender_quota BIGINT)
   RETURNS TABLE (put_ord BIGINT, put_id BIGINT, put_refused TEXT)
   -- VOLATILE: each statement below takes a fresh snapshot (READ COMMITTED), so the counts see every row committed by
   -- whoever held these locks before us.
   LANGUAGE plpgsql VOLATILE AS $$
   BEGIN
     -- In array order (the caller sorts it), so two commits never wait on each other in a cycle.
     PERFORM pg_advisory_xact_lock(hashtextextended(l, 0)) FROM unnest(in_locks) WITH ORDINALITY AS t(l, o) ORDER BY o;
     RETURN QUERY
     WITH batch AS (
       SELECT t.r, t.s, t.e, t.x, t.o FROM unnest(in_to, in_from, in_env, in_expires) WITH ORDINALITY AS t(r, s, e, x, o)
     ), live AS (
       -- Per recipient (an index scan each), whatever the planner's statistics say: a fresh or just-grown table has
       -- none, and one scan of every unexpired row for a batch of 100 recipients is what it picked without them.
       SELECT l.r AS recipient, c.sender, c.n FROM unnest(in_locks) AS l(r)
        CROSS JOIN LATERAL (SELECT m.sender, COUNT(*) AS n FROM mailbox m WHERE m.recipient = l.r AND m.expires > in_now GROUP BY m.sender) c
     ), live_to AS (
       SELECT l.recipient, SUM(l.n) AS n FROM live l GROUP BY l.recipient
     ), counted AS (
       -- Within its share if the pair's live rows and its earlier rows in the batch leave room. (Counting every earlier
       -- row, kept or not, is exact here: a pair's rows stop being kept only at its share or at a full queue, and after
       -- either, no later row of it is kept.)
       SELECT b.r, b.s, b.e, b.x, b.o, COALESCE(p.n, 0) AS pair_live, COALESCE(q.n, 0) AS to_live,
              COALESCE(p.n, 0) + ROW_NUMBER() OVER (PARTITION BY b.r, b.s ORDER BY b.o) - 1 < in_sender_quota AS share_ok
         FROM batch b LEFT JOIN live p ON p.recipient = b.r AND p.sender = b.s LEFT JOIN live_to q ON q.recipient = b.r
     ), decided AS (
       SELECT c.*, c.share_ok AND c.to_live + COUNT(*) FILTER (WHERE c.share_ok)
                   OVER (PARTITION BY c.r ORDER BY c.o ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) < in_queue_quota AS kept
         FROM counted c
     ), why AS (
       -- A refused row names the sender's share when the pair's kept rows fill it, else the recipient's full queue.
       SELECT d.o, d.kept, d.pair_live + COUNT(*) FILTER (WHERE d.kept)
                OVER (PARTITION BY d.r, d.s ORDER BY d.o ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) >= in_sender_quota AS share_full
         FROM decided d
     ), ins AS (
       -- Ids come from the sequence in this order, so the kept rows in order take the ids sorted.
       INSERT INTO mailbox (recipient, sender, env, expires) SELECT d.r, d.s, d.e, d.x FROM decided d WHERE d.kept ORDER BY d.o
       RETURNING mailbox.id
     )
     SELECT k.o, i.id, NULL::TEXT
       FROM (SELECT w.o, ROW_NUMBER() OVER (ORDER BY w.o) AS n FROM why w WHERE w.kept) k
       JOIN (SELECT ins.id, ROW_NUMBER() OVER (ORDER BY ins.id) AS n FROM ins) i ON i.n = k.n
     UNION ALL
     SELECT w.o, NULL::BIGINT, CASE WHEN w.share_full THEN 'sender' ELSE 'recipient' END FROM why w WHERE NOT w.kept;
   END $$;`,
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

/** Socket errors (Node's codes) that mean the database could not be reached or the link to it broke. */
const LINK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'EHOSTDOWN', 'ENETUNREACH', 'ENETDOWN', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * PostgreSQL's SQLSTATEs of a server that is away, going away or full: class 08 (connection exception), 57P01–57P03
 * (admin or crash shutdown, cannot connect now: stopping or starting), 53300 (too many connections).
 */
const outageState = (s: string) => s.startsWith('08') || s === '57P01' || s === '57P02' || s === '57P03' || s === '53300';

/** node-postgres's own words for a connection that broke or never came (it gives these no code). */
const LINK_MESSAGES = /^(Connection terminated|Client has encountered a connection error|timeout exceeded when trying to connect|Query read timeout)/;

/** Whether `e` says the database could not be reached or the link to it broke, rather than that a query is wrong. */
export function isOutage(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  const code = (e as NodeJS.ErrnoException).code;
  if (typeof code === 'string' && (LINK_CODES.has(code) || (/^[0-9A-Z]{5}$/.test(code) && outageState(code)))) return true;
  if (LINK_MESSAGES.test(e.message)) return true;
  // Several addresses tried, all refused (Node's happy eyeballs): an AggregateError of socket errors.
  return e instanceof AggregateError && e.errors.length > 0 && e.errors.every(isOutage);
}

/**
 * The error a store call answers with: an outage becomes BwError('unavailable') (clients retry; the reason and the
 * database's address stay in the relay's log), anything else passes through and is answered 'internal' (a bug).
 */
export function storeError(e: unknown): unknown {
  return isOutage(e) ? new BwError('unavailable', 'the relay cannot reach its database; try again shortly') : e;
}

/**
 * Wraps each call of a PostgreSQL store with storeError, and logs an outage once when it begins (the first failure
 * after a success), not once per call: during an outage every put and fetch fails, and each is already counted in
 * the metrics by its code.
 */
export function outageGuard(log: (e: Error) => void) {
  let down = false;
  return <A extends unknown[], T>(call: (...a: A) => Promise<T>) =>
    async (...a: A): Promise<T> => {
      try {
        const r = await call(...a);
        down = false;
        return r;
      } catch (e) {
        const mapped = storeError(e);
        if (mapped !== e && !down) {
          down = true;
          log(new Error(`database unreachable: ${(e as Error).message}`));
        }
        throw mapped;
      }
    };
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
 * All of it is one call of the function bw_mailbox_put (migration 4) as its own transaction: one round trip per group
 * commit instead of five (BEGIN, locks, counts, INSERT, COMMIT), which is most of a commit's time on a fast disk.
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
    // Named, so each pooled connection parses and plans it once. Resolves after the implicit COMMIT (ReadyForQuery).
    const out = await pool.query<{ put_ord: string; put_id: string | null; put_refused: 'sender' | 'recipient' | null }>({
      name: 'bw_mailbox_put',
      text: 'SELECT put_ord, put_id, put_refused FROM bw_mailbox_put($1, $2, $3, $4, $5, $6, $7, $8)',
      values: [recipients, rows.map((r) => r.to), rows.map((r) => r.from), rows.map((r) => r.env), rows.map((r) => r.expires), Date.now(), opts.queueQuota, opts.senderQuota],
    });
    if (out.rows.length !== rows.length) throw new BwError('internal', `bw_mailbox_put answered ${out.rows.length} rows for ${rows.length}`);
    const results: Result[] = new Array(rows.length);
    for (const r of out.rows) {
      const i = Number(r.put_ord) - 1;
      if (r.put_id !== null) results[i] = { id: Number(r.put_id) };
      else if (r.put_refused === 'sender') {
        results[i] = { error: new BwError('quota', `you have ${opts.senderQuota} posts waiting for this recipient; the rest wait until they fetch`) };
      } else results[i] = { error: new BwError('quota', `mailbox for this recipient is full (${opts.queueQuota} posts)`) };
    }
    return results;
  }

  const commits = groupCommit<Row, Result>(writeBatch);

  const one = async <T>(sql: string, params: unknown[]): Promise<T[]> => (await pool.query(sql, params)).rows as T[];

  const guard = outageGuard(log);
  // Every call but close goes through guard: during an outage it answers 'unavailable', not 'internal'.
  return {
    putMany: guard((rows) => commits.put(rows)),
    fetch: guard(async (to, after, limit, now) => {
      const rows = await one<{ id: string; from: string; env: string }>(
        'SELECT id, sender AS "from", env FROM mailbox WHERE recipient = $1 AND id > $2 AND expires > $3 ORDER BY id LIMIT $4',
        [to, after, now, limit],
      );
      return rows.map((r): StoredItem => ({ id: Number(r.id), from: r.from, env: r.env }));
    }),
    ack: guard(async (to, ids) => {
      if (!ids.length) return 0;
      return (await pool.query('DELETE FROM mailbox WHERE recipient = $1 AND id = ANY($2::bigint[])', [to, ids])).rowCount ?? 0;
    }),
    count: guard(async (to, now) => Number((await one<{ n: string }>('SELECT COUNT(*) AS n FROM mailbox WHERE recipient = $1 AND expires > $2', [to, now]))[0]!.n)),
    depth: guard(async (now) => Number((await one<{ n: string }>('SELECT COUNT(*) AS n FROM mailbox WHERE expires > $1', [now]))[0]!.n)),
    setAllowed: guard(async (recipient, tags) => {
      // One statement, so one atomic step: drop what is no longer listed, add what is new; an unchanged list writes nothing.
      const list = [...new Set(tags)];
      await pool.query(
        `WITH dropped AS (DELETE FROM mailbox_allow WHERE recipient = $1 AND tag <> ALL($2::text[]))
         INSERT INTO mailbox_allow (recipient, tag) SELECT $1, t FROM unnest($2::text[]) AS t ON CONFLICT DO NOTHING`,
        [recipient, list],
      );
    }),
    isAllowed: guard(async (recipient, tag) => (await pool.query('SELECT 1 FROM mailbox_allow WHERE recipient = $1 AND tag = $2', [recipient, tag])).rowCount! > 0),
    purgeExpired: guard(async (now) => (await pool.query('DELETE FROM mailbox WHERE expires <= $1', [now])).rowCount ?? 0),
    async close() {
      await commits.drain();
      await pool.end();
    },
  };
}
