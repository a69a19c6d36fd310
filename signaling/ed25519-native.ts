// Owns the relay's Ed25519 verification: OpenSSL through node:crypto for speed, with exactly the verdicts of the
// strict @noble check the clients use (shared/crypto/identity.ts verifySig, RFC 8032 §5.1.7 with zip215 off).
//
// Where the two differ, and what closes each gap (see test/vectors/ed25519-verify.json for a case of each):
//  - S ≥ L: both refuse (RFC 8032 §5.1.7 step 1); checked here too, before any work.
//  - A with y ≥ p, or x = 0 with the sign bit set (non-canonical, RFC 8032 §5.1.3 steps 1 and 4): @noble refuses;
//    OpenSSL 3 reduces y mod p and ignores the sign of x = 0, so it would accept. Refused here before OpenSSL.
//  - small-order A (the eight points of the 8-torsion): @noble refuses (strict mode); OpenSSL accepts, and with
//    A = identity any message verifies. Refused here by a blocklist of their y coordinates.
//  - R: OpenSSL re-encodes [S]B − [k]A and compares bytes with R, so a non-canonical R never passes it; @noble
//    refuses non-canonical R too. Small-order R is allowed by both.
//  - mixed-order A or R (a torsion component): @noble checks the cofactored equation [8][S]B = [8]R + [8][k]A,
//    OpenSSL the cofactorless [S]B = R + [k]A. Cofactorless passing implies cofactored passing (and, given the
//    checks above, @noble's acceptance), but not the other way round, and telling a torsion component apart costs
//    a scalar multiplication. So a signature OpenSSL refuses is handed to @noble for the final word: honest
//    logins take the fast path only; a refused one costs what it cost before, plus one OpenSSL verify.
import { createPublicKey, verify as osslVerify, type KeyObject } from 'node:crypto';
import { KEY_LEN, SIG_LEN, verifySig } from '../shared/crypto/identity.js';

/** The group order L = 2^252 + 27742317777372353535851937790883648493, little-endian (RFC 8032 §5.1). */
const L_LE = Uint8Array.from([
  0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
]);

/** p = 2^255 − 19, little-endian: the field prime, bound of a canonical y (RFC 8032 §5.1.3 step 1). */
const P_LE = Uint8Array.from([0xed, ...new Array<number>(30).fill(0xff), 0x7f]);

const hex = (s: string) => Uint8Array.from(s.match(/../g)!, (b) => parseInt(b, 16));

/**
 * The y coordinates (sign bit clear) of the eight small-order points: y = 1 (order 1), p − 1 (order 2),
 * 0 (order 4, x = ±√−1) and ±y₈ (order 8, four points). Any canonical encoding of a small-order point has one of
 * these y values, and so have the two non-canonical ones with x = 0 and the sign bit set; with y < p checked first,
 * this is the whole list (libsodium's ge25519_has_small_order uses the same set plus its y ≥ p forms).
 */
export const SMALL_ORDER_Y: readonly Uint8Array[] = [
  hex('0000000000000000000000000000000000000000000000000000000000000000'),
  hex('0100000000000000000000000000000000000000000000000000000000000000'),
  hex('ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'),
  hex('26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05'),
  hex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a'),
];

/** a < b, both 32-byte little-endian numbers; `topMask` masks the most significant byte of a (the sign bit of y). */
function lessLE(a: Uint8Array, b: Uint8Array, topMask = 0xff): boolean {
  for (let i = 31; i >= 0; i--) {
    const x = i === 31 ? a[i]! & topMask : a[i]!;
    if (x !== b[i]) return x < b[i]!;
  }
  return false;
}

function isSmallOrderY(pub: Uint8Array): boolean {
  outer: for (const y of SMALL_ORDER_Y) {
    for (let i = 0; i < 31; i++) if (pub[i] !== y[i]) continue outer;
    if ((pub[31]! & 0x7f) === y[31]) return true;
  }
  return false;
}

/**
 * The checks @noble's strict mode makes and OpenSSL does not, on their own: S < L, A canonical (y < p), A not of
 * small order. False means @noble refuses too; true means the signature may still fail the equation.
 */
export function passesStrictPrechecks(sig: Uint8Array, pub: Uint8Array): boolean {
  if (sig.length !== SIG_LEN || pub.length !== KEY_LEN) return false;
  if (!lessLE(sig.subarray(32), L_LE)) return false;
  if (!lessLE(pub, P_LE, 0x7f)) return false;
  return !isSmallOrderY(pub);
}

// A JWK import (RFC 8037 §2: x is the raw key) costs ~10 µs; an SPKI DER import costs ~10× that in OpenSSL 3's decoders.
const importKey = (pub: Uint8Array): KeyObject =>
  createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(pub.buffer, pub.byteOffset, pub.length).toString('base64url') }, format: 'jwk' });

/** OpenSSL's verdict alone (cofactorless, lenient on A): not to be used without the prechecks. */
function opensslVerify(sig: Uint8Array, msg: Uint8Array, pub: Uint8Array): boolean {
  try {
    return osslVerify(null, msg, importKey(pub), sig);
  } catch {
    return false; // a y that is not on the curve fails here; @noble gives the verdict below
  }
}

/** Same verdict as verifySig (shared/crypto/identity.ts) on every input, at OpenSSL speed for valid signatures. Never throws. */
export function verifySigNative(sig: Uint8Array, msg: Uint8Array, pub: Uint8Array): boolean {
  if (!passesStrictPrechecks(sig, pub)) return false;
  if (opensslVerify(sig, msg, pub)) return true;
  return verifySig(sig, msg, pub); // only cofactored-but-not-cofactorless signatures pass here; see the header
}

/**
 * verifySigNative with OpenSSL's work on libuv's threadpool: the event loop pays only for the prechecks and the key
 * import (~50 µs instead of ~120 µs here), so a login storm's handshakes keep flowing while signatures are checked.
 * Never rejects.
 */
export function verifySigNativeAsync(sig: Uint8Array, msg: Uint8Array, pub: Uint8Array): Promise<boolean> {
  if (!passesStrictPrechecks(sig, pub)) return Promise.resolve(false);
  return new Promise((resolve) => {
    const fallback = () => resolve(verifySig(sig, msg, pub)); // as in verifySigNative
    try {
      osslVerify(null, msg, importKey(pub), sig, (err, ok) => (!err && ok ? resolve(true) : fallback()));
    } catch {
      fallback();
    }
  });
}
