// Owns pairwise keys: one X25519 agreement per friendship, expanded by HKDF into purpose-bound keys.
import { x25519 } from '@noble/curves/ed25519.js';
import { BwError } from '../errors.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concat, toB64u } from '../bytes.js';
import { compareBytes, type Identity, type PublicIdentity } from './identity.js';
import { deriveKey, LABEL, signedMessage } from './kdf.js';

/** Keys one friendship uses; computed once at befriending and kept, never per post. */
export interface PairKeys {
  /** Wraps each post's content key for this friend. */
  wrap: Uint8Array;
  /** Encrypts friend requests between the two. */
  request: Uint8Array;
  /** Shown to the relay to leave a post in the friend's mailbox (signaling/ checks it against their allow list). */
  mailboxOut: Uint8Array;
  /** What the friend shows to leave a post in mine: its hash goes on my allow list (mailboxAllowTag). */
  mailboxIn: Uint8Array;
}

export const MAILBOX_CAP_LEN = 16;

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
  // Directional: the recipient's key ends the context, so A's capability for B's mailbox is not B's for A's.
  const mailbox = (recipient: Uint8Array) => deriveKey(shared, LABEL.pairMailbox, concat(context, recipient), MAILBOX_CAP_LEN);
  return {
    wrap: deriveKey(shared, LABEL.pairWrap, context),
    request: deriveKey(shared, LABEL.pairRequest, context),
    mailboxOut: mailbox(friend.sigPub),
    mailboxIn: mailbox(me.sigPub),
  };
}

/**
 * The entry a recipient puts on the relay's allow list for a friend: SHA-256 over a label, the capability and the
 * friend's key, base64url. The relay stores only these, so its database alone lets no one leave posts; a sender
 * proves the preimage for its own authenticated key, so a capability is useless to anyone else.
 */
export function mailboxAllowTag(cap: Uint8Array, sender: Uint8Array): string {
  return toB64u(sha256(signedMessage(LABEL.mailboxAllow, cap, sender)));
}
