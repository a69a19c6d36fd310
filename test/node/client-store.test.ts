// The ClientStore contract (test/cases/store-suite.ts) against the terminal's SQLite store and the in-memory stand-in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { generateIdentity } from '../../shared/crypto/identity.js';
import { openSqliteStore } from '../../cli/sqlite-store.js';
import { memoryStore } from '../cases/memory-store.js';
import { storeCases } from '../cases/store-suite.js';
import { TEST_SCRYPT_N } from '../cases/backup.js';
import { tempDir } from '../temp.js';
import Database from 'better-sqlite3';
import { fromB64u, toB64u } from '../../shared/bytes.js';
import { v1PostId } from '../../shared/crypto/content.js';
import { itemFromV1 } from '../../client/core/items.js';
import type { PostRow } from '../../client/core/types.js';

const sqlite = () => openSqliteStore({ dataDir: ':memory:', passphrase: () => 'pass', backup: { scryptN: TEST_SCRYPT_N } });

for (const c of storeCases) {
  test(`sqlite: ${c.what}`, async () => {
    const s = sqlite();
    try {
      await c.run(s);
    } finally {
      s.close();
    }
  });
  test(`memory stand-in: ${c.what}`, () => c.run(memoryStore()));
}

test('sqlite: the file never holds the secret keys in the clear; a wrong passphrase is refused by name', async () => {
  const dir = tempDir('bw-store');
  try {
    const id = generateIdentity('Ann');
    const s = openSqliteStore({ dataDir: dir, passphrase: () => 'right', backup: { scryptN: TEST_SCRYPT_N } });
    await s.putIdentity({ id: 'me', ...id, created: 1 });
    s.close();
    const file = readFileSync(join(dir, 'client.db'));
    const hex = Buffer.from(id.sigSecret).toString('hex');
    assert.ok(!file.toString('hex').includes(hex) && !file.includes(Buffer.from(id.sigSecret).toString('base64url')), 'secret not in the file');
    const wrong = openSqliteStore({ dataDir: dir, passphrase: () => 'wrong' });
    assert.deepEqual(wrong.peekIdentity()?.name, 'Ann');
    await assert.rejects(wrong.getIdentity(), { code: 'wrong-passphrase' });
    wrong.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sqlite: a database from before content v2 opens, and its posts become feed items (ids every reader derives alike)', async () => {
  const dir = tempDir('bw-store-v1');
  try {
    const author = toB64u(generateIdentity('Ann').sigPub);
    const old = new Database(join(dir, 'client.db'));
    old.exec(`
      CREATE TABLE posts (author TEXT NOT NULL, seq INTEGER NOT NULL, ts INTEGER NOT NULL, row TEXT NOT NULL, PRIMARY KEY (author, seq));
      CREATE INDEX posts_ts ON posts (ts);
      PRAGMA user_version = 1;
    `);
    const row = { author, seq: 3, ts: 30, body: 'from the old days', via: 'relay', received: 31 };
    old.prepare('INSERT INTO posts (author, seq, ts, row) VALUES (?, ?, ?, ?)').run(author, 3, 30, JSON.stringify(row));
    old.close();
    const s = openSqliteStore({ dataDir: dir, passphrase: () => 'pass' });
    const [item] = await s.pagePosts(undefined, 10);
    assert.deepEqual(item, itemFromV1(row as PostRow));
    assert.equal(item!.id, v1PostId(fromB64u(author), 3));
    assert.equal(item!.text, 'from the old days');
    assert.deepEqual((await s.searchPosts('old', 5)).length, 1, 'searchable');
    await s.putItem({ ...item!, text: 'edited since', edited: 40 });
    await s.putPost({ author, seq: 4, ts: 40, body: '', via: 'relay', received: 41, kind: 'reaction', item: 'x' });
    s.close();
    // Even if something sets the schema version back (a merge that restores an old PRAGMA), running the
    // migration again neither undoes an edit nor turns v2 stream rows into posts.
    const raw = new Database(join(dir, 'client.db'));
    raw.pragma('user_version = 1');
    raw.close();
    const again = openSqliteStore({ dataDir: dir, passphrase: () => 'pass' });
    assert.deepEqual((await again.pagePosts(undefined, 10)).map((i) => i.text), ['edited since'], 'migrated once');
    again.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
