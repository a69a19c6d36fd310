// The relay's image blob stores on real storage: the shared contract (test/cases/blob-store-suite.ts) against SQLite
// and against a throwaway PostgreSQL server, then what is PostgreSQL's own: the blob tables arriving by migration on a
// mailbox-only database, and the sender quota and the blobs themselves shared by two relay processes on one database.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { isBwError, toFailure } from '../../shared/errors.js';
import { openSqliteBlobStore } from '../../signaling/store/blobs-sqlite.js';
import { openPostgresBlobStore } from '../../signaling/store/blobs-postgres.js';
import { migrate, MIGRATIONS, openPool } from '../../signaling/store/postgres.js';
import { blob, blobCases, bytesOf, NOW, readAll, ROOMY, type BlobBackend } from '../cases/blob-store-suite.js';
import { key } from '../cases/mailbox-store-suite.js';
import { startPostgres, type PostgresServer } from '../db-servers.js';
import { tempDir } from '../temp.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const [alice, bob, carol] = ['alice', 'bob', 'carol'].map(key) as [string, string, string];

const sqlite: BlobBackend = {
  async fresh() {
    const dataDir = tempDir('bw-blob-store-test');
    dirs.push(dataDir);
    return { store: openSqliteBlobStore({ dataDir }), reopen: async () => openSqliteBlobStore({ dataDir }) };
  },
};

describe('SQLite blob store', () => {
  for (const c of blobCases) test(c.what, () => c.run(sqlite));
});

describe('PostgreSQL blob store', () => {
  let server: PostgresServer;
  let n = 0;
  /** A fresh database per case on the one server this file starts. */
  const freshDb = () => server.createDatabase(`blobs_${process.pid}_${n++}`);
  const postgres: BlobBackend = {
    async fresh() {
      const databaseUrl = await freshDb();
      return { store: await openPostgresBlobStore({ databaseUrl }), reopen: () => openPostgresBlobStore({ databaseUrl }) };
    },
  };
  before(async () => {
    server = await startPostgres(); // fails with how to install PostgreSQL when it is missing
  });
  after(() => server?.stop());

  for (const c of blobCases) test(c.what, () => c.run(postgres));

  test('a mailbox-only database (schema version 2) gains the blob tables at start and keeps its posts', async () => {
    const databaseUrl = await freshDb();
    const pool = openPool(databaseUrl);
    assert.equal(await migrate(pool, 2), 2);
    await pool.query('INSERT INTO mailbox (recipient, sender, env, expires) VALUES ($1, $2, $3, $4)', [bob, alice, 'old', NOW]);
    await pool.end();

    const store = await openPostgresBlobStore({ databaseUrl });
    const x = blob(alice, [bob], bytesOf(100));
    await store.put(x, 1000, NOW);
    assert.deepEqual(await readAll(store, x.id, bob), x.data);
    await store.close();
    const check = openPool(databaseUrl);
    assert.equal((await check.query('SELECT version FROM bw_schema')).rows[0].version, MIGRATIONS.length);
    assert.equal((await check.query('SELECT COUNT(*)::int AS n FROM mailbox')).rows[0].n, 1);
    // Ciphertext does not compress: stored out of line, uncompressed, so a chunk read fetches only its part.
    const storage = (await check.query("SELECT attstorage FROM pg_attribute WHERE attrelid = 'blobs'::regclass AND attname = 'data'")).rows[0].attstorage;
    await check.end();
    assert.equal(storage, 'e');
  });

  test('two relays on one database: the sender quota holds under concurrent puts, and either serves the other’s blobs', async () => {
    const databaseUrl = await freshDb();
    const [a, b] = await Promise.all([openPostgresBlobStore({ databaseUrl }), openPostgresBlobStore({ databaseUrl })]);
    // Alice stores 20 different blobs of 1000 bytes through both relays at once; her quota is 5000.
    const puts = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).put(blob(alice, [bob], bytesOf(1000, i + 1)), 5000, NOW)));
    assert.equal(puts.filter((p) => p.status === 'fulfilled').length, 5, 'exactly the quota is stored, however the two interleave');
    for (const p of puts) if (p.status === 'rejected') assert.equal((p.reason as { code?: string }).code, 'quota');
    assert.equal(await a.senderBytes(alice, NOW), 5000);
    assert.equal(await b.senderBytes(alice, NOW), 5000);

    // Stored through one, read, given a new recipient and acked through the other.
    const x = blob(carol, [bob], bytesOf(2500, 99));
    await a.put(x, 5000, NOW);
    assert.deepEqual(await readAll(b, x.id, bob), x.data);
    assert.equal(await b.addRecipients(x.id, carol, [alice], NOW + 3600_000), true);
    assert.equal(await b.ack(bob, [x.id]), 1);
    assert.deepEqual(await readAll(a, x.id, alice), x.data, 'the recipient added through the other relay');
    assert.equal(await a.ack(alice, [x.id]), 1);
    assert.equal((await b.stats(NOW)).blobs, 5, "carol's blob is gone, alice's five remain");
    await Promise.all([a.close(), b.close()]);
  });

  test('an ack by the last recipient racing recipients added through another relay never loses the blob for the new ones', async () => {
    const databaseUrl = await freshDb();
    const [a, b] = await Promise.all([openPostgresBlobStore({ databaseUrl }), openPostgresBlobStore({ databaseUrl })]);
    for (let i = 0; i < 20; i++) {
      const x = blob(alice, [bob], bytesOf(200, 1000 + i));
      await a.put(x, 1 << 30, NOW);
      const [, added] = await Promise.all([a.ack(bob, [x.id]), b.addRecipients(x.id, alice, [carol], NOW + 3600_000)]);
      // Either the ack came first and deleted it (the sender must upload again), or carol can read it.
      if (added) assert.deepEqual(await readAll(b, x.id, carol), x.data, `round ${i}: added, then lost`);
      else assert.equal(await a.read(x.id, carol, 0, 10, NOW), undefined);
    }
    await Promise.all([a.close(), b.close()]);
  });

  test('an unreachable database fails the start with its reason', async () => {
    await assert.rejects(openPostgresBlobStore({ databaseUrl: `postgres://bw@127.0.0.1:${server.port}/no_such_db` }), /no_such_db/);
  });

  // Without the fix every call during the outage rejected with pg's own error, which the relay answers 'internal' (a
  // bug on its side) instead of 'unavailable', which clients retry.
  test('a database that goes away mid-run: every call answers unavailable, never internal', { timeout: 60_000 }, async () => {
    const own = await startPostgres(); // its own server: stopping the shared one would end the other cases
    try {
      const store = await openPostgresBlobStore({ databaseUrl: await own.createDatabase('outage') });
      const x = blob(alice, [bob], bytesOf(100));
      await store.put(x, ROOMY, NOW);
      await own.stop(); // fast shutdown: the pool's idle connections are terminated, then nothing listens on the port
      const calls: [string, () => Promise<unknown>][] = [
        ['put', () => store.put(blob(alice, [bob], bytesOf(200)), ROOMY, NOW)],
        ['addRecipients', () => store.addRecipients(x.id, alice, [carol], NOW + 3600_000)],
        ['senderBytes', () => store.senderBytes(alice, NOW)],
        ['read', () => store.read(x.id, bob, 0, 10, NOW)],
        ['ack', () => store.ack(bob, [x.id])],
        ['stats', () => store.stats(NOW)],
        ['purgeExpired', () => store.purgeExpired(NOW)],
      ];
      for (const [what, call] of calls) {
        const e = await call().then(() => assert.fail(`${what} answered during the outage`), (x: unknown) => x);
        assert.ok(isBwError(e, 'unavailable'), `${what}: ${String((e as Error)?.stack ?? e)}`);
        assert.equal(toFailure(e).code, 'unavailable');
      }
      await store.close();
    } finally {
      await own.stop();
    }
  });

  test('a blob put the quota refuses is still refused with its own code, not taken for an outage', async () => {
    const store = await openPostgresBlobStore({ databaseUrl: await freshDb() });
    await assert.rejects(store.put(blob(alice, [bob], bytesOf(100)), 10, NOW), (e) => isBwError(e, 'quota'));
    await store.close();
  });
});

