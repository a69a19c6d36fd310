// Invite codes and friend requests: round trips, links, every malformed/tampered/expired case, safety numbers.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import {
  acceptInvite,
  createFriendRequest,
  createInvite,
  extractInviteCode,
  INVITE_PREFIX,
  INVITE_TTL_MS,
  openFriendRequest,
  readInvite,
  type Invite,
} from '../../shared/crypto/invite.js';
import { fingerprint, generateIdentity, safetyNumber, sign, type Identity } from '../../shared/crypto/identity.js';
import { LABEL, signedMessage } from '../../shared/crypto/kdf.js';
import { pairKeys } from '../../shared/crypto/pairwise.js';
import { concat, fromB64u, fromUtf8, toB64u, utf8 } from '../../shared/bytes.js';
import { parse } from '../../shared/validate.js';
import { FriendRequestSchema, LIMITS, type FriendRequest } from '../../shared/protocol.js';
import { throwsCode } from './helpers.js';

const NOW = 1_700_000_000_000;
const RELAY = 'wss://relay.example/bw';
const alice = generateIdentity('Alice A.');
const bob = generateIdentity('Bob Builder');
const carol = generateIdentity('Carol');
const mallory = generateIdentity('Mallory');

/** Splits a code into its decoded card JSON and its signature part. */
function partsOf(code: string): { card: Record<string, unknown>; sig: string } {
  const [card, sig] = code.slice(INVITE_PREFIX.length).split('.') as [string, string];
  return { card: JSON.parse(fromUtf8(fromB64u(card))) as Record<string, unknown>, sig };
}

/** Re-encodes a card (possibly edited) with a given signature part, without re-signing. */
const recode = (card: unknown, sig: string): string => `${INVITE_PREFIX}${toB64u(utf8(JSON.stringify(card)))}.${sig}`;

/** Signs a card object properly with `who`'s key: for schema-failure cases, so only the schema is at fault. */
function signedCode(card: unknown, who: Identity): string {
  const bytes = utf8(JSON.stringify(card));
  return `${INVITE_PREFIX}${toB64u(bytes)}.${toB64u(sign(signedMessage(LABEL.inviteSig, bytes), who.sigSecret))}`;
}

function withBox(req: FriendRequest, edit: (box: Uint8Array) => Uint8Array): FriendRequest {
  return { ...req, box: toB64u(edit(fromB64u(req.box))) };
}

describe('invite codes', () => {
  test('create → read round trip carries keys, name, relay, expiry and token', () => {
    const token = Uint8Array.from({ length: 16 }, (_, i) => i * 3);
    const { code, invite } = createInvite(alice, { relay: RELAY, now: NOW, token });
    assert.ok(code.startsWith(INVITE_PREFIX));
    assert.ok(code.length <= LIMITS.maxInviteChars);
    const read = readInvite(code, NOW);
    assert.deepEqual(read, invite);
    assert.deepEqual(read.sigPub, alice.sigPub);
    assert.deepEqual(read.dhPub, alice.dhPub);
    assert.equal(read.name, 'Alice A.');
    assert.equal(read.relay, RELAY);
    assert.equal(read.expires, NOW + INVITE_TTL_MS);
    assert.deepEqual(read.token, token);
    assert.deepEqual(acceptInvite(bob, code, NOW), invite);
  });

  test('a random token per invite when none is given; ttlMs is honoured', () => {
    const a = createInvite(alice, { relay: RELAY, now: NOW, ttlMs: 60_000 });
    const b = createInvite(alice, { relay: RELAY, now: NOW, ttlMs: 60_000 });
    assert.notDeepEqual(a.invite.token, b.invite.token);
    assert.equal(readInvite(a.code, NOW).expires, NOW + 60_000);
  });

  test('a pasted link (with whitespace or %-escapes) yields the code', () => {
    const { code, invite } = createInvite(alice, { relay: RELAY, now: NOW });
    assert.equal(extractInviteCode(`https://x/#invite=${code}`), code);
    assert.equal(extractInviteCode(`  \n${code}\t `), code);
    assert.deepEqual(acceptInvite(bob, `https://x/#invite=${code}`, NOW), invite);
    assert.deepEqual(acceptInvite(bob, `  https://brainwaves.example/app?x=1#invite=${encodeURIComponent(code)}\n`, NOW), invite);
  });

  test('malformed codes → bad-invite', () => {
    const { code } = createInvite(alice, { relay: RELAY, now: NOW });
    const [card, sig] = code.slice(INVITE_PREFIX.length).split('.') as [string, string];
    const cases: [string, string][] = [
      ['empty', ''],
      ['garbage', 'hello there'],
      ['wrong prefix', `bw2.${card}.${sig}`],
      ['no prefix', `${card}.${sig}`],
      ['missing signature part', `${INVITE_PREFIX}${card}`],
      ['three parts', `${code}.AAAA`],
      ['empty parts', `${INVITE_PREFIX}.`],
      ['card not base64url', `${INVITE_PREFIX}${card.slice(0, -2)}+/.${sig}`],
      ['card length % 4 == 1', `${INVITE_PREFIX}AAAAA.${sig}`],
      ['signature too short', `${INVITE_PREFIX}${card}.${sig.slice(0, -4)}`],
      ['signature not base64url', `${INVITE_PREFIX}${card}.${sig.slice(0, -1)}=`],
      ['card not JSON', `${INVITE_PREFIX}${toB64u(utf8('not json {'))}.${sig}`],
      ['card not UTF-8', `${INVITE_PREFIX}${toB64u(Uint8Array.of(0x7b, 0xff, 0x7d))}.${sig}`],
      ['too long', `${INVITE_PREFIX}${'A'.repeat(LIMITS.maxInviteChars)}.${sig}`],
      ['link cut inside a %-escape', `https://x/#invite=${code}%E0%A4%A`],
    ];
    for (const [what, c] of cases) {
      throwsCode(() => readInvite(extractInviteCode(c), NOW), 'bad-invite', what);
      throwsCode(() => acceptInvite(bob, c, NOW), 'bad-invite', `accept: ${what}`);
    }
    throwsCode(() => readInvite(undefined as unknown as string, NOW), 'bad-invite', 'not a string');
    throwsCode(() => acceptInvite(bob, 42 as unknown as string, NOW), 'bad-invite', 'accept: not a string');
  });

  test('cards that fail the schema → bad-invite, even when properly signed', () => {
    const { code } = createInvite(alice, { relay: RELAY, now: NOW });
    const { card } = partsOf(code);
    const edits: [string, Record<string, unknown>][] = [
      ['JSON array', [] as unknown as Record<string, unknown>],
      ['version 2', { ...card, v: 2 }],
      ['missing key', { ...card, k: undefined }],
      ['key 31 bytes', { ...card, k: toB64u(new Uint8Array(31)) }],
      ['agreement key not base64url', { ...card, d: 'not/base64' }],
      ['empty name', { ...card, n: '' }],
      ['name over 64', { ...card, n: 'n'.repeat(65) }],
      ['relay over 512', { ...card, r: 'r'.repeat(513) }],
      ['expiry a string', { ...card, e: String(card.e) }],
      ['expiry fractional', { ...card, e: 1.5 }],
      ['expiry negative', { ...card, e: -1 }],
      ['token 15 bytes', { ...card, t: toB64u(new Uint8Array(15)) }],
    ];
    for (const [what, c] of edits) throwsCode(() => readInvite(signedCode(c, alice), NOW), 'bad-invite', what);
    // The control: the unedited card re-signed the same way is accepted, so the cases above fail on the schema only.
    assert.equal(readInvite(signedCode(card, alice), NOW).name, 'Alice A.');
  });

  test('tampered cards (still parseable) → bad-signature', () => {
    const { code } = createInvite(alice, { relay: RELAY, now: NOW });
    const { card, sig } = partsOf(code);
    const other = partsOf(createInvite(carol, { relay: RELAY, now: NOW }).code);
    const sigBytes = fromB64u(sig);
    sigBytes[10]! ^= 1;
    const cases: [string, string][] = [
      ['name changed', recode({ ...card, n: 'Mallory' }, sig)],
      ['expiry extended', recode({ ...card, e: (card.e as number) + 1 }, sig)],
      ['relay swapped', recode({ ...card, r: 'wss://evil.example' }, sig)],
      ['token swapped', recode({ ...card, t: toB64u(new Uint8Array(16)) }, sig)],
      ['agreement key swapped', recode({ ...card, d: toB64u(mallory.dhPub) }, sig)],
      ['signing key swapped (signature is alice’s)', recode({ ...card, k: toB64u(mallory.sigPub) }, sig)],
      ['another card’s signature', recode(card, other.sig)],
      ['signature bit-flip', recode(card, toB64u(sigBytes))],
      ['re-serialised with other whitespace', `${INVITE_PREFIX}${toB64u(utf8(JSON.stringify(card, null, 1)))}.${sig}`],
    ];
    for (const [what, c] of cases) throwsCode(() => readInvite(c, NOW), 'bad-signature', what);
    // Control: recode of the untouched card with its own signature still verifies (JSON.stringify is stable here).
    assert.equal(readInvite(recode(card, sig), NOW).name, 'Alice A.');
  });

  test('expired → expired (the expiry instant itself is past)', () => {
    const { code, invite } = createInvite(alice, { relay: RELAY, now: NOW, ttlMs: 1000 });
    assert.equal(readInvite(code, invite.expires - 1).name, 'Alice A.');
    throwsCode(() => readInvite(code, invite.expires), 'expired', 'at expiry');
    throwsCode(() => readInvite(code, NOW + INVITE_TTL_MS), 'expired', 'a week later');
    throwsCode(() => acceptInvite(bob, code, invite.expires + 1), 'expired', 'accept');
  });

  test('accepting one’s own invite → self-invite', () => {
    const { code } = createInvite(alice, { relay: RELAY, now: NOW });
    throwsCode(() => acceptInvite(alice, code, NOW), 'self-invite');
    throwsCode(() => acceptInvite({ sigPub: alice.sigPub }, `https://x/#invite=${code}`, NOW), 'self-invite', 'as a link');
  });
});

describe('friend requests', () => {
  const token = Uint8Array.from({ length: 16 }, (_, i) => 200 - i);
  const aliceCode = createInvite(alice, { relay: RELAY, now: NOW, token }).code;
  const inviteAtBob: Invite = acceptInvite(bob, aliceCode, NOW);

  test('round trip: bob answers alice’s invite; alice learns bob’s keys and her own token back', () => {
    const req = createFriendRequest(bob, inviteAtBob, NOW + 1000);
    assert.deepEqual(parse(FriendRequestSchema, req, 'friend-request'), req, 'the request fits its wire schema');
    assert.equal(req.k, toB64u(bob.sigPub));
    assert.equal(req.d, toB64u(bob.dhPub));
    // The relay sees neither bob's name nor the token.
    const wire = JSON.stringify(req);
    assert.ok(!wire.includes('Bob Builder'));
    assert.ok(!wire.includes(toB64u(token)));
    const card = openFriendRequest(alice, req, NOW + 2000);
    assert.deepEqual(card.sigPub, bob.sigPub);
    assert.deepEqual(card.dhPub, bob.dhPub);
    assert.equal(card.name, 'Bob Builder');
    assert.deepEqual(card.token, token);
    assert.equal(card.relay, RELAY);
  });

  test('both sides derive the same pair keys and the same safety number', () => {
    const card = openFriendRequest(alice, createFriendRequest(bob, inviteAtBob, NOW), NOW);
    assert.deepEqual(pairKeys(alice, card), pairKeys(bob, inviteAtBob));
    const atAlice = safetyNumber(alice, card);
    const atBob = safetyNumber(bob, inviteAtBob);
    assert.equal(atAlice, atBob);
    assert.match(atAlice, /^\d{5}( \d{5}){5}$/);
  });

  test('a bit-flip anywhere in the box → bad-ciphertext', () => {
    const req = createFriendRequest(bob, inviteAtBob, NOW);
    const len = fromB64u(req.box).length;
    for (const at of [0, 23, 24, Math.floor(len / 2), len - 1]) {
      const tampered = withBox(req, (b) => {
        b[at]! ^= 0x40;
        return b;
      });
      throwsCode(() => openFriendRequest(alice, tampered, NOW), 'bad-ciphertext', `box byte ${at}`);
    }
  });

  test('a request meant for someone else, or with swapped outer keys, fails to decrypt → bad-ciphertext', () => {
    const req = createFriendRequest(bob, inviteAtBob, NOW);
    throwsCode(() => openFriendRequest(carol, req, NOW), 'bad-ciphertext', 'opened by carol');
    throwsCode(() => openFriendRequest(alice, { ...req, k: toB64u(carol.sigPub) }, NOW), 'bad-ciphertext', 'k swapped');
    throwsCode(() => openFriendRequest(alice, { ...req, d: toB64u(carol.dhPub) }, NOW), 'bad-ciphertext', 'd swapped');
  });

  test('outer keys that do not match the signed card inside → bad-signature', () => {
    // Mallory relays bob's genuine signed card, boxed correctly under her own (or a mixed) outer key pair.
    const bobCard = createInvite(bob, { relay: RELAY, now: NOW, ttlMs: 3600_000, token }).code;
    const boxFor = (sender: { dhSecret: Uint8Array; sigPub: Uint8Array }) => {
      const nonce = new Uint8Array(24).fill(9);
      const key = pairKeys(sender, inviteAtBob).request;
      return toB64u(concat(nonce, xchacha20poly1305(key, nonce, utf8(LABEL.pairRequest)).encrypt(utf8(bobCard))));
    };
    const asMallory: FriendRequest = { kind: 'friend-request', k: toB64u(mallory.sigPub), d: toB64u(mallory.dhPub), box: boxFor(mallory) };
    throwsCode(() => openFriendRequest(alice, asMallory, NOW), 'bad-signature', 'both keys mallory’s');
    const mixed: FriendRequest = { kind: 'friend-request', k: toB64u(bob.sigPub), d: toB64u(mallory.dhPub), box: boxFor({ sigPub: bob.sigPub, dhSecret: mallory.dhSecret }) };
    throwsCode(() => openFriendRequest(alice, mixed, NOW), 'bad-signature', 'k bob’s, d mallory’s');
    // Control: the same construction with bob's real keys is accepted.
    const genuine: FriendRequest = { kind: 'friend-request', k: toB64u(bob.sigPub), d: toB64u(bob.dhPub), box: boxFor(bob) };
    assert.equal(openFriendRequest(alice, genuine, NOW).name, 'Bob Builder');
  });

  test('a request whose card has expired → expired; malformed outer fields → bad-encoding', () => {
    const req = createFriendRequest(bob, inviteAtBob, NOW);
    throwsCode(() => openFriendRequest(alice, req, NOW + 24 * 3600 * 1000), 'expired', 'a day later');
    throwsCode(() => openFriendRequest(alice, { ...req, k: 'short' }, NOW), 'bad-encoding', 'k');
    throwsCode(() => openFriendRequest(alice, { ...req, d: toB64u(new Uint8Array(31)) }, NOW), 'bad-encoding', 'd');
    throwsCode(() => openFriendRequest(alice, { ...req, box: 'a+b' }, NOW), 'bad-encoding', 'box not base64url');
    throwsCode(() => openFriendRequest(alice, withBox(req, (b) => b.subarray(0, 39)), NOW), 'bad-encoding', 'box too short');
  });

  test('a low-order agreement key → bad-invite', () => {
    const req = createFriendRequest(bob, inviteAtBob, NOW);
    throwsCode(() => openFriendRequest(alice, { ...req, d: toB64u(new Uint8Array(32)) }, NOW), 'bad-invite');
  });
});

describe('safety numbers and fingerprints', () => {
  test('the same on both sides; different when either key of either side is swapped', () => {
    const n = safetyNumber(alice, bob);
    assert.equal(n, safetyNumber(bob, alice));
    assert.match(n, /^\d{5}( \d{5}){5}$/);
    assert.notEqual(safetyNumber(alice, { sigPub: bob.sigPub, dhPub: mallory.dhPub }), n, 'bob’s agreement key swapped');
    assert.notEqual(safetyNumber(alice, { sigPub: mallory.sigPub, dhPub: bob.dhPub }), n, 'bob’s signing key swapped');
    assert.notEqual(safetyNumber({ sigPub: alice.sigPub, dhPub: mallory.dhPub }, bob), n, 'alice’s agreement key swapped');
    assert.notEqual(safetyNumber(alice, carol), n, 'another friendship');
  });

  test('fingerprints are 4 groups of 4 hex digits and depend on both keys', () => {
    const f = fingerprint(alice);
    assert.match(f, /^[0-9a-f]{4}( [0-9a-f]{4}){3}$/);
    assert.equal(f, fingerprint({ sigPub: alice.sigPub, dhPub: alice.dhPub }));
    assert.notEqual(fingerprint({ sigPub: alice.sigPub, dhPub: bob.dhPub }), f);
    assert.notEqual(fingerprint({ sigPub: bob.sigPub, dhPub: alice.dhPub }), f);
  });
});
