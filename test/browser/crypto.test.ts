// shared/ crypto in Chromium: the fixed vectors recomputed byte for byte, round trips, every rejection code, and a
// short seeded property test. The vector checks, rejection tables and properties come from test/cases/, the same
// ones the Node suites run (test/node/*.test.ts), so both runtimes are held to the same bytes and the same codes.
import { expect } from '@open-wc/testing';
import { MAX_BODY_CHARS, MAX_V1_ENVELOPE_BYTES, MIN_ENVELOPE_BYTES, openPost, readHeader, sealPost } from '../../shared/crypto/envelope.js';
import { generateIdentity, safetyNumber } from '../../shared/crypto/identity.js';
import { acceptInvite, createFriendRequest, createInvite, openFriendRequest, readInvite } from '../../shared/crypto/invite.js';
import { BACKUP_PREFIX, exportBackup, importBackup } from '../../shared/crypto/backup.js';
import { pairKeys } from '../../shared/crypto/pairwise.js';
import { fromB64u, toB64u, utf8 } from '../../shared/bytes.js';
import type { ErrorCode } from '../../shared/errors.js';
import { contextFor, envelopeRejections, OFF_CONTENT, OFF_NONCE, OFF_RECIPIENT, OFF_WRAP, recipient, sealOne } from '../cases/envelope.js';
import { INVITE_NOW, INVITE_RELAY, inviteCast, inviteRejections } from '../cases/invite.js';
import { backupRejections, TEST_SCRYPT_N } from '../cases/backup.js';
import { DEFAULT_FUZZ_SEED, fuzzBackups, fuzzEnvelopes, fuzzFixtures, fuzzInvites } from '../cases/fuzz.js';
import { blobVectorCases, MIN_VECTORS, vectorGroups, type BlobVectors, type Vectors } from '../cases/vectors.js';
import { blobRejections } from '../cases/blob.js';
import { thrownCode, type RejectionCase } from '../cases/util.js';

// Fetched rather than imported: a JSON import needs `resolveJsonModule`, which tsconfig.json does not set. The module
// is awaited by the runner before mocha starts, so the vectors can name one test each.
const VECTORS_URL = new URL('../vectors/envelope-v1.json', import.meta.url);
const vectors = await (async () => {
  const res = await fetch(VECTORS_URL);
  if (!res.ok) throw new Error(`fetching ${VECTORS_URL.pathname}: HTTP ${res.status}`);
  return (await res.json()) as Vectors;
})();
const BLOB_VECTORS_URL = new URL('../vectors/blob-v1.json', import.meta.url);
const blobVectors = await (async () => {
  const res = await fetch(BLOB_VECTORS_URL);
  if (!res.ok) throw new Error(`fetching ${BLOB_VECTORS_URL.pathname}: HTTP ${res.status}`);
  return (await res.json()) as BlobVectors;
})();

/** Iterations per property here; the Node suite runs 3000 of each with the same seed. */
const FUZZ_ITERATIONS = 500;
const NOW = INVITE_NOW;
const RELAY = INVITE_RELAY;
const { alice, bob, carol, mallory } = inviteCast();

/** One `it` per rejection case, named by its expected code and what it is. */
function rejectionTests(cases: RejectionCase[], mustCover: readonly ErrorCode[]): void {
  it(`the table covers ${mustCover.join(', ')}`, () => {
    for (const code of mustCover) expect(cases.some((c) => c.code === code), `a ${code} case`).to.equal(true);
  });
  for (const c of cases) {
    it(`${c.code}: ${c.what}`, () => {
      expect(thrownCode(c.run), c.what).to.equal(c.code);
    });
  }
}

it('runs in Chromium, not Node', () => {
  expect(navigator.userAgent).to.match(/Chrom(e|ium)\//);
  expect(typeof (globalThis as { process?: unknown }).process, 'no Node process global').to.equal('undefined');
});

describe('fixed vectors (test/vectors/envelope-v1.json)', () => {
  it('the vectors file has every kind of vector', () => {
    for (const [kind, min] of Object.entries(MIN_VECTORS)) expect(vectors[kind as keyof Vectors].length, `${kind} vectors`).to.be.at.least(min);
  });

  for (const { group, cases } of vectorGroups(vectors)) {
    describe(group, () => {
      for (const c of cases) {
        it(c.name, () => {
          const checks = c.checks();
          expect(checks.length, `${group} "${c.name}": number of checks`).to.be.above(0);
          for (const { what, actual, expected } of checks) expect(actual, what).to.deep.equal(expected);
        });
      }
    });
  }
});

describe('envelope', () => {
  it('seal → open round trip: one envelope per recipient, the content ciphertext shared, the wraps not', () => {
    const friends = [bob, carol];
    const sealed = sealPost(alice, { seq: 7, ts: NOW, body: 'hello from Chromium 🧠' }, friends.map((f) => recipient(alice, f)));
    expect(sealed.length).to.equal(2);
    sealed.forEach((s, i) => {
      const f = friends[i]!;
      expect(s.to, `addressed to ${f.name}`).to.deep.equal(f.sigPub);
      expect(readHeader(s.envelope)).to.deep.equal({ version: 1, author: alice.sigPub, recipient: f.sigPub });
      expect(openPost(s.envelope, contextFor(f, [alice])), `${f.name} opens`).to.deep.equal({ author: alice.sigPub, seq: 7, ts: NOW, body: 'hello from Chromium 🧠' });
    });
    const [a, b] = sealed.map((s) => s.envelope) as [Uint8Array, Uint8Array];
    expect(b.subarray(OFF_CONTENT), 'content ciphertext shared').to.deep.equal(a.subarray(OFF_CONTENT));
    expect(b.subarray(OFF_NONCE, OFF_WRAP), 'nonce shared').to.deep.equal(a.subarray(OFF_NONCE, OFF_WRAP));
    expect(b.subarray(OFF_WRAP, OFF_CONTENT), 'key wraps differ').to.not.deep.equal(a.subarray(OFF_WRAP, OFF_CONTENT));
    expect(b.subarray(OFF_RECIPIENT, OFF_NONCE), 'recipients differ').to.not.deep.equal(a.subarray(OFF_RECIPIENT, OFF_NONCE));
    expect(a.length).to.equal(MIN_ENVELOPE_BYTES + utf8('hello from Chromium 🧠').length);
  });

  it('the smallest (empty body, seq and ts 2^53 - 1) and the largest (280 emoji) envelopes round trip', () => {
    const small = sealOne(alice, bob, '', Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    expect(small.length).to.equal(MIN_ENVELOPE_BYTES);
    expect(openPost(small, contextFor(bob, [alice]))).to.deep.equal({ author: alice.sigPub, seq: Number.MAX_SAFE_INTEGER, ts: Number.MAX_SAFE_INTEGER, body: '' });
    const emoji = '😀'.repeat(MAX_BODY_CHARS);
    const large = sealOne(alice, bob, emoji);
    expect(large.length).to.equal(MAX_V1_ENVELOPE_BYTES);
    expect(openPost(large, contextFor(bob, [alice])).body).to.equal(emoji);
  });

  describe('rejections (test/cases/envelope.ts)', () => {
    rejectionTests(envelopeRejections({ alice, bob, carol, mallory }), ['bad-signature', 'bad-ciphertext', 'replay', 'not-friend', 'bad-version', 'oversize', 'bad-encoding']);
  });
});

describe('invites and friend requests', () => {
  it('invite round trip: create → read → accept carries keys, name, relay, expiry and token', () => {
    const token = Uint8Array.from({ length: 16 }, (_, i) => i * 3);
    const { code, invite } = createInvite(alice, { relay: RELAY, now: NOW, token });
    expect(readInvite(code, NOW)).to.deep.equal(invite);
    expect(acceptInvite(bob, `https://x/#invite=${encodeURIComponent(code)}`, NOW)).to.deep.equal(invite);
    expect(invite.name).to.equal('Alice A.');
    expect(invite.token).to.deep.equal(token);
  });

  it('friend request round trip: bob answers alice’s invite; both derive the same keys and safety number', () => {
    const token = Uint8Array.from({ length: 16 }, (_, i) => 200 - i);
    const inviteAtBob = acceptInvite(bob, createInvite(alice, { relay: RELAY, now: NOW, token }).code, NOW);
    const req = createFriendRequest(bob, inviteAtBob, NOW + 1000);
    expect(req.kind).to.equal('friend-request');
    expect(req.k).to.equal(toB64u(bob.sigPub));
    expect(req.d).to.equal(toB64u(bob.dhPub));
    const wire = JSON.stringify(req);
    expect(wire, 'the relay does not see the name').to.not.include('Bob Builder');
    expect(wire, 'the relay does not see the token').to.not.include(toB64u(token));
    const card = openFriendRequest(alice, req, NOW + 2000);
    expect(card.sigPub).to.deep.equal(bob.sigPub);
    expect(card.dhPub).to.deep.equal(bob.dhPub);
    expect(card.name).to.equal('Bob Builder');
    expect(card.token, 'alice gets her token back').to.deep.equal(token);
    const atA = pairKeys(alice, card);
    const atB = pairKeys(bob, inviteAtBob);
    expect([atA.wrap, atA.request]).to.deep.equal([atB.wrap, atB.request]);
    expect(atA.mailboxOut, 'what alice shows for bob’s mailbox is what bob allows').to.deep.equal(atB.mailboxIn);
    expect(atA.mailboxIn).to.deep.equal(atB.mailboxOut);
    expect(atA.mailboxOut).to.not.deep.equal(atA.mailboxIn);
    expect(safetyNumber(alice, card)).to.equal(safetyNumber(bob, inviteAtBob));
    // The box is authenticated: a flipped byte is refused, not misread.
    const box = fromB64u(req.box);
    box[box.length - 1]! ^= 1;
    expect(thrownCode(() => openFriendRequest(alice, { ...req, box: toB64u(box) }, NOW + 2000))).to.equal('bad-ciphertext');
  });

  describe('invite rejections (test/cases/invite.ts)', () => {
    rejectionTests(inviteRejections({ alice, bob, carol, mallory }, NOW, RELAY), ['bad-invite', 'bad-signature', 'expired', 'self-invite']);
  });
});

describe(`key backup (scrypt N = 2^${Math.log2(TEST_SCRYPT_N)})`, () => {
  const PASS = 'correct horse battery staple';
  const me = generateIdentity('Zoë 🧠');
  const backup = exportBackup(me, PASS, { scryptN: TEST_SCRYPT_N });

  it('round trip restores secrets, recomputed public keys and the name; the passphrase is NFKD-normalised', () => {
    expect(backup.startsWith(BACKUP_PREFIX)).to.equal(true);
    expect(importBackup(backup, PASS)).to.deep.equal(me);
    expect(importBackup(`\n  ${backup}\n`, PASS), 'surrounding whitespace').to.deep.equal(me);
    const composed = exportBackup(me, 'caf\u00e9 \ufb01', { scryptN: TEST_SCRYPT_N });
    expect(importBackup(composed, 'cafe\u0301 fi'), 'decomposed form of the same passphrase').to.deep.equal(me);
  });

  it('a wrong passphrase → wrong-passphrase', () => {
    expect(thrownCode(() => importBackup(backup, 'correct horse battery stapler'))).to.equal('wrong-passphrase');
  });

  describe('backup rejections (test/cases/backup.ts)', () => {
    rejectionTests(backupRejections(backup, PASS), ['wrong-passphrase', 'bad-version', 'bad-encoding']);
  });
});

describe(`property: untrusted input throws only BwError (seed ${DEFAULT_FUZZ_SEED}, ${FUZZ_ITERATIONS} iterations each)`, () => {
  const fx = fuzzFixtures(DEFAULT_FUZZ_SEED);

  it('openPost / readHeader: random bytes and mutations of a valid envelope; whatever opens is the original', () => {
    fuzzEnvelopes(fx, FUZZ_ITERATIONS);
  });

  it('readInvite / acceptInvite: random strings, links and mutations of a valid code; whatever reads is the original', () => {
    fuzzInvites(fx, FUZZ_ITERATIONS);
  });

  it('importBackup: random text and mutations of a valid backup; whatever opens is the original identity', () => {
    fuzzBackups(fx, FUZZ_ITERATIONS);
  });
});

describe('image blob v1 (test/vectors/blob-v1.json, test/cases/blob.ts)', () => {
  it('the file has vectors', () => expect(blobVectors.blob.length).to.be.at.least(3));
  for (const c of blobVectorCases(blobVectors)) {
    it(c.name, () => {
      for (const { what, actual, expected } of c.checks()) expect(actual, what).to.deep.equal(expected);
    });
  }
  rejectionTests(blobRejections(), ['bad-ciphertext', 'bad-version', 'bad-encoding', 'oversize', 'bad-image']);
});
