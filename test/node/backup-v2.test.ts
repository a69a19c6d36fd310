// Key backup v2: the fixed vectors (test/vectors/backup-v2.json), round trip, v1 still opening, and every refusal with its code.
// BW_WRITE_VECTORS=1 node --test build/test/node/backup-v2.test.js rewrites the vectors file from its inputs.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { scrypt } from '@noble/hashes/scrypt.js';
import {
  BACKUP_V2_PREFIX, encodeBackupPlain, exportBackup, exportBackupV2, MAX_BACKUP_FRIENDS, MAX_BACKUP_V2_PLAIN, openBackup, type BackupContents,
} from '../../shared/crypto/backup.js';
import { generateIdentity, peerId, type Identity } from '../../shared/crypto/identity.js';
import { signItem } from '../../shared/crypto/content.js';
import { blobId } from '../../shared/crypto/blob.js';
import { LABEL } from '../../shared/crypto/kdf.js';
import { concat, fromB64u, toB64u, utf8 } from '../../shared/bytes.js';
import { fromHex, queueRng, seqBytes, throwsCode, toHex } from './helpers.js';

const N = 2 ** 10;
const PASS = 'correct horse battery staple';
const VECTORS = fileURLToPath(new URL('../../../test/vectors/backup-v2.json', import.meta.url));

const idFrom = (name: string, sig: string, dh: string): Identity => generateIdentity(name, queueRng(fromHex(sig), fromHex(dh)));

/** A vector's inputs: everything is fixed, so the backup text is too. */
interface VectorInput {
  what: string;
  secrets: [string, string];
  name: string;
  created: number;
  seq: number;
  /** A profile card to sign (Ed25519 signatures are deterministic), with an avatar blob of these bytes if set. */
  card?: { id: string; ts: number; bio: string; avatarBytes?: string };
  friends: { secrets: [string, string]; name: string; status: 'pending' | 'mutual'; added: number; streamOut?: number; invite?: { token: string; relay: string; expires: number } }[];
  blocked: { key: string; at: number }[];
  invites: { token: string; expires: number }[];
  passphrase: string;
  log2N: number;
  salt: string;
  nonce: string;
}
interface Vector extends VectorInput {
  plaintext: string;
  backup: string;
}

/** The contents a vector's inputs describe. */
function contentsOf(v: VectorInput): BackupContents {
  const identity = idFrom(v.name, ...v.secrets);
  let card: Uint8Array | undefined;
  let avatar: Uint8Array | undefined;
  if (v.card) {
    avatar = v.card.avatarBytes ? fromHex(v.card.avatarBytes) : undefined;
    const ref = avatar && { id: blobId(avatar), key: toB64u(seqBytes(32, 0xe0)), mime: 'image/webp' as const, w: 256, h: 256, bytes: avatar.length };
    card = signItem(identity, { kind: 'profile', id: v.card.id, ts: v.card.ts, name: v.name, bio: v.card.bio, ...(ref && { avatar: ref }) }).bytes;
  }
  return {
    identity,
    created: v.created,
    seq: v.seq,
    ...(card && { card }),
    ...(avatar && { avatar }),
    friends: v.friends.map((f) => {
      const id = idFrom(f.name, ...f.secrets);
      return {
        sigPub: id.sigPub, dhPub: id.dhPub, name: f.name, status: f.status, added: f.added,
        ...(f.streamOut !== undefined && { streamOut: f.streamOut }),
        ...(f.invite && { invite: { token: fromB64u(f.invite.token), relay: f.invite.relay, expires: f.invite.expires } }),
      };
    }),
    blocked: v.blocked,
    invites: v.invites,
  };
}

const exportVector = (v: VectorInput): string => exportBackupV2(contentsOf(v), v.passphrase, { scryptN: 2 ** v.log2N, rng: queueRng(fromHex(v.salt), fromHex(v.nonce)) });

/** Decrypts a v2 backup by the documented layout alone (no code from backup.ts). */
function decryptByHand(text: string, pass: string): Uint8Array {
  const b = fromB64u(text.slice(BACKUP_V2_PREFIX.length));
  const key = scrypt(utf8(pass.normalize('NFKD')), concat(b.subarray(2, 18), utf8(LABEL.backupV2)), { N: 2 ** b[1]!, r: 8, p: 1, dkLen: 32 });
  return xchacha20poly1305(key, b.subarray(18, 42), b.subarray(0, 42)).decrypt(b.subarray(42));
}

/** Encrypts any plaintext the way v2 does (to test what import makes of a well-encrypted but wrong plaintext). */
function encryptByHand(plain: Uint8Array, pass = PASS, version = 2): string {
  const salt = seqBytes(16, 0x10);
  const nonce = seqBytes(24, 0x40);
  const header = concat(Uint8Array.of(version, 10), salt, nonce);
  const key = scrypt(utf8(pass.normalize('NFKD')), concat(salt, utf8(LABEL.backupV2)), { N: 2 ** 10, r: 8, p: 1, dkLen: 32 });
  return BACKUP_V2_PREFIX + toB64u(concat(header, xchacha20poly1305(key, nonce, header).encrypt(plain)));
}

const S = (from: number) => toHex(seqBytes(32, from));
const INPUTS: VectorInput[] = [
  {
    what: 'identity only: no card, no friends',
    secrets: [S(0x01), S(0x21)], name: 'Zoë 🧠', created: 1_700_000_000_000, seq: 0,
    friends: [], blocked: [], invites: [],
    passphrase: PASS, log2N: 10, salt: toHex(seqBytes(16, 0x10)), nonce: toHex(seqBytes(24, 0x40)),
  },
  {
    what: 'card with avatar, a mutual and a pending friend, a blocked key, an open invite',
    secrets: [S(0x01), S(0x21)], name: 'Zoë 🧠', created: 1_700_000_000_000, seq: 1_700_000_500_123,
    card: { id: toB64u(seqBytes(16, 0x90)), ts: 1_700_000_100_000, bio: 'backs up "everything" ✓', avatarBytes: toHex(seqBytes(120, 0x33)) },
    friends: [
      { secrets: [S(0x41), S(0x61)], name: 'Bob', status: 'mutual', added: 1_700_000_200_000, streamOut: 1_700_000_500_124 },
      { secrets: [S(0x81), S(0xa1)], name: 'Cé', status: 'pending', added: 1_700_000_300_000, invite: { token: toB64u(seqBytes(16, 0xc0)), relay: 'https://relay.example', expires: 1_700_086_400_000 } },
    ],
    blocked: [{ key: toB64u(seqBytes(32, 0xd0)), at: 1_700_000_400_000 }],
    invites: [{ token: toB64u(seqBytes(16, 0xf0)), expires: 1_700_604_800_000 }],
    passphrase: 'caf\u00e9 \ufb01', log2N: 10, salt: toHex(seqBytes(16, 0x11)), nonce: toHex(seqBytes(24, 0x41)),
  },
];

if (process.env.BW_WRITE_VECTORS) {
  const vectors = INPUTS.map((v): Vector => {
    const backup = exportVector(v);
    return { ...v, plaintext: new TextDecoder().decode(decryptByHand(backup, v.passphrase)), backup };
  });
  const description = 'BrainWaves key backup v2 fixed vectors: identities from generateIdentity(name, rng) taking sigSecret then dhSecret; export draws salt then nonce. Layout: shared/crypto/backup.ts. Regenerate: BW_WRITE_VECTORS=1 node --test build/test/node/backup-v2.test.js';
  writeFileSync(VECTORS, JSON.stringify({ description, backup: vectors }, null, 2) + '\n');
}

describe('backup v2 fixed vectors (test/vectors/backup-v2.json)', () => {
  const vectors = (JSON.parse(readFileSync(VECTORS, 'utf8')) as { backup: Vector[] }).backup;
  test('the file holds every case', () => assert.equal(vectors.length, INPUTS.length));
  for (const [i, v] of vectors.entries()) {
    test(`vector ${i}: ${v.what}`, () => {
      const where = `vector ${i} (${v.what})`;
      assert.equal(exportVector(v), v.backup, `${where}: backup text, byte for byte`);
      assert.equal(new TextDecoder().decode(decryptByHand(v.backup, v.passphrase)), v.plaintext, `${where}: plaintext by the documented layout`);
      const b = fromB64u(v.backup.slice(BACKUP_V2_PREFIX.length));
      assert.equal(b[0], 2, `${where}: version byte`);
      assert.equal(b[1], v.log2N, `${where}: cost byte`);
      assert.equal(toHex(b.subarray(2, 18)), v.salt, `${where}: salt`);
      assert.equal(toHex(b.subarray(18, 42)), v.nonce, `${where}: nonce`);
      assert.deepEqual(openBackup(v.backup, v.passphrase), contentsOf(v), `${where}: import gives the contents back`);
    });
  }
});

describe('backup v2', () => {
  const full = contentsOf(INPUTS[1]!);
  const text = exportBackupV2(full, PASS, { scryptN: N });
  const me = full.identity;

  test('round trip: secrets, recomputed public keys, friends, card, avatar, blocked keys, invites', () => {
    assert.ok(text.startsWith('bwbackup2.'));
    const back = openBackup(`\n ${text}\n`, PASS);
    assert.deepEqual(back, full);
    assert.deepEqual(back.identity.sigPub, me.sigPub);
    assert.equal(back.friends.length, 2);
  });

  test('v1 backups still open: the identity, with no friends', () => {
    const v1 = exportBackup(me, PASS, { scryptN: N });
    const back = openBackup(v1, PASS);
    assert.deepEqual(back, { identity: me, seq: 0, friends: [], blocked: [], invites: [] });
  });

  test('a wrong passphrase or a tampered byte → wrong-passphrase', () => {
    throwsCode(() => openBackup(text, PASS + ' '), 'wrong-passphrase', 'passphrase');
    const b = fromB64u(text.slice(BACKUP_V2_PREFIX.length));
    for (const at of [1, 2, 18, 42, b.length - 1]) {
      const x = b.slice();
      x[at] = at === 1 ? 11 : x[at]! ^ 1;
      throwsCode(() => openBackup(BACKUP_V2_PREFIX + toB64u(x), PASS), 'wrong-passphrase', `byte ${at}`);
    }
    throwsCode(() => openBackup(BACKUP_V2_PREFIX + toB64u(b.subarray(0, b.length - 1)), PASS), 'wrong-passphrase', 'cut');
    throwsCode(() => openBackup(text, ''), 'bad-frame', 'empty passphrase');
  });

  test('an unknown version → bad-version, in the prefix or the byte', () => {
    throwsCode(() => openBackup('bwbackup3.' + text.slice(BACKUP_V2_PREFIX.length), PASS), 'bad-version', 'prefix bwbackup3.');
    const b = fromB64u(text.slice(BACKUP_V2_PREFIX.length));
    for (const ver of [0, 1, 3, 255]) {
      const x = b.slice();
      x[0] = ver;
      throwsCode(() => openBackup(BACKUP_V2_PREFIX + toB64u(x), PASS), 'bad-version', `version byte ${ver}`);
    }
  });

  test('too large → oversize: on import (before decoding) and on export', () => {
    throwsCode(() => openBackup(BACKUP_V2_PREFIX + 'A'.repeat(2 * MAX_BACKUP_V2_PLAIN), PASS), 'oversize', 'text');
    const friend = full.friends[0]!;
    const many = Array.from({ length: MAX_BACKUP_FRIENDS + 1 }, (_, i) => ({ ...friend, sigPub: seqBytes(32, i), added: i }));
    throwsCode(() => exportBackupV2({ ...full, friends: many }, PASS, { scryptN: N }), 'oversize', 'friends');
    const long = Array.from({ length: MAX_BACKUP_FRIENDS }, (_, i) => ({ ...full.friends[1]!, sigPub: Uint8Array.from(seqBytes(32, 7), (x, j) => (j < 2 ? (i >> (8 * j)) & 0xff : x)), invite: { ...full.friends[1]!.invite!, relay: 'x'.repeat(2000) } }));
    throwsCode(() => exportBackupV2({ ...full, friends: long }, PASS, { scryptN: N }), 'oversize', 'plaintext over 1 MiB');
    throwsCode(() => exportBackupV2({ ...full, identity: { ...me, name: 'x'.repeat(65) } }, PASS, { scryptN: N }), 'oversize', 'name');
  });

  test('garbage → bad-encoding', () => {
    for (const [what, t] of [
      ['prefix only', BACKUP_V2_PREFIX],
      ['not base64url', text.slice(0, -2) + '+/'],
      ['header only', BACKUP_V2_PREFIX + toB64u(fromB64u(text.slice(BACKUP_V2_PREFIX.length)).subarray(0, 42))],
      ['words', 'not a backup'],
    ] as const) throwsCode(() => openBackup(t, PASS), 'bad-encoding', what);
    const b = fromB64u(text.slice(BACKUP_V2_PREFIX.length));
    b[1] = 21;
    throwsCode(() => openBackup(BACKUP_V2_PREFIX + toB64u(b), PASS), 'bad-encoding', 'scrypt cost 2^21');
  });

  test('a plaintext that decrypts but is damaged → bad-encoding naming what', () => {
    const good = JSON.parse(new TextDecoder().decode(encodeBackupPlain(full))) as Record<string, unknown>;
    const friends = good.friends as Record<string, unknown>[];
    const other = generateIdentity('Mallory');
    const foreignCard = signItem(other, { kind: 'profile', id: toB64u(seqBytes(16, 1)), ts: 1, name: 'Zoë 🧠', bio: '' }).bytes;
    const postCard = signItem(me, { kind: 'post', id: toB64u(seqBytes(16, 1)), ts: 1, text: 'hi' }).bytes;
    const cases: [string, unknown, RegExp][] = [
      ['a field missing', { ...good, seq: undefined }, /seq/],
      ['an unknown field', { ...good, extra: 1 }, /extra/],
      ['inner version 3', { ...good, v: 3 }, /v/],
      ['a short secret', { ...good, sigSecret: 'AAAA' }, /sigSecret/],
      ['a negative time', { ...good, created: -1 }, /created/],
      ['a friend status unknown', { ...good, friends: [{ ...friends[0], status: 'best' }] }, /friends\.0\.status/],
      ['a friend twice', { ...good, friends: [friends[0], friends[0]] }, /twice/],
      ['me as my friend', { ...good, friends: [{ ...friends[0], sigPub: toB64u(me.sigPub) }] }, /is me/],
      ['a friend also blocked', { ...good, blocked: [{ key: friends[0]!.sigPub, at: 1 }] }, /blocked/],
      ['too many friends', { ...good, friends: Array.from({ length: MAX_BACKUP_FRIENDS + 1 }, () => friends[0]) }, /friends/],
      ['a card signed by someone else', { ...good, card: toB64u(foreignCard) }, /card/],
      ['a card that is a post', { ...good, card: toB64u(postCard) }, /card/],
      ['a card with a bad signature', { ...good, card: (good.card as string).slice(0, 60) + ((good.card as string)[60] === 'A' ? 'B' : 'A') + (good.card as string).slice(61) }, /card/],
      ['an avatar the card does not name', { ...good, avatar: toB64u(seqBytes(120, 0)) }, /avatar/],
      ['an avatar without a card', { ...good, card: undefined }, /avatar/],
    ];
    for (const [what, json, msg] of cases) {
      const t = encryptByHand(utf8(JSON.stringify(json)));
      throwsCode(() => openBackup(t, PASS), 'bad-encoding', what);
      assert.throws(() => openBackup(t, PASS), msg, what);
    }
    throwsCode(() => openBackup(encryptByHand(utf8('{"v":2,')), PASS), 'bad-encoding', 'not JSON');
    throwsCode(() => openBackup(encryptByHand(Uint8Array.of(0xff, 0xfe)), PASS), 'bad-encoding', 'not UTF-8');
    // The same well-formed plaintext, encrypted by hand, opens: the cases above fail for what they change alone.
    assert.deepEqual(openBackup(encryptByHand(utf8(JSON.stringify(good))), PASS), full);
    assert.equal(peerId(full.friends[0]!.sigPub), friends[0]!.sigPub);
  });
});
