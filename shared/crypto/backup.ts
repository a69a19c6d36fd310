// Owns the passphrase-encrypted key backup (v1): scrypt-derived key, XChaCha20-Poly1305 over both secrets and the name.
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { scrypt } from '@noble/hashes/scrypt.js';
import { BwError } from '../errors.js';
import { concat, fromB64u, fromUtf8, toB64u, utf8 } from '../bytes.js';
import { defaultRng, KEY_LEN, MAX_NAME_LEN, type Identity, type Rng } from './identity.js';
import { LABEL } from './kdf.js';

/**
 * Backup v1 text: `bwbackup1.` ‖ base64url(bytes), where bytes are
 *
 * | off | len | field                                                                  |
 * |-----|-----|------------------------------------------------------------------------|
 * | 0   | 1   | version = 1                                                            |
 * | 1   | 1   | log2 N (scrypt cost), 10..20                                           |
 * | 2   | 16  | salt (random per backup)                                               |
 * | 18  | 24  | nonce (XChaCha20, random per backup)                                   |
 * | 42  | n+16| XChaCha20-Poly1305(key, nonce, AAD = bytes 0..42) of                   |
 * |     |     |   Ed25519 secret (32) ‖ X25519 secret (32) ‖ name UTF-8                |
 *
 * key = scrypt(NFKD(passphrase), salt ‖ LABEL.backup, N, r = 8, p = 1, dkLen = 32) (RFC 7914).
 * Public keys are not stored: they are recomputed from the secrets on import.
 */
export const BACKUP_VERSION = 1;
export const BACKUP_PREFIX = `bwbackup${BACKUP_VERSION}.`;
/** 2^17 × 128 × r = 128 MiB and a fraction of a second to a few seconds per guess. */
export const DEFAULT_SCRYPT_N = 2 ** 17;
/** Cost bounds accepted on import; the upper one caps memory (2^20 → 1 GiB) a crafted backup can demand. */
export const MIN_LOG2_N = 10;
export const MAX_LOG2_N = 20;
const SCRYPT_R = 8;
const SCRYPT_P = 1;
const SALT_LEN = 16;
const NONCE_LEN = 24;
const TAG_LEN = 16;
const OFF_LOG2N = 1;
const OFF_SALT = OFF_LOG2N + 1; // 2
const OFF_NONCE = OFF_SALT + SALT_LEN; // 18
const OFF_BOX = OFF_NONCE + NONCE_LEN; // 42
/** A name is at most MAX_NAME_LEN UTF-16 units, hence at most 3 UTF-8 bytes each. */
const MAX_NAME_BYTES = MAX_NAME_LEN * 3;
const MIN_BACKUP_BYTES = OFF_BOX + 2 * KEY_LEN + TAG_LEN; // 122
const MAX_BACKUP_BYTES = MIN_BACKUP_BYTES + MAX_NAME_BYTES; // 314
const MAX_BACKUP_CHARS = BACKUP_PREFIX.length + Math.ceil((MAX_BACKUP_BYTES * 4) / 3);

export interface BackupOptions {
  rng?: Rng;
  /** scrypt N, a power of two between 2^MIN_LOG2_N and 2^MAX_LOG2_N; tests pass 2^10. */
  scryptN?: number;
}

function checkPassphrase(passphrase: string): Uint8Array {
  if (typeof passphrase !== 'string' || passphrase.length === 0) throw new BwError('bad-frame', 'backup passphrase must not be empty');
  // NFKD so the same passphrase typed on another keyboard or OS derives the same key.
  return utf8(passphrase.normalize('NFKD'));
}

function backupKey(passphrase: Uint8Array, salt: Uint8Array, log2N: number): Uint8Array {
  // maxmem above noble's 1 GiB default so the largest accepted cost (2^20) never trips it; our bound is log2N.
  return scrypt(passphrase, concat(salt, utf8(LABEL.backup)), { N: 2 ** log2N, r: SCRYPT_R, p: SCRYPT_P, dkLen: 32, maxmem: 2 ** 31 });
}

/** Encrypts an identity's secrets and name under a passphrase; returns the printable backup text. */
export function exportBackup(identity: Identity, passphrase: string, opts: BackupOptions = {}): string {
  const pass = checkPassphrase(passphrase);
  const n = opts.scryptN ?? DEFAULT_SCRYPT_N;
  const log2N = Math.log2(n);
  if (!Number.isInteger(log2N) || log2N < MIN_LOG2_N || log2N > MAX_LOG2_N) {
    throw new BwError('bad-encoding', `scrypt N must be a power of two from 2^${MIN_LOG2_N} to 2^${MAX_LOG2_N}, got ${n}`);
  }
  if (identity.sigSecret.length !== KEY_LEN || identity.dhSecret.length !== KEY_LEN) throw new BwError('bad-encoding', `identity secrets must be ${KEY_LEN} bytes`);
  const name = utf8(identity.name);
  if (name.length > MAX_NAME_BYTES) throw new BwError('oversize', `name is over ${MAX_NAME_BYTES} bytes`);
  const rng = opts.rng ?? defaultRng;
  const salt = rng(SALT_LEN);
  const nonce = rng(NONCE_LEN);
  const header = concat(new Uint8Array([BACKUP_VERSION, log2N]), salt, nonce);
  const box = xchacha20poly1305(backupKey(pass, salt, log2N), nonce, header).encrypt(concat(identity.sigSecret, identity.dhSecret, name));
  return BACKUP_PREFIX + toB64u(concat(header, box));
}

/** Decrypts a backup text. Checks prefix, version, length and cost before running scrypt. */
export function importBackup(text: string, passphrase: string): Identity {
  const pass = checkPassphrase(passphrase);
  if (typeof text !== 'string') throw new BwError('bad-encoding', 'backup must be text');
  const t = text.trim();
  if (!t.startsWith(BACKUP_PREFIX)) {
    const other = /^bwbackup(\d{1,9})\./.exec(t);
    if (other) throw new BwError('bad-version', `unknown backup version ${other[1]}`);
    throw new BwError('bad-encoding', `backup must start with "${BACKUP_PREFIX}"`);
  }
  if (t.length > MAX_BACKUP_CHARS) throw new BwError('bad-encoding', 'backup is too long');
  const bytes = fromB64u(t.slice(BACKUP_PREFIX.length), 'backup');
  if (bytes.length < 1) throw new BwError('bad-encoding', 'backup is empty');
  if (bytes[0] !== BACKUP_VERSION) throw new BwError('bad-version', `unknown backup version ${bytes[0]}`);
  if (bytes.length < MIN_BACKUP_BYTES) throw new BwError('bad-encoding', `backup is ${bytes.length} bytes, min ${MIN_BACKUP_BYTES}`);
  const log2N = bytes[OFF_LOG2N]!;
  if (log2N < MIN_LOG2_N || log2N > MAX_LOG2_N) throw new BwError('bad-encoding', `backup scrypt cost 2^${log2N} is outside 2^${MIN_LOG2_N}..2^${MAX_LOG2_N}`);
  const header = bytes.subarray(0, OFF_BOX);
  const nonce = bytes.subarray(OFF_NONCE, OFF_BOX);
  let plain: Uint8Array;
  try {
    plain = xchacha20poly1305(backupKey(pass, bytes.subarray(OFF_SALT, OFF_NONCE), log2N), nonce, header).decrypt(bytes.subarray(OFF_BOX));
  } catch {
    throw new BwError('wrong-passphrase', 'wrong passphrase or damaged backup');
  }
  const sigSecret = plain.slice(0, KEY_LEN);
  const dhSecret = plain.slice(KEY_LEN, 2 * KEY_LEN);
  return {
    name: fromUtf8(plain.subarray(2 * KEY_LEN), 'backup name'),
    sigSecret,
    sigPub: ed25519.getPublicKey(sigSecret),
    dhSecret,
    dhPub: x25519.getPublicKey(dhSecret),
  };
}
