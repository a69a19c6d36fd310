// Sealed-post envelope v1: round trips, the shared content part, and every rejection with its own BwError code.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bodyLength,
  MAX_BODY_CHARS,
  MAX_ENVELOPE_BYTES,
  MAX_V1_ENVELOPE_BYTES,
  MIN_ENVELOPE_BYTES,
  openPost,
  readHeader,
  sealPost,
  type OpenContext,
} from '../../shared/crypto/envelope.js';
import { generateIdentity, peerId } from '../../shared/crypto/identity.js';
import { pairKeys } from '../../shared/crypto/pairwise.js';
import { concat, utf8 } from '../../shared/bytes.js';
import type { ErrorCode } from '../../shared/errors.js';
// Offsets, fixtures and the rejection table are shared with the Chromium suite (test/browser/crypto.test.ts).
import { contextFor, craft, envelopeRejections, flipped, OFF_AUTHOR, OFF_CONTENT, OFF_NONCE, OFF_RECIPIENT, OFF_WRAP, recipient, resequenced, sealOne } from '../cases/envelope.js';
import { queueRng, seqBytes, throwsCode } from './helpers.js';

const alice = generateIdentity('alice');
const bob = generateIdentity('bob');
const carol = generateIdentity('carol');
const dave = generateIdentity('dave');
const mallory = generateIdentity('mallory');

describe('round trip', () => {
  test('one recipient opens what the author sealed', () => {
    const env = sealOne(alice, bob, 'hello, bob', 7, 1_700_000_000_123);
    const post = openPost(env, contextFor(bob, [alice]));
    assert.deepEqual(post.author, alice.sigPub);
    assert.equal(post.seq, 7);
    assert.equal(post.ts, 1_700_000_000_123);
    assert.equal(post.body, 'hello, bob');
    assert.equal(env.length, MIN_ENVELOPE_BYTES + utf8('hello, bob').length);
  });

  test('three recipients each open their own envelope; the content ciphertext is shared, the wraps are not', () => {
    const friends = [bob, carol, dave];
    const sealed = sealPost(alice, { seq: 3, ts: 42, body: 'to all of you' }, friends.map((f) => recipient(alice, f)));
    assert.equal(sealed.length, 3);
    sealed.forEach((s, i) => {
      const f = friends[i]!;
      assert.deepEqual(s.to, f.sigPub, `envelope ${i} is addressed to ${f.name}`);
      assert.deepEqual(readHeader(s.envelope), { version: 1, author: alice.sigPub, recipient: f.sigPub });
      assert.deepEqual(openPost(s.envelope, contextFor(f, [alice])), { author: alice.sigPub, seq: 3, ts: 42, body: 'to all of you' }, f.name);
    });
    const [a, b, c] = sealed.map((s) => s.envelope) as [Uint8Array, Uint8Array, Uint8Array];
    for (const other of [b, c]) {
      assert.deepEqual(other.subarray(OFF_CONTENT), a.subarray(OFF_CONTENT), 'content ciphertext identical');
      assert.deepEqual(other.subarray(0, OFF_RECIPIENT), a.subarray(0, OFF_RECIPIENT), 'version and author identical');
      assert.deepEqual(other.subarray(OFF_NONCE, OFF_WRAP), a.subarray(OFF_NONCE, OFF_WRAP), 'nonce identical');
      assert.notDeepEqual(other.subarray(OFF_WRAP, OFF_CONTENT), a.subarray(OFF_WRAP, OFF_CONTENT), 'key wraps differ');
    }
    // …and one friend cannot open another's envelope.
    throwsCode(() => openPost(b, contextFor(bob, [alice])), 'not-friend', "bob opening carol's");
  });

  test('a fresh content key and nonce per post', () => {
    const x = sealOne(alice, bob, 'same');
    const y = sealOne(alice, bob, 'same');
    assert.notDeepEqual(x.subarray(OFF_NONCE, OFF_WRAP), y.subarray(OFF_NONCE, OFF_WRAP));
    assert.notDeepEqual(x.subarray(OFF_CONTENT), y.subarray(OFF_CONTENT));
  });

  test('an empty body makes the smallest envelope; seq and ts at 2^53 - 1 survive', () => {
    const env = sealOne(alice, bob, '', Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    assert.equal(env.length, MIN_ENVELOPE_BYTES);
    const post = openPost(env, contextFor(bob, [alice]));
    assert.equal(post.body, '');
    assert.equal(post.seq, Number.MAX_SAFE_INTEGER);
    assert.equal(post.ts, Number.MAX_SAFE_INTEGER);
  });

  test('the hand-built layout matches sealPost byte for byte (the documented format is the real one)', () => {
    const key = seqBytes(32, 1);
    const nonce = seqBytes(24, 100);
    const [s] = sealPost(alice, { seq: 9, ts: 99, body: 'layout' }, [recipient(alice, bob)], queueRng(key, nonce));
    assert.deepEqual(s!.envelope, craft(alice, bob, 9, 99, utf8('layout'), key, nonce));
  });
});

describe('rejections', () => {
  test('a signature by another key → bad-signature (even though it decrypts)', () => {
    // An identity that claims alice's key but signs with mallory's secret; the encryption itself is valid.
    const forger = { sigPub: alice.sigPub, sigSecret: mallory.sigSecret };
    const [s] = sealPost(forger, { seq: 1, ts: 1, body: 'I am alice' }, [recipient(alice, bob)]);
    throwsCode(() => openPost(s!.envelope, contextFor(bob, [alice])), 'bad-signature');
  });

  test('a signature over other content → bad-signature', () => {
    // Alice signed seq 1, but the inner plaintext says seq 2: a friend re-encrypting a post under new numbers.
    throwsCode(() => openPost(resequenced(alice, bob), contextFor(bob, [alice])), 'bad-signature');
  });

  test('every single-bit flip is caught, with the code its region calls for', () => {
    const env = sealOne(alice, bob, 'flip me');
    const ctx = contextFor(bob, [alice]);
    const expect = (at: number): ErrorCode => {
      if (at === 0) return 'bad-version';
      if (at < OFF_RECIPIENT) return 'not-friend'; // author changed: no such friend
      if (at < OFF_NONCE) return 'not-friend'; // recipient changed: addressed to someone else
      return 'bad-ciphertext'; // nonce, key wrap, content or tag
    };
    for (let at = 0; at < env.length; at++) {
      for (const bit of [0, 7]) throwsCode(() => openPost(flipped(env, at, bit), ctx), expect(at), `bit ${bit} of byte ${at}`);
    }
  });

  test('a flipped author is still caught cryptographically when the key lookup ignores the author', () => {
    const env = sealOne(alice, bob);
    const wrap = pairKeys(bob, alice).wrap;
    const sloppy: OpenContext = { me: bob.sigPub, wrapKeyFor: () => wrap };
    assert.equal(openPost(env, sloppy).body, 'hello');
    for (const at of [OFF_AUTHOR, 16, OFF_RECIPIENT - 1]) throwsCode(() => openPost(flipped(env, at), sloppy), 'bad-ciphertext', `author byte ${at}`);
  });

  test('ciphertext bit-flips → bad-ciphertext (first, middle, tag)', () => {
    const env = sealOne(alice, bob, 'some content');
    const ctx = contextFor(bob, [alice]);
    for (const at of [OFF_CONTENT, OFF_CONTENT + 40, env.length - 1]) throwsCode(() => openPost(flipped(env, at), ctx), 'bad-ciphertext', `byte ${at}`);
  });

  test('replay: the same (author, seq) is refused once accepted; another seq is fine', () => {
    const ctx = contextFor(bob, [alice]);
    const first = sealOne(alice, bob, 'one', 1);
    const post = openPost(first, ctx);
    ctx.accept(post.author, post.seq);
    throwsCode(() => openPost(first, ctx), 'replay', 'same bytes');
    throwsCode(() => openPost(sealOne(alice, bob, 'other body, same seq', 1), ctx), 'replay', 'new envelope, same seq');
    assert.equal(openPost(sealOne(alice, bob, 'two', 2), ctx).seq, 2);
    // The same seq from another author is not a replay.
    const both = contextFor(bob, [alice, carol]);
    both.accept(alice.sigPub, 1);
    assert.equal(openPost(sealOne(carol, bob, 'hi', 1), both).seq, 1);
  });

  test('a post from someone who is not a friend → not-friend', () => {
    const env = sealOne(mallory, bob);
    throwsCode(() => openPost(env, contextFor(bob, [alice])), 'not-friend');
  });

  test('an unknown version byte → bad-version, before any length check', () => {
    const env = sealOne(alice, bob);
    const ctx = contextFor(bob, [alice]);
    for (const v of [0, 3, 255]) {
      const x = env.slice();
      x[0] = v;
      throwsCode(() => openPost(x, ctx), 'bad-version', `version ${v}`);
      throwsCode(() => readHeader(x), 'bad-version', `readHeader version ${v}`);
    }
    throwsCode(() => readHeader(Uint8Array.of(3)), 'bad-version', 'a lone version byte');
    const two = env.slice();
    two[0] = 2;
    throwsCode(() => openPost(two, ctx), 'bad-version', 'openPost reads v1 only');
  });

  test('a body over 280 code points → oversize on seal', () => {
    throwsCode(() => sealPost(alice, { seq: 1, ts: 1, body: 'x'.repeat(281) }, [recipient(alice, bob)]), 'oversize');
    assert.equal(sealPost(alice, { seq: 1, ts: 1, body: 'x'.repeat(280) }, [recipient(alice, bob)]).length, 1);
  });

  test('emoji count as code points: 280 are fine (the largest envelope), 281 are not', () => {
    const emoji = '😀'.repeat(MAX_BODY_CHARS);
    assert.equal(emoji.length, 560, 'two UTF-16 units each');
    assert.equal(bodyLength(emoji), 280);
    const env = sealOne(alice, bob, emoji);
    assert.equal(env.length, MAX_V1_ENVELOPE_BYTES, '4 UTF-8 bytes each: the worst case');
    assert.equal(openPost(env, contextFor(bob, [alice])).body, emoji);
    throwsCode(() => sealOne(alice, bob, emoji + '😀'), 'oversize');
    assert.equal(bodyLength('👍🏽'), 2, 'a skin-toned emoji is two code points');
  });

  test('an envelope over the maximum size → oversize on open (and in readHeader)', () => {
    const env = sealOne(alice, bob);
    const big = concat(env, new Uint8Array(MAX_ENVELOPE_BYTES + 1 - env.length));
    throwsCode(() => openPost(big, contextFor(bob, [alice])), 'oversize');
    throwsCode(() => readHeader(big), 'oversize');
  });

  test('a friend who encrypts a body over the limit or not UTF-8 is refused after verification', () => {
    const ctx = contextFor(bob, [alice]);
    const key = seqBytes(32, 3);
    const nonce = seqBytes(24, 30);
    throwsCode(() => openPost(craft(alice, bob, 1, 1, utf8('y'.repeat(281)), key, nonce), ctx), 'oversize', '281 chars');
    throwsCode(() => openPost(craft(alice, bob, 1, 1, Uint8Array.of(0x61, 0xff, 0x62), key, nonce), ctx), 'bad-encoding', 'invalid UTF-8');
    assert.equal(openPost(craft(alice, bob, 1, 1, utf8('y'.repeat(280)), key, nonce), ctx).body.length, 280);
  });

  test('truncated → bad-encoding below the minimum, bad-ciphertext above it', () => {
    const env = sealOne(alice, bob, 'a body long enough to cut');
    const ctx = contextFor(bob, [alice]);
    throwsCode(() => openPost(new Uint8Array(0), ctx), 'bad-encoding', 'empty');
    throwsCode(() => openPost(env.subarray(0, 1), ctx), 'bad-encoding', 'version only');
    throwsCode(() => openPost(env.subarray(0, OFF_CONTENT), ctx), 'bad-encoding', 'header only');
    throwsCode(() => openPost(env.subarray(0, MIN_ENVELOPE_BYTES - 1), ctx), 'bad-encoding', 'one under the minimum');
    throwsCode(() => openPost(env.subarray(0, env.length - 1), ctx), 'bad-ciphertext', 'last byte cut');
    throwsCode(() => openPost(env.subarray(0, MIN_ENVELOPE_BYTES), ctx), 'bad-ciphertext', 'cut to the minimum');
  });

  test('non-bytes → bad-encoding', () => {
    throwsCode(() => readHeader('AQ' as unknown as Uint8Array), 'bad-encoding');
    throwsCode(() => openPost([1, 2, 3] as unknown as Uint8Array, contextFor(bob, [alice])), 'bad-encoding');
  });

  test('seq and ts must be non-negative safe integers to seal', () => {
    for (const [seq, ts] of [
      [-1, 1],
      [1, -1],
      [1.5, 1],
      [2 ** 53, 1],
    ] as const) {
      throwsCode(() => sealPost(alice, { seq, ts, body: 'x' }, [recipient(alice, bob)]), 'bad-encoding', `seq ${seq} ts ${ts}`);
    }
  });
});

describe('unfriending', () => {
  test('a friend left out of the recipients gets no envelope, and cannot open anyone else’s', () => {
    // Alice was friends with bob and carol; she unfriends carol and seals only for bob.
    const sealed = sealPost(alice, { seq: 10, ts: 10, body: 'after the falling-out' }, [recipient(alice, bob)]);
    assert.equal(sealed.filter((s) => peerId(s.to) === peerId(carol.sigPub)).length, 0, 'no envelope for carol');
    const carolCtx = contextFor(carol, [alice]); // carol still holds alice as a friend
    for (const s of sealed) throwsCode(() => openPost(s.envelope, carolCtx), 'not-friend', 'addressed to bob');
    // Even claiming to be the recipient does not help: the wrap is bound to bob's key and sealed for bob's pair key.
    const readdressed = sealed[0]!.envelope.slice();
    readdressed.set(carol.sigPub, OFF_RECIPIENT);
    throwsCode(() => openPost(readdressed, carolCtx), 'bad-ciphertext', 're-addressed to carol');
    // Bob still reads it.
    assert.equal(openPost(sealed[0]!.envelope, contextFor(bob, [alice])).body, 'after the falling-out');
  });

  test('a recipient who unfriended the author refuses their posts', () => {
    const env = sealOne(alice, bob);
    throwsCode(() => openPost(env, contextFor(bob, [carol])), 'not-friend');
  });
});

describe('the shared rejection table (test/cases/envelope.ts, also run in Chromium)', () => {
  test('every case fails with its code', () => {
    const cases = envelopeRejections({ alice, bob, carol, mallory });
    for (const code of ['bad-signature', 'bad-ciphertext', 'replay', 'not-friend', 'bad-version', 'oversize', 'bad-encoding'] as const) {
      assert.ok(cases.some((c) => c.code === code), `the table has a ${code} case`);
    }
    for (const c of cases) throwsCode(c.run, c.code, c.what);
  });
});
