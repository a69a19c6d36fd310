// The relay's mailbox stores on real storage: the shared contract (test/cases/mailbox-store-suite.ts) against SQLite
// and against a throwaway PostgreSQL server, then what is each backend's own: SQLite's upgrade of an old file;
// PostgreSQL's migrations and its quotas and allow list holding across two relay processes sharing one database.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { isBwError, toFailure } from '../../shared/errors.js';
import { openSqliteStore } from '../../signaling/store/sqlite.js';
import { migrate, MIGRATIONS, openPool, openPostgresStore } from '../../signaling/store/postgres.js';
import { key, mailboxCases, put, refused, row, SENDER_FULL, SMALL, stored, envs, type MailboxBackend } from '../cases/mailbox-store-suite.js';
import { startPostgres, type PostgresServer } from '../db-servers.js';
import { tempDir } from '../temp.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A fresh directory per test, removed when the file ends. */
function freshDir(): string {
  const d = tempDir('bw-store-test');
  dirs.push(d);
  return d;
}

const [bob, alice, mallory] = ['bob', 'alice', 'mallory'].map(key) as [string, string, string];

const sqlite: MailboxBackend = {
  async fresh(quotas = SMALL) {
    const dataDir = freshDir();
    return { store: openSqliteStore({ dataDir, ...quotas }), reopen: async () => openSqliteStore({ dataDir, ...quotas }) };
  },
};

describe('SQLite mailbox store', () => {
  for (const c of mailboxCases) test(c.what, () => c.run(sqlite));

  test('a database made before the per-sender index opens, gains the index, and counts its rows', async () => {
    const dataDir = freshDir();
    const old = new Database(join(dataDir, 'mailbox.db'));
    old.exec(`
      CREATE TABLE mailbox (id INTEGER PRIMARY KEY AUTOINCREMENT, recipient TEXT NOT NULL, sender TEXT NOT NULL, env TEXT NOT NULL, expires INTEGER NOT NULL);
      CREATE INDEX mailbox_by_recipient ON mailbox (recipient, id);
      CREATE INDEX mailbox_by_expiry ON mailbox (expires);
    `);
    const insert = old.prepare('INSERT INTO mailbox (recipient, sender, env, expires) VALUES (?, ?, ?, ?)');
    for (let i = 1; i <= 3; i++) insert.run(bob, mallory, `m${i}`, Date.now() + 24 * 3600_000);
    old.close();

    const store = openSqliteStore({ dataDir, ...SMALL });
    refused(await put(store, bob, mallory, 'm4'), SENDER_FULL, 'rows written before the upgrade count');
    stored(await put(store, bob, alice, 'a1'), "alice's post");
    assert.deepEqual(await envs(store, bob), ['m1', 'm2', 'm3', 'a1']);
    await store.close();
    const check = new Database(join(dataDir, 'mailbox.db'), { readonly: true });
    const indexes = check.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'mailbox'").all() as { name: string }[];
    check.close();
    assert.ok(indexes.some((i) => i.name === 'mailbox_by_sender'), `indexes: ${indexes.map((i) => i.name).join(', ')}`);
  });
});

describe('PostgreSQL mailbox store', () => {
  let server: PostgresServer;
  let n = 0;
  /** A fresh database per case on the one server this file starts. */
  const freshDb = () => server.createDatabase(`store_${process.pid}_${n++}`);
  const postgres: MailboxBackend = {
    async fresh(quotas = SMALL) {
      const databaseUrl = await freshDb();
      return { store: await openPostgresStore({ databaseUrl, ...quotas }), reopen: () => openPostgresStore({ databaseUrl, ...quotas }) };
    },
  };
  before(async () => {
    server = await startPostgres(); // fails with how to install PostgreSQL when it is missing
  });
  after(() => server?.stop());

  for (const c of mailboxCases) test(c.what, () => c.run(postgres));

  test('a database at schema version 1 is migrated at start, keeps its rows, and counts them', async () => {
    const databaseUrl = await freshDb();
    const pool = openPool(databaseUrl);
    assert.equal(await migrate(pool, 1), 1);
    await pool.query('INSERT INTO mailbox (recipient, sender, env, expires) SELECT $1, $2, $3, $4 FROM generate_series(1, 3)', [bob, mallory, 'old', Date.now() + 3600_000]);
    await pool.end();

    const store = await openPostgresStore({ databaseUrl, ...SMALL });
    refused(await put(store, bob, mallory, 'm4'), SENDER_FULL, 'rows written before the migration count');
    await store.close();
    const check = new pg.Client({ connectionString: databaseUrl });
    await check.connect();
    const version = (await check.query('SELECT version FROM bw_schema')).rows[0].version;
    const indexes = (await check.query("SELECT indexname FROM pg_indexes WHERE tablename = 'mailbox'")).rows.map((r) => r.indexname as string);
    await check.end();
    assert.equal(version, MIGRATIONS.length);
    assert.ok(indexes.includes('mailbox_by_sender'), `indexes: ${indexes.join(', ')}`);
  });

  test('two relays starting together on an empty database both migrate it, once', async () => {
    const databaseUrl = await freshDb();
    const [a, b] = await Promise.all([openPostgresStore({ databaseUrl, ...SMALL }), openPostgresStore({ databaseUrl, ...SMALL })]);
    stored(await put(a, bob, alice, 'a1'), 'through the first');
    assert.deepEqual(await envs(b, bob), ['a1'], 'the second sees the first one’s row');
    await Promise.all([a.close(), b.close()]);
  });

  test('two relays on one database: quotas hold under concurrent puts, and the allow list is shared', async () => {
    const databaseUrl = await freshDb();
    const quotas = { queueQuota: 40, senderQuota: 25 };
    const [a, b] = await Promise.all([openPostgresStore({ databaseUrl, ...quotas }), openPostgresStore({ databaseUrl, ...quotas })]);
    // Mallory floods bob through both relays at once: 30 puts each, every one its own mailbox:put.
    const flood = await Promise.all([a, b].flatMap((s, k) => Array.from({ length: 30 }, (_, i) => s.putMany([row(bob, mallory, `m${k}-${i}`)]))));
    const ok = flood.filter(([r]) => r && 'id' in r).length;
    assert.equal(ok, 25, 'exactly the sender share is stored, however the two relays interleave');
    // Alice fills the rest of bob's queue from both sides too.
    const fill = await Promise.all([a, b].flatMap((s, k) => Array.from({ length: 10 }, (_, i) => s.putMany([row(bob, alice, `a${k}-${i}`)]))));
    assert.equal(fill.filter(([r]) => r && 'id' in r).length, 15, 'exactly the recipient quota is stored');
    for (const [r] of fill) if (r && 'error' in r) assert.match(r.error.message, /is full \(40 posts\)/);
    const items = await b.fetch(bob, 0, 100, Date.now());
    assert.equal(items.length, 40);
    assert.deepEqual(items.map((i) => i.id), [...items.map((i) => i.id)].sort((x, y) => x - y), 'one queue, in id order');

    await a.setAllowed(bob, ['tag-1']);
    assert.equal(await b.isAllowed(bob, 'tag-1'), true, 'an allow list set through one relay holds at the other');
    await b.setAllowed(bob, []);
    assert.equal(await a.isAllowed(bob, 'tag-1'), false);
    await Promise.all([a.close(), b.close()]);
  });

  test('an unreachable database fails the start with its reason', async () => {
    await assert.rejects(openPostgresStore({ databaseUrl: `postgres://bw@127.0.0.1:${server.port}/no_such_db`, ...SMALL }), /no_such_db/);
  });

  // Without the fix every call during the outage rejected with pg's own error, which the relay answers 'internal' (a
  // bug on its side) instead of 'unavailable', which clients retry.
  test('a database that goes away mid-run: a put in flight and every call after it answer unavailable, never internal', { timeout: 60_000 }, async () => {
    const own = await startPostgres(); // its own server: stopping the shared one would end the other cases
    try {
      const databaseUrl = await own.createDatabase('outage');
      const store = await openPostgresStore({ databaseUrl, ...SMALL });
      stored(await put(store, bob, alice, 'before'), 'while the database is up');
      // A put that is inside its commit when the server stops: it waits on bob's advisory lock, held here.
      const holder = new pg.Client({ connectionString: databaseUrl });
      holder.on('error', () => {}); // it is cut too when the server stops
      await holder.connect();
      await holder.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [bob]);
      const inFlight = put(store, bob, mallory, 'in flight');
      for (let i = 0; i < 100; i++) {
        const waiting = await holder.query("SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted");
        if (Number(waiting.rows[0].n) > 0) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      const settled = inFlight.then(() => undefined, (e: unknown) => e);
      await own.stop(); // fast shutdown: the put's connection is terminated (57P01), then nothing listens on the port
      const unavailable = (e: unknown, what: string) => {
        assert.ok(isBwError(e, 'unavailable'), `${what}: ${String((e as Error)?.stack ?? e)}`);
        assert.equal(toFailure(e).code, 'unavailable');
        assert.doesNotMatch(e.message, /127\.0\.0\.1|ECONN|57P01/, `${what}: says what to do, not where the database is`);
      };
      unavailable(await settled, 'the put in flight');
      const calls: [string, () => Promise<unknown>][] = [
        ['putMany', () => store.putMany([row(bob, alice, 'during')])],
        ['fetch', () => store.fetch(bob, 0, 10, Date.now())],
        ['ack', () => store.ack(bob, [1])],
        ['count', () => store.count(bob, Date.now())],
        ['depth', () => store.depth(Date.now())],
        ['setAllowed', () => store.setAllowed(bob, ['tag'])],
        ['isAllowed', () => store.isAllowed(bob, 'tag')],
        ['purgeExpired', () => store.purgeExpired(Date.now())],
      ];
      for (const [what, call] of calls) unavailable(await call().then(() => assert.fail(`${what} answered during the outage`), (e: unknown) => e), what);
      await store.close();
      await holder.end().catch(() => {});
    } finally {
      await own.stop();
    }
  });

  test('a genuine fault (a table gone from under the relay) stays internal: only connection trouble is unavailable', async () => {
    const databaseUrl = await freshDb();
    const store = await openPostgresStore({ databaseUrl, ...SMALL });
    const pool = openPool(databaseUrl);
    await pool.query('DROP TABLE mailbox CASCADE');
    await pool.end();
    const e = await store.fetch(bob, 0, 10, Date.now()).then(() => assert.fail('fetch answered'), (x: unknown) => x);
    assert.equal(isBwError(e, 'unavailable'), false, String(e));
    assert.equal(toFailure(e).code, 'internal');
    await store.close();
  });
});
