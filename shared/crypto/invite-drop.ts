// Owns the invite drop: a friend request left in the inviter's relay mailbox, for when the two are never online together.
import { ed25519 } from '@noble/curves/ed25519.js';
import { BwError } from '../errors.js';
import { concat, fromB64u, fromB64uLen, toB64u } from '../bytes.js';
import type { FriendRequest } from '../protocol.js';
import { MAX_V1_ENVELOPE_BYTES as MAX_ENVELOPE_BYTES, MIN_ENVELOPE_BYTES, ENVELOPE_VERSION } from './envelope.js';
import { KEY_LEN } from './identity.js';
import { deriveKey, LABEL } from './kdf.js';
import { MAILBOX_CAP_LEN } from './pairwise.js';

/**
 * Both ends of an invite derive, from its secret token, a signing key and a mailbox capability (HKDF, labels
 * LABEL.inviteDropKey / inviteDropCap). The inviter allows that key, with that capability, on its mailbox allow list
 * while the invite is open; the accepter logs in to the relay as that key and leaves its friend request there. The
 * relay sees an unknown key leaving an opaque item; only holders of the invite can, and only the inviter can read it
 * (the request is boxed under the pair's request key, shared/crypto/invite.ts).
 *
 * Drop layout, an envelope-v1-shaped item (the relay checks only version, size, author and recipient):
 *
 * | off | len | field                                              |
 * |-----|-----|----------------------------------------------------|
 * | 0   | 1   | version = 1 (ENVELOPE_VERSION)                     |
 * | 1   | 32  | author = the invite's drop key                     |
 * | 33  | 32  | recipient = the inviter's Ed25519 key              |
 * | 65  | 32  | requester's Ed25519 key (FriendRequest.k)          |
 * | 97  | 32  | requester's X25519 key (FriendRequest.d)           |
 * | 129 | 2   | box length, u16 big-endian                         |
 * | 131 | n   | FriendRequest.box; then zeros up to the minimum    |
 */
export interface InviteDrop {
  sigPub: Uint8Array;
  sigSecret: Uint8Array;
  /** The mailbox capability (16 bytes) the drop key shows the relay. */
  cap: Uint8Array;
}

const OFF_K = 65;
const OFF_D = OFF_K + KEY_LEN; // 97
const OFF_LEN = OFF_D + KEY_LEN; // 129
const OFF_BOX = OFF_LEN + 2; // 131

export function inviteDrop(token: Uint8Array): InviteDrop {
  const sigSecret = deriveKey(token, LABEL.inviteDropKey, new Uint8Array(0), 32);
  return { sigSecret, sigPub: ed25519.getPublicKey(sigSecret), cap: deriveKey(token, LABEL.inviteDropCap, new Uint8Array(0), MAILBOX_CAP_LEN) };
}

export function sealDrop(drop: Pick<InviteDrop, 'sigPub'>, inviter: Uint8Array, req: FriendRequest): Uint8Array {
  const box = fromB64u(req.box, 'friend request');
  const len = new Uint8Array([box.length >> 8, box.length & 0xff]);
  const body = concat(new Uint8Array([ENVELOPE_VERSION]), drop.sigPub, inviter, fromB64uLen(req.k, KEY_LEN, 'requester key'), fromB64uLen(req.d, KEY_LEN, 'requester agreement key'), len, box);
  if (body.length > MAX_ENVELOPE_BYTES) throw new BwError('oversize', 'friend request is too large to leave at the relay (a very long relay URL or name)');
  return body.length >= MIN_ENVELOPE_BYTES ? body : concat(body, new Uint8Array(MIN_ENVELOPE_BYTES - body.length));
}

/** Reads a drop back into the friend request it carries; the caller opens it (openFriendRequest). */
export function openDrop(env: Uint8Array): FriendRequest {
  if (env.length < OFF_BOX || env[0] !== ENVELOPE_VERSION) throw new BwError('bad-encoding', 'invite drop is malformed');
  const n = (env[OFF_LEN]! << 8) | env[OFF_LEN + 1]!;
  if (OFF_BOX + n > env.length) throw new BwError('bad-encoding', 'invite drop box overruns the item');
  return { kind: 'friend-request', k: toB64u(env.subarray(OFF_K, OFF_D)), d: toB64u(env.subarray(OFF_D, OFF_LEN)), box: toB64u(env.subarray(OFF_BOX, OFF_BOX + n)) };
}
