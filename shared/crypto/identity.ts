// Owns identities: Ed25519 signing + X25519 agreement keypairs, their printable ids, fingerprints and safety numbers.
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { concat, fromB64uLen, toB64u, utf8 } from '../bytes.js';
import { LABEL } from './kdf.js';

export const KEY_LEN = 32;
export const SIG_LEN = 64;
export const MAX_NAME_LEN = 64;

export type Rng = (n: number) => Uint8Array;
export const defaultRng: Rng = (n) => randomBytes(n);

/** The public half: what friends hold of each other. */
export interface PublicIdentity {
  /** Ed25519 public key: the identity's address on the relay. */
  sigPub: Uint8Array;
  /** X25519 public key: for pairwise keys. */
  dhPub: Uint8Array;
  name: string;
}

/** A full identity, held only by its owner. */
export interface Identity extends PublicIdentity {
  sigSecret: Uint8Array;
  dhSecret: Uint8Array;
}

export function generateIdentity(name: string, rng: Rng = defaultRng): Identity {
  const sigSecret = rng(KEY_LEN);
  const dhSecret = rng(KEY_LEN);
  return {
    name,
    sigSecret,
    sigPub: ed25519.getPublicKey(sigSecret),
    dhSecret,
    dhPub: x25519.getPublicKey(dhSecret),
  };
}

export function publicOf(id: Identity): PublicIdentity {
  return { sigPub: id.sigPub, dhPub: id.dhPub, name: id.name };
}

/** The printable, copy-safe id of an identity: base64url of its Ed25519 key (43 chars). */
export const peerId = (sigPub: Uint8Array): string => toB64u(sigPub);
export const parsePeerId = (id: string): Uint8Array => fromB64uLen(id, KEY_LEN, 'peer id');

/** Short fingerprint of one identity: 4 groups of 4 hex digits over both public keys. */
export function fingerprint(p: Pick<PublicIdentity, 'sigPub' | 'dhPub'>): string {
  const h = sha256(concat(utf8(LABEL.fingerprint), p.sigPub, p.dhPub));
  const hex = Array.from(h.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join('');
  return hex.match(/.{4}/g)!.join(' ');
}

/**
 * Safety number of a friendship: the same 30 digits on both sides, derived from both identities in
 * byte order, so friends can compare it out of band and rule out a relay that swapped keys.
 */
export function safetyNumber(a: Pick<PublicIdentity, 'sigPub' | 'dhPub'>, b: Pick<PublicIdentity, 'sigPub' | 'dhPub'>): string {
  const [x, y] = compareBytes(a.sigPub, b.sigPub) <= 0 ? [a, b] : [b, a];
  const h = sha256(concat(utf8(LABEL.safetyNumber), x.sigPub, x.dhPub, y.sigPub, y.dhPub));
  const groups: string[] = [];
  for (let i = 0; i < 6; i++) {
    // 5 bytes → 40 bits → 5 decimal digits (mod 100000); bias is < 2^-23, irrelevant for comparison.
    let n = 0;
    for (let j = 0; j < 5; j++) n = n * 256 + h[i * 5 + j]!;
    groups.push(String(n % 100000).padStart(5, '0'));
  }
  return groups.join(' ');
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** Strict RFC 8032 verification (zip215 off: no malleable encodings). Never throws. */
export function verifySig(sig: Uint8Array, msg: Uint8Array, pub: Uint8Array): boolean {
  try {
    return ed25519.verify(sig, msg, pub, { zip215: false });
  } catch {
    return false; // malformed point: same answer as a wrong signature, the caller names the error
  }
}

export const sign = (msg: Uint8Array, secret: Uint8Array): Uint8Array => ed25519.sign(msg, secret);
