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
