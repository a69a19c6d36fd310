// Key-backup helpers and case tables, shared by test/node/backup.test.ts and the Chromium suite.
import { BACKUP_PREFIX, importBackup } from '../../shared/crypto/backup.js';
import { concat, fromB64u, toB64u } from '../../shared/bytes.js';
import type { RejectionCase } from './util.js';

/** The smallest scrypt cost export accepts (shared/crypto/backup.ts MIN_LOG2_N): keeps tests fast. */
export const TEST_SCRYPT_N = 2 ** 10;

export const bytesOf = (text: string): Uint8Array => fromB64u(text.slice(BACKUP_PREFIX.length));
export const textOf = (bytes: Uint8Array): string => BACKUP_PREFIX + toB64u(bytes);
/** Edits the decoded bytes of a backup and re-encodes it. */
export function edit(text: string, f: (b: Uint8Array) => void): string {
  const b = bytesOf(text);
  f(b);
  return textOf(b);
}

/** Texts that are no v1 backup at all, built around a valid `backup`: each → bad-encoding. */
export function garbageBackups(backup: string): [what: string, text: string][] {
  return [
    ['empty', ''],
    ['words', 'this is not a backup'],
    ['no prefix', backup.slice(BACKUP_PREFIX.length)],
    ['other prefix', 'bw1.' + backup.slice(BACKUP_PREFIX.length)],
    ['prefix only', BACKUP_PREFIX],
    ['not base64url', backup.slice(0, -2) + '+/'],
    ['padding', backup + '=='],
    ['length % 4 == 1', BACKUP_PREFIX + 'AAAAA'],
    ['truncated header', textOf(bytesOf(backup).subarray(0, 41))],
    ['header only', textOf(bytesOf(backup).subarray(0, 42))],
    ['one byte short of the minimum', textOf(bytesOf(backup).subarray(0, 42 + 64 + 15))],
    ['far too long', BACKUP_PREFIX + 'A'.repeat(100_000)],
  ];
}

/** Every import refusal of a valid `backup` made under `pass` (at TEST_SCRYPT_N): wrong passphrase, tampering, version, garbage. */
export function backupRejections(backup: string, pass: string): RejectionCase[] {
  const len = bytesOf(backup).length;
  return [
    ...[pass.slice(0, -1), pass.toUpperCase(), ' ' + pass, 'nope'].map((p): RejectionCase => ({ what: `passphrase ${JSON.stringify(p)}`, code: 'wrong-passphrase', run: () => importBackup(backup, p) })),
    ...[2, 17, 18, 41, 42, 42 + 32, 42 + 64, len - 1].map((at): RejectionCase => ({ what: `byte ${at} flipped`, code: 'wrong-passphrase', run: () => importBackup(edit(backup, (b) => void (b[at]! ^= 1)), pass) })),
    { what: 'cost byte 2^10 → 2^11 (authenticated)', code: 'wrong-passphrase', run: () => importBackup(edit(backup, (b) => void (b[1] = 11)), pass) },
    { what: 'last byte cut', code: 'wrong-passphrase', run: () => importBackup(textOf(bytesOf(backup).subarray(0, len - 1)), pass) },
    { what: 'byte appended', code: 'wrong-passphrase', run: () => importBackup(textOf(concat(bytesOf(backup), Uint8Array.of(0))), pass) },
    ...[0, 2, 255].map((v): RejectionCase => ({ what: `version byte ${v}`, code: 'bad-version', run: () => importBackup(edit(backup, (b) => void (b[0] = v)), pass) })),
    { what: 'prefix bwbackup2.', code: 'bad-version', run: () => importBackup('bwbackup2.' + backup.slice(BACKUP_PREFIX.length), pass) },
    ...garbageBackups(backup).map(([what, text]): RejectionCase => ({ what, code: 'bad-encoding', run: () => importBackup(text, pass) })),
    ...[9, 21, 255].map((log2N): RejectionCase => ({ what: `scrypt cost 2^${log2N}`, code: 'bad-encoding', run: () => importBackup(edit(backup, (b) => void (b[1] = log2N)), pass) })),
    { what: 'empty passphrase', code: 'bad-frame', run: () => importBackup(backup, '') },
  ];
}
