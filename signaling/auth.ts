// Owns relay authentication: single-use, expiring challenges and the check that a client holds its key.
import { randomFillSync } from 'node:crypto';
import { BwError } from '../shared/errors.js';
import { fromB64u, fromB64uLen, toB64u } from '../shared/bytes.js';
import { SIG_LEN } from '../shared/crypto/identity.js';
import { LABEL, signedMessage } from '../shared/crypto/kdf.js';
import { PROTOCOL_VERSION, type AuthChallenge, type AuthProve } from '../shared/protocol.js';
import { verifySigNativeAsync } from './ed25519-native.js';

export interface PendingChallenge {
  nonce: Uint8Array;
  expires: number;
}

export const NONCE_LEN = 32;
/** Nonces for this many challenges are drawn from the CSPRNG at once: one call per 256 connections, not one each. */
const POOL_NONCES = 256;
const pool = new Uint8Array(NONCE_LEN * POOL_NONCES);
let poolAt = pool.length;

/** A fresh 32-byte nonce (a copy: the pool is refilled in place). */
function nextNonce(): Uint8Array {
  if (poolAt === pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  poolAt += NONCE_LEN;
  return pool.slice(poolAt - NONCE_LEN, poolAt);
}

export function newChallenge(now: number, ttlMs: number): { pending: PendingChallenge; wire: AuthChallenge } {
  const nonce = nextNonce();
  return { pending: { nonce, expires: now + ttlMs }, wire: { v: PROTOCOL_VERSION, nonce: toB64u(nonce) } };
}

/** The bytes a client signs to prove its key (shared with the client so both agree). */
export const authMessage = (nonce: Uint8Array): Uint8Array => signedMessage(LABEL.authSig, nonce);

/**
 * Checks a proof against the challenge this socket was given. The caller must discard the challenge
 * before calling (single use), so a replayed proof finds none and is refused as 'replay'. The signature is
 * checked off the event loop (signaling/ed25519-native.ts), with the verdict of the clients' strict check.
 */
export async function verifyProof(pending: PendingChallenge | undefined, proof: AuthProve, now: number): Promise<string> {
  if (!pending) throw new BwError('replay', 'no open challenge: it was already used; reconnect for a new one');
  if (now > pending.expires) throw new BwError('expired', 'challenge expired; reconnect for a new one');
  const key = fromB64uLen(proof.key, 32, 'key');
  const sig = fromB64u(proof.sig, 'signature');
  if (sig.length !== SIG_LEN || !(await verifySigNativeAsync(sig, authMessage(pending.nonce), key))) {
    throw new BwError('bad-signature', 'challenge signature does not verify for this key');
  }
  return proof.key;
}
