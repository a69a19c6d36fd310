// Owns the passphrase-encrypted backup: v1 (both secrets and the name) and v2 (also friends, blocked keys, profile card and stream floors); scrypt + XChaCha20-Poly1305.
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { scrypt } from '@noble/hashes/scrypt.js';
import * as v from 'valibot';
import { BwError } from '../errors.js';
import { concat, fromB64u, fromUtf8, toB64u, utf8 } from '../bytes.js';
import { defaultRng, KEY_LEN, MAX_NAME_LEN, type Identity, type Rng } from './identity.js';
import { LABEL } from './kdf.js';
import { MAX_CONTENT_BYTES, openItem } from './content.js';
import { blobId } from './blob.js';

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

function backupKey(passphrase: Uint8Array, salt: Uint8Array, log2N: number, label: string = LABEL.backup): Uint8Array {
  // maxmem above noble's 1 GiB default so the largest accepted cost (2^20) never trips it; our bound is log2N.
  return scrypt(passphrase, concat(salt, utf8(label)), { N: 2 ** log2N, r: SCRYPT_R, p: SCRYPT_P, dkLen: 32, maxmem: 2 ** 31 });
}

/** log2 of the scrypt N asked for, checked against the bounds import accepts. */
function checkCost(opts: BackupOptions): number {
  const n = opts.scryptN ?? DEFAULT_SCRYPT_N;
  const log2N = Math.log2(n);
  if (!Number.isInteger(log2N) || log2N < MIN_LOG2_N || log2N > MAX_LOG2_N) {
    throw new BwError('bad-encoding', `scrypt N must be a power of two from 2^${MIN_LOG2_N} to 2^${MAX_LOG2_N}, got ${n}`);
  }
  return log2N;
}

/** Encrypts an identity's secrets and name under a passphrase; returns the printable backup text. */
export function exportBackup(identity: Identity, passphrase: string, opts: BackupOptions = {}): string {
  const pass = checkPassphrase(passphrase);
  const log2N = checkCost(opts);
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

// ---- v2 ---------------------------------------------------------------------------------------

/**
 * Backup v2 text: `bwbackup2.` ‖ base64url(bytes), the v1 layout with version = 2 and another label:
 *
 * | off | len | field                                                                  |
 * |-----|-----|------------------------------------------------------------------------|
 * | 0   | 1   | version = 2                                                            |
 * | 1   | 1   | log2 N (scrypt cost), 10..20                                           |
 * | 2   | 16  | salt (random per backup)                                               |
 * | 18  | 24  | nonce (XChaCha20, random per backup)                                   |
 * | 42  | n+16| XChaCha20-Poly1305(key, nonce, AAD = bytes 0..42) of the plaintext    |
 *
 * key = scrypt(NFKD(passphrase), salt ‖ LABEL.backupV2, N, r = 8, p = 1, dkLen = 32) (RFC 7914).
 *
 * The plaintext is UTF-8 JSON without whitespace, its keys in this order (BackupPlainSchema checks it on import):
 * `{"v":2,"name","sigSecret","dhSecret","created","seq","card"?,"avatar"?,"friends":[…],"blocked":[…],"invites":[…]}`
 * - sigSecret, dhSecret: my two 32-byte secrets (base64url). Public keys and every pair key are derived again on import.
 * - created: when the identity was made (ms). seq: the highest post number this device had used (my own counter).
 * - card: my signed profile item (content.ts), verified on import; avatar: its encrypted avatar blob (blob.ts, ≤
 *   MAX_BACKUP_AVATAR_BYTES, checked against the card's avatar id), when this device held it.
 * - friends: `{"sigPub","dhPub","name","status","added","streamOut"?,"invite"?:{"token","relay","expires"}}`, one per
 *   friend: their public keys, the name I know them by, 'pending' or 'mutual', when added, the last number of my
 *   stream to them (envelope v2), and for a pending friend the invite I answered (to repeat the friend request).
 * - blocked: `{"key","at"}`; invites: my open invites `{"token","expires"}` (a friend request may still answer one).
 * Nothing derived (pair keys, mailbox capabilities), no posts, no audience lists and no friends' cards are stored.
 */
export const BACKUP_V2_VERSION = 2;
export const BACKUP_V2_PREFIX = `bwbackup${BACKUP_V2_VERSION}.`;
/** As many friends as the relay lets one connection watch (LIMITS.maxWatchKeys). */
export const MAX_BACKUP_FRIENDS = 1000;
export const MAX_BACKUP_BLOCKED = 1000;
/** As many open invites as the relay accepts tags for (LIMITS.maxInviteTags). */
export const MAX_BACKUP_INVITES = 100;
/** An avatar file is ≤ 40 KB (client/image.ts) plus BLOB_OVERHEAD (42): 48 KiB leaves room. */
export const MAX_BACKUP_AVATAR_BYTES = 48 * 1024;
/**
 * The plaintext: a typical friend is ~250 bytes of JSON and a blocked key ~60, so 1,000 of each with a full avatar
 * (64 KiB as base64url) and a card come to ~400 KiB; 1 MiB bounds what import decrypts and parses. Over it: 'oversize'.
 */
export const MAX_BACKUP_V2_PLAIN = 1024 * 1024;
const MAX_BACKUP_V2_CHARS = BACKUP_V2_PREFIX.length + Math.ceil(((OFF_BOX + MAX_BACKUP_V2_PLAIN + TAG_LEN) * 4) / 3);
/** A relay URL inside an invite (the whole invite code is at most 2048 characters). */
const MAX_RELAY_CHARS = 2048;

export interface BackupFriend {
  sigPub: Uint8Array;
  dhPub: Uint8Array;
  name: string;
  status: 'pending' | 'mutual';
  added: number;
  /** The last number I used in my stream to them (envelope v2); absent if I never sent them one. */
  streamOut?: number;
  /** While pending: the invite of theirs I answered. */
  invite?: { token: Uint8Array; relay: string; expires: number };
}

/** What a backup carries (v1: the identity alone; the lists are empty and seq 0). */
export interface BackupContents {
  identity: Identity;
  /** When the identity was made; absent in v1. */
  created?: number;
  /** The highest post number of mine the exporting device had used; 0 if unknown (v1). */
  seq: number;
  /** My signed profile item (content.ts), verified: signed by me, kind 'profile'. */
  card?: Uint8Array;
  /** The encrypted avatar blob the card names (its id checked). */
  avatar?: Uint8Array;
  friends: BackupFriend[];
  /** Peer ids (base64url keys) I blocked, and when. */
  blocked: { key: string; at: number }[];
  /** My open invites: token (base64url) and expiry. */
  invites: { token: string; expires: number }[];
}

const Key32 = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/, 'must be a 43-char base64url 32-byte value'));
const Token16 = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{21}[AQgw]$/, 'must be a 22-char base64url 16-byte token'));
const B64u = (maxBytes: number) => v.pipe(v.string(), v.maxLength(Math.ceil((maxBytes * 4) / 3)), v.regex(/^[A-Za-z0-9_-]+$/, 'must be base64url'));
const Ms = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER));
const Name = v.pipe(v.string(), v.maxLength(MAX_NAME_LEN));

/** The v2 plaintext, as JSON. Unknown fields are refused: a later format gets a new version byte. */
export const BackupPlainSchema = v.strictObject({
  v: v.literal(BACKUP_V2_VERSION),
  name: Name,
  sigSecret: Key32,
  dhSecret: Key32,
  created: Ms,
  seq: Ms,
  card: v.optional(B64u(MAX_CONTENT_BYTES)),
  avatar: v.optional(B64u(MAX_BACKUP_AVATAR_BYTES)),
  friends: v.pipe(
    v.array(v.strictObject({
      sigPub: Key32,
      dhPub: Key32,
      name: Name,
      status: v.picklist(['pending', 'mutual']),
      added: Ms,
      streamOut: v.optional(Ms),
      invite: v.optional(v.strictObject({ token: Token16, relay: v.pipe(v.string(), v.maxLength(MAX_RELAY_CHARS)), expires: Ms })),
    })),
    v.maxLength(MAX_BACKUP_FRIENDS),
  ),
  blocked: v.pipe(v.array(v.strictObject({ key: Key32, at: Ms })), v.maxLength(MAX_BACKUP_BLOCKED)),
  invites: v.pipe(v.array(v.strictObject({ token: Token16, expires: Ms })), v.maxLength(MAX_BACKUP_INVITES)),
});
export type BackupPlain = v.InferOutput<typeof BackupPlainSchema>;

/** The canonical plaintext object: keys in the documented order, optional fields only when present. */
function toPlain(c: BackupContents): BackupPlain {
  return {
    v: BACKUP_V2_VERSION,
    name: c.identity.name,
    sigSecret: toB64u(c.identity.sigSecret),
    dhSecret: toB64u(c.identity.dhSecret),
    created: c.created ?? 0,
    seq: c.seq,
    ...(c.card && { card: toB64u(c.card) }),
    ...(c.avatar && { avatar: toB64u(c.avatar) }),
    friends: c.friends.map((f) => ({
      sigPub: toB64u(f.sigPub),
      dhPub: toB64u(f.dhPub),
      name: f.name,
      status: f.status,
      added: f.added,
      ...(f.streamOut !== undefined && { streamOut: f.streamOut }),
      ...(f.invite && { invite: { token: toB64u(f.invite.token), relay: f.invite.relay, expires: f.invite.expires } }),
    })),
    blocked: c.blocked.map((b) => ({ key: b.key, at: b.at })),
    invites: c.invites.map((i) => ({ token: i.token, expires: i.expires })),
  };
}

/** Any way the plaintext is wrong, once decrypted: one code, the field named. */
const corrupt = (what: string): BwError => new BwError('bad-encoding', `backup is damaged: ${what}`);

/** Checks a plaintext against the schema and the rules between its fields; a failure is 'bad-encoding' naming the field. */
function fromPlain(json: unknown): BackupContents {
  const r = v.safeParse(BackupPlainSchema, json);
  if (!r.success) {
    const issue = r.issues[0];
    throw corrupt(`${issue.path?.map((p) => String(p.key)).join('.') || '(root)'}: ${issue.message}`);
  }
  const p = r.output;
  const sigSecret = fromB64u(p.sigSecret, 'sigSecret');
  const dhSecret = fromB64u(p.dhSecret, 'dhSecret');
  const identity: Identity = { name: p.name, sigSecret, sigPub: ed25519.getPublicKey(sigSecret), dhSecret, dhPub: x25519.getPublicKey(dhSecret) };
  const mine = toB64u(identity.sigPub);
  const keys = new Set<string>();
  for (const [i, f] of p.friends.entries()) {
    if (f.sigPub === mine) throw corrupt(`friends.${i}: is me`);
    if (keys.has(f.sigPub)) throw corrupt(`friends.${i}: appears twice`);
    keys.add(f.sigPub);
  }
  for (const [i, b] of p.blocked.entries()) if (b.key === mine || keys.has(b.key)) throw corrupt(`blocked.${i}: is me or a friend`);
  let card: Uint8Array | undefined;
  let avatarId: string | undefined;
  if (p.card !== undefined) {
    card = fromB64u(p.card, 'card');
    let s;
    try {
      s = openItem(card);
    } catch (e) {
      throw corrupt(`card: ${e instanceof BwError ? e.message : 'unreadable'}`);
    }
    if (toB64u(s.signer) !== mine || s.item.kind !== 'profile') throw corrupt('card: not my profile card');
    avatarId = s.item.avatar?.id;
  }
  let avatar: Uint8Array | undefined;
  if (p.avatar !== undefined) {
    avatar = fromB64u(p.avatar, 'avatar');
    if (avatar.length > MAX_BACKUP_AVATAR_BYTES) throw corrupt('avatar: too large');
    if (!avatarId || blobId(avatar) !== avatarId) throw corrupt('avatar: not the one the card names');
  }
  return {
    identity,
    created: p.created,
    seq: p.seq,
    ...(card && { card }),
    ...(avatar && { avatar }),
    friends: p.friends.map((f) => ({
      sigPub: fromB64u(f.sigPub, 'friend key'),
      dhPub: fromB64u(f.dhPub, 'friend key'),
      name: f.name,
      status: f.status,
      added: f.added,
      ...(f.streamOut !== undefined && { streamOut: f.streamOut }),
      ...(f.invite && { invite: { token: fromB64u(f.invite.token, 'invite token'), relay: f.invite.relay, expires: f.invite.expires } }),
    })),
    blocked: p.blocked,
    invites: p.invites,
  };
}

/** The v2 plaintext bytes (exported for the vectors); refuses what import would refuse, 'oversize' past the limits. */
export function encodeBackupPlain(c: BackupContents): Uint8Array {
  if (c.identity.sigSecret.length !== KEY_LEN || c.identity.dhSecret.length !== KEY_LEN) throw new BwError('bad-encoding', `identity secrets must be ${KEY_LEN} bytes`);
  if (c.identity.name.length > MAX_NAME_LEN) throw new BwError('oversize', `name is over ${MAX_NAME_LEN} characters`);
  if (c.friends.length > MAX_BACKUP_FRIENDS) throw new BwError('oversize', `a backup holds at most ${MAX_BACKUP_FRIENDS} friends`);
  if (c.blocked.length > MAX_BACKUP_BLOCKED) throw new BwError('oversize', `a backup holds at most ${MAX_BACKUP_BLOCKED} blocked keys`);
  if (c.invites.length > MAX_BACKUP_INVITES) throw new BwError('oversize', `a backup holds at most ${MAX_BACKUP_INVITES} open invites`);
  if (c.avatar && c.avatar.length > MAX_BACKUP_AVATAR_BYTES) throw new BwError('oversize', `avatar blob is over ${MAX_BACKUP_AVATAR_BYTES} bytes`);
  const plain = toPlain(c);
  const bytes = utf8(JSON.stringify(plain));
  if (bytes.length > MAX_BACKUP_V2_PLAIN) throw new BwError('oversize', `backup is ${bytes.length} bytes, max ${MAX_BACKUP_V2_PLAIN}`);
  fromPlain(plain); // never write what import would refuse
  return bytes;
}

/** Encrypts identity, friends, blocked keys, open invites and profile card under a passphrase (backup v2 text). */
export function exportBackupV2(contents: BackupContents, passphrase: string, opts: BackupOptions = {}): string {
  const pass = checkPassphrase(passphrase);
  const log2N = checkCost(opts);
  const plain = encodeBackupPlain(contents);
  const rng = opts.rng ?? defaultRng;
  const salt = rng(SALT_LEN);
  const nonce = rng(NONCE_LEN);
  const header = concat(new Uint8Array([BACKUP_V2_VERSION, log2N]), salt, nonce);
  const box = xchacha20poly1305(backupKey(pass, salt, log2N, LABEL.backupV2), nonce, header).encrypt(plain);
  return BACKUP_V2_PREFIX + toB64u(concat(header, box));
}

function importV2(t: string, pass: Uint8Array): BackupContents {
  if (t.length > MAX_BACKUP_V2_CHARS) throw new BwError('oversize', `backup is over ${MAX_BACKUP_V2_CHARS} characters`);
  const bytes = fromB64u(t.slice(BACKUP_V2_PREFIX.length), 'backup');
  if (bytes.length < 1) throw new BwError('bad-encoding', 'backup is empty');
  if (bytes[0] !== BACKUP_V2_VERSION) throw new BwError('bad-version', `unknown backup version ${bytes[0]}`);
  if (bytes.length < OFF_BOX + TAG_LEN + 2) throw new BwError('bad-encoding', `backup is ${bytes.length} bytes, too short`);
  const log2N = bytes[OFF_LOG2N]!;
  if (log2N < MIN_LOG2_N || log2N > MAX_LOG2_N) throw new BwError('bad-encoding', `backup scrypt cost 2^${log2N} is outside 2^${MIN_LOG2_N}..2^${MAX_LOG2_N}`);
  const header = bytes.subarray(0, OFF_BOX);
  let plain: Uint8Array;
  try {
    plain = xchacha20poly1305(backupKey(pass, bytes.subarray(OFF_SALT, OFF_NONCE), log2N, LABEL.backupV2), bytes.subarray(OFF_NONCE, OFF_BOX), header).decrypt(bytes.subarray(OFF_BOX));
  } catch {
    throw new BwError('wrong-passphrase', 'wrong passphrase or damaged backup');
  }
  let json: unknown;
  try {
    json = JSON.parse(fromUtf8(plain, 'backup'));
  } catch {
    throw corrupt('not UTF-8 JSON');
  }
  return fromPlain(json);
}

/**
 * Decrypts a backup of either version: v2 gives everything it carries, v1 the identity alone (no friends, seq 0).
 * Refusals: 'wrong-passphrase' (or a tampered ciphertext), 'bad-version', 'oversize', 'bad-encoding' (not a backup, or
 * damaged), 'bad-frame' (empty passphrase). Prefix, version, length and cost are checked before scrypt runs.
 */
export function openBackup(text: string, passphrase: string): BackupContents {
  const pass = checkPassphrase(passphrase);
  if (typeof text === 'string' && text.trim().startsWith(BACKUP_V2_PREFIX)) return importV2(text.trim(), pass);
  const identity = importBackup(text, passphrase);
  return { identity, seq: 0, friends: [], blocked: [], invites: [] };
}
