// Invite codes and friend requests: round trips, links, every malformed/tampered/expired case, safety numbers.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import {
  acceptInvite,
  createFriendRequest,
  createInvite,
  extractInviteCode,
  inviteLink,
  INVITE_PREFIX,
  INVITE_TTL_MS,
  openFriendRequest,
  readInvite,
  type Invite,
} from '../../shared/crypto/invite.js';
import { fingerprint, safetyNumber } from '../../shared/crypto/identity.js';
import { LABEL } from '../../shared/crypto/kdf.js';
import { pairKeys } from '../../shared/crypto/pairwise.js';
import { concat, fromB64u, toB64u, utf8 } from '../../shared/bytes.js';
import { parse } from '../../shared/validate.js';
import { FriendRequestSchema, LIMITS, type FriendRequest } from '../../shared/protocol.js';
// The case tables are shared with the Chromium suite (test/browser/crypto.test.ts).
import { INVITE_NOW, INVITE_RELAY, inviteCast, inviteRejections, malformedInviteCodes, partsOf, recode, schemaEdits, signedCode, tamperedInviteCodes } from '../cases/invite.js';
import { throwsCode } from './helpers.js';

const NOW = INVITE_NOW;
const RELAY = INVITE_RELAY;
const { alice, bob, carol, mallory } = inviteCast();

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

  test('inviteLink puts the code in the fragment of the page that opens it, and extractInviteCode reads it back', () => {
    const { code } = createInvite(alice, { relay: RELAY, now: NOW });
    const link = inviteLink(code, 'https://static.example/brainwaves/');
    assert.ok(link.startsWith('https://static.example/brainwaves/#invite='), link);
    assert.equal(extractInviteCode(link), code);
    assert.equal(inviteLink(code, 'https://relay.example/').split('#')[0], 'https://relay.example/');
  });

  test('malformed codes → bad-invite', () => {
    const { code } = createInvite(alice, { relay: RELAY, now: NOW });
    const cases = malformedInviteCodes(code);
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
    const edits = schemaEdits(card);
    for (const [what, c] of edits) throwsCode(() => readInvite(signedCode(c, alice), NOW), 'bad-invite', what);
    // The control: the unedited card re-signed the same way is accepted, so the cases above fail on the schema only.
    assert.equal(readInvite(signedCode(card, alice), NOW).name, 'Alice A.');
  });

  test('tampered cards (still parseable) → bad-signature', () => {
    const { code } = createInvite(alice, { relay: RELAY, now: NOW });
    const { card, sig } = partsOf(code);
    const cases = tamperedInviteCodes(code, createInvite(carol, { relay: RELAY, now: NOW }).code, mallory);
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
    const atA = pairKeys(alice, card);
    const atB = pairKeys(bob, inviteAtBob);
    assert.deepEqual([atA.wrap, atA.request], [atB.wrap, atB.request]);
    // Mailbox capabilities are directional: what Alice shows for Bob's mailbox is what Bob allows, and differs from hers.
    assert.deepEqual(atA.mailboxOut, atB.mailboxIn);
    assert.deepEqual(atA.mailboxIn, atB.mailboxOut);
    assert.notDeepEqual(atA.mailboxOut, atA.mailboxIn);
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

describe('the shared rejection table (test/cases/invite.ts, also run in Chromium)', () => {
  test('every case fails with its code', () => {
    const cases = inviteRejections({ alice, bob, carol, mallory }, NOW, RELAY);
    for (const code of ['bad-invite', 'bad-signature', 'expired', 'self-invite'] as const) assert.ok(cases.some((c) => c.code === code), `the table has a ${code} case`);
    for (const c of cases) throwsCode(c.run, c.code, c.what);
  });
});
