// The invite drop (shared/crypto/invite-drop.ts): keys from the token, a request that round-trips, and named rejections.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateIdentity } from '../../shared/crypto/identity.js';
import { createFriendRequest, createInvite, openFriendRequest } from '../../shared/crypto/invite.js';
import { inviteDrop, openDrop, sealDrop } from '../../shared/crypto/invite-drop.js';
import { MAX_ENVELOPE_BYTES, MIN_ENVELOPE_BYTES, readHeader } from '../../shared/crypto/envelope.js';
import { mailboxAllowTag } from '../../shared/crypto/pairwise.js';
import { throwsCode } from './helpers.js';

const NOW = Date.UTC(2026, 0, 1);

test('both ends derive the same drop key and capability from the token, and another token gives others', () => {
  const ann = generateIdentity('Ann');
  const { invite } = createInvite(ann, { relay: 'http://r', now: NOW });
  const a = inviteDrop(invite.token);
  const b = inviteDrop(new Uint8Array(invite.token));
  assert.deepEqual([a.sigPub, a.cap], [b.sigPub, b.cap]);
  assert.equal(a.cap.length, 16);
  const other = inviteDrop(createInvite(ann, { relay: 'http://r', now: NOW }).invite.token);
  assert.notDeepEqual(other.sigPub, a.sigPub);
  assert.notEqual(mailboxAllowTag(other.cap, other.sigPub), mailboxAllowTag(a.cap, a.sigPub));
});

test('a drop reads as an envelope to the relay and carries the request only the inviter opens', () => {
  const ann = generateIdentity('Ann');
  const bob = generateIdentity('Bob');
  const { invite } = createInvite(ann, { relay: 'http://r', now: NOW });
  const drop = inviteDrop(invite.token);
  const req = createFriendRequest(bob, invite, NOW);
  const env = sealDrop(drop, ann.sigPub, req);
  assert.ok(env.length >= MIN_ENVELOPE_BYTES && env.length <= MAX_ENVELOPE_BYTES);
  const h = readHeader(env); // what signaling/server.ts checks on mailbox:put
  assert.deepEqual([h.author, h.recipient], [drop.sigPub, ann.sigPub]);
  const back = openDrop(env);
  assert.deepEqual(back, req);
  assert.equal(openFriendRequest(ann, back, NOW).name, 'Bob');
  throwsCode(() => openFriendRequest(generateIdentity('Eve'), back, NOW), 'bad-ciphertext', 'someone else cannot open it');
});

test('a malformed drop is refused by name', () => {
  throwsCode(() => openDrop(new Uint8Array(10)), 'bad-encoding', 'too short');
  const env = new Uint8Array(MIN_ENVELOPE_BYTES);
  env[0] = 1;
  env[129] = 0xff;
  throwsCode(() => openDrop(env), 'bad-encoding', 'box length past the end');
  env[0] = 2;
  throwsCode(() => openDrop(env), 'bad-encoding', 'other version');
});

test('a request too large for the relay is refused before sending', () => {
  const ann = generateIdentity('A'.repeat(64));
  const bob = generateIdentity('日'.repeat(64)); // 192 UTF-8 bytes
  const { invite } = createInvite(ann, { relay: `https://${'r'.repeat(500)}`, now: NOW });
  throwsCode(() => sealDrop(inviteDrop(invite.token), ann.sigPub, createFriendRequest(bob, invite, NOW)), 'oversize');
});
