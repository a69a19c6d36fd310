// Owns the sealing benchmark body, runnable unchanged in Node and in Chromium: ours vs the bare primitives.
import { ed25519 } from '@noble/curves/ed25519.js';
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { generateIdentity } from '../shared/crypto/identity.js';
import { pairKeys } from '../shared/crypto/pairwise.js';
import { openPost, sealPost } from '../shared/crypto/envelope.js';
import { round, timeIt } from './stats.js';

const BODY = 'x'.repeat(250) + ' — 280 chars of a typical post, with a little UTF-8 ✓✓'.slice(0, 30);

/**
 * Baseline: the bare composition the envelope is built from — one Ed25519 signature, one
 * XChaCha20-Poly1305 encryption of the body, and one 32-byte key wrap per friend under a key
 * computed once (no framing, no copies).
 */
function bareSeal(secret: Uint8Array, keys: Uint8Array[], body: Uint8Array) {
  const sig = ed25519.sign(body, secret);
  const k = randomBytes(32);
  const n = randomBytes(24);
  const ct = xchacha20poly1305(k, n).encrypt(body);
  const wraps = keys.map((wk) => xchacha20poly1305(wk, n).encrypt(k));
  return [sig, ct, wraps];
}

export function runSealBench(friendsList = [1, 10, 100, 1000], ms = 400): Record<string, number> {
  const me = generateIdentity('author');
  const friends = Array.from({ length: Math.max(...friendsList) }, (_, i) => generateIdentity(`f${i}`));
  const recipients = friends.map((f) => ({ sigPub: f.sigPub, wrapKey: pairKeys(me, f).wrap })); // once, at befriending
  const body = new TextEncoder().encode(BODY);
  const out: Record<string, number> = {};
  for (const n of friendsList) {
    const rs = recipients.slice(0, n);
    const keys = rs.map((r) => r.wrapKey);
    let seq = 0;
    // Interleave ours and baseline twice so drift in machine load hits both.
    const ours: number[] = [];
    const bare: number[] = [];
    for (let round_ = 0; round_ < 2; round_++) {
      ours.push(timeIt(() => sealPost(me, { seq: ++seq, ts: 1, body: BODY }, rs), { ms: ms / 2 }));
      bare.push(timeIt(() => bareSeal(me.sigSecret, keys, body), { ms: ms / 2 }));
    }
    const o = Math.min(...ours);
    const b = Math.min(...bare);
    out[`seal_${n}_friends_ms`] = round(o);
    out[`seal_${n}_friends_ops_per_s`] = round(1000 / o, 1);
    out[`seal_${n}_friends_baseline_ms`] = round(b);
    out[`seal_${n}_friends_ratio`] = round(o / b);
  }
  const [env] = sealPost(me, { seq: 1, ts: 1, body: BODY }, [{ sigPub: friends[0]!.sigPub, wrapKey: recipients[0]!.wrapKey }]);
  const wrap = pairKeys(friends[0]!, me).wrap;
  const ctx = { me: friends[0]!.sigPub, wrapKeyFor: () => wrap };
  const open = timeIt(() => openPost(env!.envelope, ctx), { ms });
  out.open_post_ms = round(open);
  out.open_post_ops_per_s = round(1000 / open, 1);
  return out;
}
