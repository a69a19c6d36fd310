// Owns every domain-separation label and the one HKDF helper; no key is derived anywhere else.
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concat, utf8 } from '../bytes.js';

/**
 * Every label in one place, so no two derivations or signatures can share a context by accident.
 * Version lives in the label: a new wire version gets new labels.
 */
export const LABEL = {
  pairSalt: 'brainwaves/v1/pair-salt',
  pairWrap: 'brainwaves/v1/pair/post-key-wrap',
  pairRequest: 'brainwaves/v1/pair/friend-request',
  pairMailbox: 'brainwaves/v1/pair/mailbox-capability',
  mailboxAllow: 'brainwaves/v1/mailbox-allow-tag',
  postSig: 'brainwaves/v1/post-signature',
  inviteSig: 'brainwaves/v1/invite-signature',
  inviteTag: 'brainwaves/v1/invite-relay-tag',
  authSig: 'brainwaves/v1/relay-auth-signature',
  fingerprint: 'brainwaves/v1/fingerprint',
  safetyNumber: 'brainwaves/v1/safety-number',
  backup: 'brainwaves/v1/key-backup',
  backupV2: 'brainwaves/v2/key-backup',
  inviteDropKey: 'brainwaves/v1/invite-drop/signing-key',
  inviteDropCap: 'brainwaves/v1/invite-drop/mailbox-capability',
  deviceListSig: 'brainwaves/v1/device-list-signature',
  deviceBindSig: 'brainwaves/v1/device-binding-signature',
  linkCommit: 'brainwaves/v1/link/commitment',
  linkTranscript: 'brainwaves/v1/link/transcript',
  linkChannel: 'brainwaves/v1/link/channel-key',
  linkSas: 'brainwaves/v1/link/short-auth-string',
  linkTag: 'brainwaves/v1/link/relay-tag',
  imageBlob: 'brainwaves/v1/image-blob',
  itemSig: 'brainwaves/v2/item-signature',
  v1PostId: 'brainwaves/v1/post-id',
} as const;

/** HKDF-SHA256 (RFC 5869) with a labelled salt and info = label || context. */
export function deriveKey(ikm: Uint8Array, label: string, context: Uint8Array, length = 32): Uint8Array {
  return hkdf(sha256, ikm, utf8(LABEL.pairSalt), concat(utf8(label), context), length);
}

/** Message to sign: label || 0x00 || parts, so a signature made for one purpose never verifies for another. */
export function signedMessage(label: string, ...parts: Uint8Array[]): Uint8Array {
  return concat(utf8(label), new Uint8Array([0]), ...parts);
}
