// Owns pairwise keys: one X25519 agreement per friendship, expanded by HKDF into purpose-bound keys.
import { x25519 } from '@noble/curves/ed25519.js';
import { BwError } from '../errors.js';
import { concat } from '../bytes.js';
import { compareBytes, type Identity, type PublicIdentity } from './identity.js';
import { deriveKey, LABEL } from './kdf.js';

/** Keys one friendship uses; computed once at befriending and kept, never per post. */
export interface PairKeys {
  /** Wraps each post's content key for this friend. */
  wrap: Uint8Array;
  /** Encrypts friend requests between the two. */
  request: Uint8Array;
}

/** Both sides derive the same keys: context is both Ed25519 keys in byte order. */
export function pairKeys(me: Pick<Identity, 'dhSecret' | 'sigPub'>, friend: Pick<PublicIdentity, 'dhPub' | 'sigPub'>): PairKeys {
  let shared: Uint8Array;
  try {
    shared = x25519.getSharedSecret(me.dhSecret, friend.dhPub); // RFC 7748 §6.1; rejects low-order points
  } catch {
    throw new BwError('bad-invite', 'friend key is not a valid X25519 public key');
  }
  const [a, b] = compareBytes(me.sigPub, friend.sigPub) <= 0 ? [me.sigPub, friend.sigPub] : [friend.sigPub, me.sigPub];
  const context = concat(a, b);
  return { wrap: deriveKey(shared, LABEL.pairWrap, context), request: deriveKey(shared, LABEL.pairRequest, context) };
}
