// Fixed test vectors (test/vectors/envelope-v1.json): envelope v1 bytes, pair keys, fingerprints, safety numbers,
// invite codes and friend requests are recomputed from fixed secrets and compared byte for byte.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { openPost, readHeader, sealPost } from '../../shared/crypto/envelope.js';
import { fingerprint, generateIdentity, safetyNumber, type Identity } from '../../shared/crypto/identity.js';
import { createFriendRequest, createInvite, openFriendRequest, readInvite } from '../../shared/crypto/invite.js';
import { pairKeys } from '../../shared/crypto/pairwise.js';
import { fromHex, queueRng, toHex } from './helpers.js';

/** Secrets of one identity, as stored in the vectors file. */
interface Keys {
  name: string;
  sigSecret: string;
  dhSecret: string;
  sigPub: string;
  dhPub: string;
}

interface Vectors {
  envelope: {
    name: string;
    author: Keys;
    recipient: Keys;
    seq: number;
    ts: number;
    body: string;
    contentKey: string;
    nonce: string;
    pairWrapKey: string;
    pairRequestKey: string;
    envelope: string;
  }[];
  fingerprint: { name: string; identity: Keys; fingerprint: string }[];
  safetyNumber: { name: string; a: Keys; b: Keys; safetyNumber: string }[];
  invite: { name: string; identity: Keys; relay: string; now: number; ttlMs: number; token: string; code: string }[];
  friendRequest: { name: string; inviter: Keys; requester: Keys; inviteCode: string; now: number; nonce: string; request: { kind: string; k: string; d: string; box: string } }[];
}

// Resolved from build/test/node/ back to the source tree's test/vectors/.
const vectors = JSON.parse(readFileSync(new URL('../../../test/vectors/envelope-v1.json', import.meta.url), 'utf8')) as Vectors;

/** Rebuilds an identity from its stored secrets and checks the public keys derived from them. */
function identityOf(k: Keys, where: string): Identity {
  const id = generateIdentity(k.name, queueRng(fromHex(k.sigSecret), fromHex(k.dhSecret)));
  assert.equal(toHex(id.sigPub), k.sigPub, `${where}: Ed25519 public key of ${k.name}`);
  assert.equal(toHex(id.dhPub), k.dhPub, `${where}: X25519 public key of ${k.name}`);
  return id;
}

test('the vectors file has every kind of vector', () => {
  assert.ok(vectors.envelope.length >= 3, 'envelope vectors');
  assert.ok(vectors.fingerprint.length >= 2, 'fingerprint vectors');
  assert.ok(vectors.safetyNumber.length >= 2, 'safety number vectors');
  assert.ok(vectors.invite.length >= 1, 'invite vectors');
  assert.ok(vectors.friendRequest.length >= 1, 'friend request vectors');
});

describe('envelope v1', () => {
  for (const v of vectors.envelope) {
    test(v.name, () => {
      const where = `envelope vector "${v.name}"`;
      const author = identityOf(v.author, where);
      const recipient = identityOf(v.recipient, where);
      const pair = pairKeys(author, recipient);
      assert.equal(toHex(pair.wrap), v.pairWrapKey, `${where}: pair wrap key (author side)`);
      assert.equal(toHex(pairKeys(recipient, author).wrap), v.pairWrapKey, `${where}: pair wrap key (recipient side)`);
      assert.equal(toHex(pair.request), v.pairRequestKey, `${where}: pair request key`);

      const sealed = sealPost(author, { seq: v.seq, ts: v.ts, body: v.body }, [{ sigPub: recipient.sigPub, wrapKey: pair.wrap }], queueRng(fromHex(v.contentKey), fromHex(v.nonce)));
      assert.equal(sealed.length, 1, where);
      assert.equal(toHex(sealed[0]!.envelope), v.envelope, `${where}: sealed bytes`);

      const stored = fromHex(v.envelope);
      assert.deepEqual(readHeader(stored), { version: 1, author: author.sigPub, recipient: recipient.sigPub }, `${where}: header`);
      const post = openPost(stored, { me: recipient.sigPub, wrapKeyFor: (a) => (toHex(a) === v.author.sigPub ? fromHex(v.pairWrapKey) : undefined) });
      assert.deepEqual(post, { author: author.sigPub, seq: v.seq, ts: v.ts, body: v.body }, `${where}: opened post`);
    });
  }
});

describe('fingerprint', () => {
  for (const v of vectors.fingerprint) {
    test(v.name, () => {
      const where = `fingerprint vector "${v.name}"`;
      assert.equal(fingerprint(identityOf(v.identity, where)), v.fingerprint, where);
    });
  }
});

describe('safety number', () => {
  for (const v of vectors.safetyNumber) {
    test(v.name, () => {
      const where = `safety number vector "${v.name}"`;
      const a = identityOf(v.a, where);
      const b = identityOf(v.b, where);
      assert.equal(safetyNumber(a, b), v.safetyNumber, `${where} (a, b)`);
      assert.equal(safetyNumber(b, a), v.safetyNumber, `${where} (b, a)`);
    });
  }
});

describe('invite code', () => {
  for (const v of vectors.invite) {
    test(v.name, () => {
      const where = `invite vector "${v.name}"`;
      const id = identityOf(v.identity, where);
      const { code } = createInvite(id, { relay: v.relay, now: v.now, ttlMs: v.ttlMs, token: fromHex(v.token) });
      assert.equal(code, v.code, `${where}: code`);
      const read = readInvite(v.code, v.now);
      assert.equal(read.name, v.identity.name, `${where}: name`);
      assert.equal(read.relay, v.relay, `${where}: relay`);
      assert.equal(read.expires, v.now + v.ttlMs, `${where}: expiry`);
      assert.equal(toHex(read.token), v.token, `${where}: token`);
      assert.equal(toHex(read.sigPub), v.identity.sigPub, `${where}: signing key`);
      assert.equal(toHex(read.dhPub), v.identity.dhPub, `${where}: agreement key`);
    });
  }
});

describe('friend request', () => {
  for (const v of vectors.friendRequest) {
    test(v.name, () => {
      const where = `friend request vector "${v.name}"`;
      const inviter = identityOf(v.inviter, where);
      const requester = identityOf(v.requester, where);
      const invite = readInvite(v.inviteCode, v.now);
      const req = createFriendRequest(requester, invite, v.now, queueRng(fromHex(v.nonce)));
      assert.deepEqual(req, v.request, `${where}: request`);
      const card = openFriendRequest(inviter, v.request as Parameters<typeof openFriendRequest>[1], v.now);
      assert.equal(toHex(card.sigPub), v.requester.sigPub, `${where}: requester key`);
      assert.equal(card.name, v.requester.name, `${where}: requester name`);
      assert.deepEqual(card.token, invite.token, `${where}: token echoed`);
    });
  }
});
