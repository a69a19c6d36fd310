// Key backup v1: round trip, the documented layout, and every refusal with its code (small scrypt N to stay fast).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { scrypt } from '@noble/hashes/scrypt.js';
import { BACKUP_PREFIX, exportBackup, importBackup } from '../../shared/crypto/backup.js';
import { generateIdentity } from '../../shared/crypto/identity.js';
import { LABEL } from '../../shared/crypto/kdf.js';
import { concat, utf8 } from '../../shared/bytes.js';
// Helpers and case tables are shared with the Chromium suite (test/browser/crypto.test.ts).
import { backupRejections, bytesOf, edit, garbageBackups, textOf } from '../cases/backup.js';
import { queueRng, seqBytes, throwsCode } from './helpers.js';

const N = 2 ** 10;
const PASS = 'correct horse battery staple';
const me = generateIdentity('Zoë 🧠');

describe('backup', () => {
  const backup = exportBackup(me, PASS, { scryptN: N });

  test('round trip restores secrets, recomputed public keys and the name', () => {
    assert.ok(backup.startsWith('bwbackup1.'));
    const back = importBackup(backup, PASS);
    assert.deepEqual(back, me);
    assert.deepEqual(back.sigPub, me.sigPub, 'Ed25519 public key recomputed');
    assert.deepEqual(back.dhPub, me.dhPub, 'X25519 public key recomputed');
    assert.equal(back.name, 'Zoë 🧠');
    // Surrounding whitespace from a copied file is tolerated.
    assert.deepEqual(importBackup(`\n  ${backup}\n`, PASS), me);
  });

  test('the passphrase is NFKD-normalised: composed and decomposed forms open the same backup', () => {
    const composed = 'caf\u00e9 \ufb01'; // é and the ﬁ ligature
    const decomposed = 'cafe\u0301 fi';
    const b = exportBackup(me, composed, { scryptN: N });
    assert.deepEqual(importBackup(b, decomposed), me);
  });

  test('the bytes follow the documented layout and key derivation (independent decryption)', () => {
    const salt = seqBytes(16, 0x10);
    const nonce = seqBytes(24, 0x40);
    const text = exportBackup(me, PASS, { scryptN: N, rng: queueRng(salt, nonce) });
    assert.equal(text, exportBackup(me, PASS, { scryptN: N, rng: queueRng(salt, nonce) }), 'deterministic given the rng');
    const b = bytesOf(text);
    assert.equal(b[0], 1, 'version');
    assert.equal(b[1], 10, 'log2 N');
    assert.deepEqual(b.subarray(2, 18), salt);
    assert.deepEqual(b.subarray(18, 42), nonce);
    const key = scrypt(utf8(PASS.normalize('NFKD')), concat(salt, utf8(LABEL.backup)), { N, r: 8, p: 1, dkLen: 32 });
    const plain = xchacha20poly1305(key, nonce, b.subarray(0, 42)).decrypt(b.subarray(42));
    assert.deepEqual(plain, concat(me.sigSecret, me.dhSecret, utf8(me.name)));
  });

  test('a fresh salt and nonce per export', () => {
    const other = exportBackup(me, PASS, { scryptN: N });
    assert.notEqual(other, backup);
    assert.notDeepEqual(bytesOf(other).subarray(2, 18), bytesOf(backup).subarray(2, 18));
  });

  test('a wrong passphrase → wrong-passphrase, saying so', () => {
    for (const p of ['correct horse battery stapl', 'Correct horse battery staple', ' ' + PASS]) {
      throwsCode(() => importBackup(backup, p), 'wrong-passphrase', JSON.stringify(p));
    }
    assert.throws(() => importBackup(backup, 'nope'), /wrong passphrase or damaged backup/);
  });

  test('any tampered byte after the version and cost → wrong-passphrase', () => {
    const len = bytesOf(backup).length;
    for (const at of [2, 17, 18, 41, 42, 42 + 32, 42 + 64, len - 1]) {
      throwsCode(() => importBackup(edit(backup, (b) => void (b[at]! ^= 1)), PASS), 'wrong-passphrase', `byte ${at}`);
    }
    // The cost byte is authenticated too: a different (valid) N derives another key.
    throwsCode(() => importBackup(edit(backup, (b) => void (b[1] = 11)), PASS), 'wrong-passphrase', 'log2 N 10 → 11');
    // Cut or extended ciphertext.
    throwsCode(() => importBackup(textOf(bytesOf(backup).subarray(0, len - 1)), PASS), 'wrong-passphrase', 'last byte cut');
    throwsCode(() => importBackup(textOf(concat(bytesOf(backup), Uint8Array.of(0))), PASS), 'wrong-passphrase', 'byte appended');
  });

  test('an unknown version → bad-version (in the byte or in the prefix)', () => {
    for (const v of [0, 2, 255]) throwsCode(() => importBackup(edit(backup, (b) => void (b[0] = v)), PASS), 'bad-version', `version byte ${v}`);
    throwsCode(() => importBackup('bwbackup2.' + backup.slice(BACKUP_PREFIX.length), PASS), 'bad-version', 'prefix bwbackup2.');
  });

  test('garbage → bad-encoding', () => {
    const cases = garbageBackups(backup);
    for (const [what, t] of cases) throwsCode(() => importBackup(t, PASS), 'bad-encoding', what);
    throwsCode(() => importBackup(undefined as unknown as string, PASS), 'bad-encoding', 'not a string');
  });

  test('a scrypt cost outside 2^10..2^20 → bad-encoding, before any work is done', () => {
    for (const log2N of [0, 1, 9, 21, 31, 64, 255]) {
      const t0 = performance.now();
      throwsCode(() => importBackup(edit(backup, (b) => void (b[1] = log2N)), PASS), 'bad-encoding', `log2 N ${log2N}`);
      assert.ok(performance.now() - t0 < 100, `log2 N ${log2N} refused quickly`);
    }
  });

  test('export refuses an empty passphrase (bad-frame) and a cost out of range (bad-encoding)', () => {
    throwsCode(() => exportBackup(me, '', { scryptN: N }), 'bad-frame', 'export, empty');
    throwsCode(() => importBackup(backup, ''), 'bad-frame', 'import, empty');
    for (const n of [2 ** 9, 2 ** 21, 1000, 0, -1, NaN]) throwsCode(() => exportBackup(me, PASS, { scryptN: n }), 'bad-encoding', `N ${n}`);
  });

  test('an empty name and a 64-character name both round trip; a longer name is refused', () => {
    const blank = { ...me, name: '' };
    assert.deepEqual(importBackup(exportBackup(blank, PASS, { scryptN: N }), PASS), blank);
    const long = { ...me, name: '語'.repeat(64) };
    assert.deepEqual(importBackup(exportBackup(long, PASS, { scryptN: N }), PASS), long);
    throwsCode(() => exportBackup({ ...me, name: '語'.repeat(65) }, PASS, { scryptN: N }), 'oversize');
  });
});

describe('the shared rejection table (test/cases/backup.ts, also run in Chromium)', () => {
  test('every case fails with its code', () => {
    const cases = backupRejections(exportBackup(me, PASS, { scryptN: N }), PASS);
    for (const code of ['wrong-passphrase', 'bad-version', 'bad-encoding'] as const) assert.ok(cases.some((c) => c.code === code), `the table has a ${code} case`);
    for (const c of cases) throwsCode(c.run, c.code, c.what);
  });
});
