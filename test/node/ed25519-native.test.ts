// The relay's node:crypto Ed25519 verifier (signaling/ed25519-native.ts) gives the verdict of the strict @noble one
// (shared/crypto/identity.ts verifySig) on every fixed vector (test/vectors/ed25519-verify.json) and on a seeded
// property test of valid signatures, bit-flips and crafted torsion/non-canonical cases. BW_FUZZ_SEED / BW_FUZZ_SCALE explore further.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createPrivateKey, sign as osslSign } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { verifySig } from '../../shared/crypto/identity.js';
import { SMALL_ORDER_Y, verifySigNative, verifySigNativeAsync } from '../../signaling/ed25519-native.js';
import { DEFAULT_FUZZ_SEED } from '../cases/fuzz.js';
import { fromHex, toHex, Xorshift } from './helpers.js';

interface VerifyVector {
  name: string;
  source: string;
  pub: string;
  msg: string;
  sig: string;
  valid: boolean;
  opensslAlone: boolean;
}

// Resolved from build/test/node/ back to the source tree's test/vectors/.
const vectors = JSON.parse(readFileSync(new URL('../../../test/vectors/ed25519-verify.json', import.meta.url), 'utf8')) as { verify: VerifyVector[] };

const SEED = Number(process.env.BW_FUZZ_SEED ?? DEFAULT_FUZZ_SEED);
const SCALE = Number(process.env.BW_FUZZ_SCALE ?? 1);
const CASES = Math.max(1, Math.round(2000 * SCALE));

const Point = ed25519.Point;
const L = Point.Fn.ORDER;
const leNum = (b: Uint8Array): bigint => b.reduceRight((n, x) => (n << 8n) | BigInt(x), 0n);
const numLe = (n: bigint): Uint8Array => Uint8Array.from({ length: 32 }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn));
const mod = (n: bigint): bigint => ((n % L) + L) % L;
/** RFC 8032 §5.1.7 step 2: k = SHA-512(R || A || M) mod L, over the bytes as given. */
const challenge = (r: Uint8Array, a: Uint8Array, m: Uint8Array): bigint => mod(leNum(sha512(Uint8Array.from([...r, ...a, ...m]))));
/** A generator of the 8-torsion (y = y₈ of the blocklist). */
const T8 = Point.fromBytes(SMALL_ORDER_Y[3]!);

describe('ed25519 verify vectors', () => {
  test('the vectors file holds valid and invalid signatures, and the cases where OpenSSL alone disagrees', () => {
    const vs = vectors.verify;
    assert.ok(vs.filter((v) => v.valid).length >= 5, 'at least 5 valid vectors');
    assert.ok(vs.filter((v) => !v.valid).length >= 20, 'at least 20 invalid vectors');
    assert.ok(vs.some((v) => v.opensslAlone && !v.valid), 'a vector OpenSSL alone accepts and strict verification refuses');
    assert.ok(vs.some((v) => !v.opensslAlone && v.valid), 'a vector OpenSSL alone refuses and strict verification accepts');
  });
  for (const v of vectors.verify) {
    test(v.name, async () => {
      const [sig, msg, pub] = [fromHex(v.sig), fromHex(v.msg), fromHex(v.pub)];
      assert.equal(verifySig(sig, msg, pub), v.valid, `vector "${v.name}": verifySig (@noble, strict)`);
      assert.equal(verifySigNative(sig, msg, pub), v.valid, `vector "${v.name}": verifySigNative (node:crypto + prechecks)`);
      assert.equal(await verifySigNativeAsync(sig, msg, pub), v.valid, `vector "${v.name}": verifySigNativeAsync (threadpool)`);
    });
  }
});

describe('small-order blocklist', () => {
  test('every entry, with either sign bit, is a small-order point or no canonical point at all', () => {
    for (const y of SMALL_ORDER_Y) {
      for (const sign of [0, 0x80]) {
        const enc = y.slice();
        enc[31]! |= sign;
        let small: boolean;
        try {
          small = Point.fromBytes(enc, false).isSmallOrder();
        } catch {
          small = true; // refused outright by strict decoding (x = 0 with the sign bit set)
        }
        assert.ok(small, `${toHex(enc)} is small-order or not canonical`);
      }
    }
  });
  test('every one of the eight small-order points has its y in the blocklist', () => {
    const ys = new Set(SMALL_ORDER_Y.map(toHex));
    for (let i = 0n; i < 8n; i++) {
      const enc = (i === 0n ? Point.ZERO : T8.multiply(i)).toBytes();
      enc[31]! &= 0x7f;
      assert.ok(ys.has(toHex(enc)), `[${i}]T₈ = ${toHex(enc)} (sign cleared) is blocklisted`);
    }
  });
});

/** One random case: a fresh key, a message, a valid signature, and then (mostly) something done to it. */
function randomCase(r: Xorshift): { what: string; sig: Uint8Array; msg: Uint8Array; pub: Uint8Array } {
  const secret = r.bytes(32);
  const { scalar: a, pointBytes: pub } = ed25519.utils.getExtendedPublicKey(secret);
  const msg = r.bytes(r.int(80));
  // Signed with node:crypto (fast); RFC 8032 signatures are deterministic, so @noble would give the same bytes.
  const key = createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d: Buffer.from(secret).toString('base64url'), x: Buffer.from(pub).toString('base64url') }, format: 'jwk' });
  const sig = new Uint8Array(osslSign(null, msg, key));
  const flip = (b: Uint8Array) => {
    const out = b.slice();
    const bit = r.int(out.length * 8);
    out[bit >> 3]! ^= 1 << (bit & 7);
    return out;
  };
  const torsion = () => T8.multiply(BigInt(1 + r.int(7)));
  switch (r.int(10)) {
    case 0:
    case 1:
      return { what: 'valid', sig, msg, pub };
    case 2:
      return { what: 'signature bit flipped', sig: flip(sig), msg, pub };
    case 3:
      return { what: 'key bit flipped', sig, msg, pub: flip(pub) };
    case 4:
      return msg.length ? { what: 'message bit flipped', sig, msg: flip(msg), pub } : { what: 'valid', sig, msg, pub };
    case 5: // S + L: the same scalar, non-canonically
      return { what: 'S + L', sig: Uint8Array.from([...sig.subarray(0, 32), ...numLe(leNum(sig.subarray(32)) + L)]), msg, pub };
    case 6: {
      // Mixed-order R = [r]B + T, S = r + k·a: passes the cofactored equation only.
      const rr = mod(leNum(r.bytes(32)));
      const R = Point.BASE.multiply(rr).add(torsion()).toBytes();
      return { what: 'mixed-order R', sig: Uint8Array.from([...R, ...numLe(mod(rr + challenge(R, pub, msg) * a))]), msg, pub };
    }
    case 7: {
      // Mixed-order A = [a]B + T, honestly signed for it: cofactorless passes only when ord(T) divides k.
      const A = Point.BASE.multiply(a).add(torsion()).toBytes();
      const rr = mod(leNum(r.bytes(32)));
      const R = Point.BASE.multiply(rr).toBytes();
      return { what: 'mixed-order A', sig: Uint8Array.from([...R, ...numLe(mod(rr + challenge(R, A, msg) * a))]), msg, pub: A };
    }
    case 8: {
      // A small-order key (either sign bit) with R = B, S = 1: OpenSSL alone accepts when ord(A) divides k.
      const A = r.pick(SMALL_ORDER_Y).slice();
      A[31]! |= r.int(2) << 7;
      return { what: 'small-order A', sig: Uint8Array.from([...Point.BASE.toBytes(), ...numLe(1n)]), msg, pub: A };
    }
    default:
      return { what: 'random bytes', sig: r.bytes(64), msg, pub: r.bytes(32) };
  }
}

test(`property: verifySigNative and verifySigNativeAsync agree with verifySig on ${CASES} random cases (seed ${SEED})`, async () => {
  const r = new Xorshift(SEED);
  const seen = new Map<string, number>();
  for (let i = 0; i < CASES; i++) {
    const c = randomCase(r);
    const expected = verifySig(c.sig, c.msg, c.pub);
    const key = `${c.what}: ${expected ? 'valid' : 'invalid'}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
    const where = `seed ${SEED} case ${i} (${c.what}): sig ${toHex(c.sig)} msg ${toHex(c.msg)} pub ${toHex(c.pub)}`;
    assert.equal(verifySigNative(c.sig, c.msg, c.pub), expected, `${where}: verifySigNative`);
    assert.equal(await verifySigNativeAsync(c.sig, c.msg, c.pub), expected, `${where}: verifySigNativeAsync`);
  }
  // The generator must reach both verdicts where they can differ, or the property proves little.
  for (const must of ['valid: valid', 'mixed-order R: valid', 'mixed-order A: valid', 'S + L: invalid', 'signature bit flipped: invalid']) {
    if (CASES >= 500) assert.ok(seen.get(must), `the property test produced no "${must}" case: ${JSON.stringify([...seen])}`);
  }
});
