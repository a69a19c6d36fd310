// Envelope fixtures and the table of envelope rejections, shared by test/node/envelope.test.ts and the Chromium suite.
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { ENVELOPE_VERSION, MAX_BODY_CHARS, MAX_ENVELOPE_BYTES, MIN_ENVELOPE_BYTES, openPost, readHeader, sealPost, type OpenContext, type Recipient } from '../../shared/crypto/envelope.js';
import { peerId, sign, type Identity } from '../../shared/crypto/identity.js';
import { LABEL, signedMessage } from '../../shared/crypto/kdf.js';
import { pairKeys } from '../../shared/crypto/pairwise.js';
import { concat, u64be, utf8 } from '../../shared/bytes.js';
import { seqBytes, type RejectionCase } from './util.js';

// Offsets from the layout table in envelope.ts, restated here so the tests check the documented format.
export const OFF_AUTHOR = 1;
export const OFF_RECIPIENT = 33;
export const OFF_NONCE = 65;
export const OFF_WRAP = 89;
export const OFF_CONTENT = 137;

export const recipient = (author: Identity, friend: Identity): Recipient => ({ sigPub: friend.sigPub, wrapKey: pairKeys(author, friend).wrap });

/** What a client holds: its friends' wrap keys by author, and the (author, seq) pairs it accepted. */
export function contextFor(me: Identity, friends: Identity[]): OpenContext & { accept(author: Uint8Array, seq: number): void } {
  const keys = new Map(friends.map((f) => [peerId(f.sigPub), pairKeys(me, f).wrap]));
  const seen = new Set<string>();
  return {
    me: me.sigPub,
    wrapKeyFor: (author) => keys.get(peerId(author)),
    seen: (author, seq) => seen.has(`${peerId(author)}/${seq}`),
    accept: (author, seq) => void seen.add(`${peerId(author)}/${seq}`),
  };
}

export function sealOne(author: Identity, to: Identity, body = 'hello', seq = 1, ts = 1_700_000_000_000): Uint8Array {
  const sealed = sealPost(author, { seq, ts, body }, [recipient(author, to)]);
  if (sealed.length !== 1) throw new Error(`sealPost for one recipient made ${sealed.length} envelopes`);
  return sealed[0]!.envelope;
}

export function flipped(env: Uint8Array, at: number, bit = 0): Uint8Array {
  const out = env.slice();
  out[at]! ^= 1 << bit;
  return out;
}

/**
 * Builds an envelope by hand from the documented layout, so tests can sign and encrypt inner content that
 * sealPost would refuse to produce (bad UTF-8, too many characters) as a malicious friend could.
 */
export function craft(author: Identity, to: Identity, seq: number, ts: number, body: Uint8Array, contentKey: Uint8Array, nonce: Uint8Array): Uint8Array {
  const sig = sign(signedMessage(LABEL.postSig, author.sigPub, u64be(seq), u64be(ts), body), author.sigSecret);
  const head = concat(Uint8Array.of(ENVELOPE_VERSION), author.sigPub, to.sigPub, nonce);
  const wrap = xchacha20poly1305(pairKeys(author, to).wrap, nonce, head).encrypt(contentKey);
  const content = xchacha20poly1305(contentKey, nonce, concat(head.subarray(0, OFF_RECIPIENT), nonce)).encrypt(concat(u64be(seq), u64be(ts), sig, body));
  return concat(head, wrap, content);
}

/** An envelope by `author` whose signature covers seq 1 while the (validly encrypted) inner plaintext says seq 2. */
export function resequenced(author: Identity, to: Identity): Uint8Array {
  const key = seqBytes(32, 7);
  const nonce = seqBytes(24, 70);
  const honest = craft(author, to, 1, 5, utf8('x'), key, nonce);
  const aad = concat(honest.subarray(0, OFF_RECIPIENT), nonce);
  const inner = xchacha20poly1305(key, nonce, aad).decrypt(honest.subarray(OFF_CONTENT));
  inner.set(u64be(2), 0);
  return concat(honest.subarray(0, OFF_CONTENT), xchacha20poly1305(key, nonce, aad).encrypt(inner));
}

/** Opens `env` once (it must open), marks it accepted, then opens `again`: the replay. */
function acceptThenOpen(ctx: ReturnType<typeof contextFor>, env: Uint8Array, again: Uint8Array): unknown {
  const post = openPost(env, ctx);
  ctx.accept(post.author, post.seq);
  return openPost(again, ctx);
}

/**
 * Every envelope rejection code, each case self-contained (its own context and envelopes, built when run).
 * Alice and carol are bob's friends; mallory is nobody's.
 */
export function envelopeRejections({ alice, bob, carol, mallory }: Record<'alice' | 'bob' | 'carol' | 'mallory', Identity>): RejectionCase[] {
  const atBob = () => contextFor(bob, [alice, carol]);
  const withVersion = (v: number) => {
    const env = sealOne(alice, bob);
    env[0] = v;
    return env;
  };
  const key = seqBytes(32, 3);
  const nonce = seqBytes(24, 30);
  return [
    // bad-signature: decrypts fine, but the signature is not the author's over this content.
    { what: "signed with another key than the author's", code: 'bad-signature', run: () => openPost(sealPost({ sigPub: alice.sigPub, sigSecret: mallory.sigSecret }, { seq: 1, ts: 1, body: 'I am alice' }, [recipient(alice, bob)])[0]!.envelope, atBob()) },
    { what: 'signature over another seq (re-encrypted by a friend)', code: 'bad-signature', run: () => openPost(resequenced(alice, bob), atBob()) },
    // bad-ciphertext: any change after the header, or a header the AEADs bind.
    { what: 'nonce bit-flip', code: 'bad-ciphertext', run: () => openPost(flipped(sealOne(alice, bob), OFF_NONCE), atBob()) },
    { what: 'key wrap bit-flip', code: 'bad-ciphertext', run: () => openPost(flipped(sealOne(alice, bob), OFF_WRAP + 5, 7), atBob()) },
    { what: 'content bit-flip', code: 'bad-ciphertext', run: () => openPost(flipped(sealOne(alice, bob, 'some content'), OFF_CONTENT + 40), atBob()) },
    { what: 'tag bit-flip (last byte)', code: 'bad-ciphertext', run: () => openPost(((e) => flipped(e, e.length - 1))(sealOne(alice, bob)), atBob()) },
    { what: 'last byte cut', code: 'bad-ciphertext', run: () => openPost(((e) => e.subarray(0, e.length - 1))(sealOne(alice, bob, 'a body long enough to cut')), atBob()) },
    { what: 'author changed under a key lookup that ignores the author', code: 'bad-ciphertext', run: () => openPost(flipped(sealOne(alice, bob), OFF_AUTHOR + 3), { me: bob.sigPub, wrapKeyFor: () => pairKeys(bob, alice).wrap }) },
    { what: "bob's envelope re-addressed to carol", code: 'bad-ciphertext', run: () => openPost(((e) => (e.set(carol.sigPub, OFF_RECIPIENT), e))(sealOne(alice, bob)), contextFor(carol, [alice])) },
    // replay
    { what: 'the same envelope twice', code: 'replay', run: () => ((e) => acceptThenOpen(atBob(), e, e))(sealOne(alice, bob, 'one', 1)) },
    { what: 'a new envelope with an accepted seq', code: 'replay', run: () => acceptThenOpen(atBob(), sealOne(alice, bob, 'one', 1), sealOne(alice, bob, 'other body, same seq', 1)) },
    // not-friend
    { what: 'from someone who is not a friend', code: 'not-friend', run: () => openPost(sealOne(mallory, bob), atBob()) },
    { what: 'addressed to someone else', code: 'not-friend', run: () => openPost(sealOne(alice, carol), atBob()) },
    { what: 'author bit-flip (no such friend)', code: 'not-friend', run: () => openPost(flipped(sealOne(alice, bob), OFF_AUTHOR), atBob()) },
    // bad-version: checked before anything else.
    ...[0, 3, 255].map((v): RejectionCase => ({ what: `version byte ${v}`, code: 'bad-version', run: () => openPost(withVersion(v), atBob()) })),
    { what: 'a lone version byte 3 (readHeader)', code: 'bad-version', run: () => readHeader(Uint8Array.of(3)) },
    { what: 'a v1 envelope handed to openPost as version 2', code: 'bad-version', run: () => openPost(withVersion(2), atBob()) },
    // oversize
    { what: `sealing ${MAX_BODY_CHARS + 1} characters`, code: 'oversize', run: () => sealOne(alice, bob, 'x'.repeat(MAX_BODY_CHARS + 1)) },
    { what: `sealing ${MAX_BODY_CHARS + 1} emoji`, code: 'oversize', run: () => sealOne(alice, bob, '😀'.repeat(MAX_BODY_CHARS + 1)) },
    { what: `an envelope of ${MAX_ENVELOPE_BYTES + 1} bytes`, code: 'oversize', run: () => openPost(((e) => concat(e, new Uint8Array(MAX_ENVELOPE_BYTES + 1 - e.length)))(sealOne(alice, bob)), atBob()) },
    { what: `an envelope of ${MAX_ENVELOPE_BYTES + 1} bytes (readHeader)`, code: 'oversize', run: () => readHeader(new Uint8Array(MAX_ENVELOPE_BYTES + 1).fill(ENVELOPE_VERSION, 0, 1)) },
    { what: `a friend's hand-made ${MAX_BODY_CHARS + 1}-character body`, code: 'oversize', run: () => openPost(craft(alice, bob, 1, 1, utf8('y'.repeat(MAX_BODY_CHARS + 1)), key, nonce), atBob()) },
    // bad-encoding
    { what: 'empty', code: 'bad-encoding', run: () => openPost(new Uint8Array(0), atBob()) },
    { what: 'version byte only', code: 'bad-encoding', run: () => openPost(Uint8Array.of(ENVELOPE_VERSION), atBob()) },
    { what: 'header only', code: 'bad-encoding', run: () => openPost(sealOne(alice, bob).subarray(0, OFF_CONTENT), atBob()) },
    { what: 'one byte under the minimum', code: 'bad-encoding', run: () => openPost(sealOne(alice, bob).subarray(0, MIN_ENVELOPE_BYTES - 1), atBob()) },
    { what: "a friend's hand-made body that is not UTF-8", code: 'bad-encoding', run: () => openPost(craft(alice, bob, 1, 1, Uint8Array.of(0x61, 0xff, 0x62), key, nonce), atBob()) },
    { what: 'not bytes (a string)', code: 'bad-encoding', run: () => readHeader('AQ' as unknown as Uint8Array) },
    { what: 'not bytes (an array)', code: 'bad-encoding', run: () => openPost([1, 2, 3] as unknown as Uint8Array, atBob()) },
    { what: 'sealing a negative seq', code: 'bad-encoding', run: () => sealOne(alice, bob, 'x', -1) },
    { what: 'sealing a ts of 2^53', code: 'bad-encoding', run: () => sealOne(alice, bob, 'x', 1, 2 ** 53) },
  ];
}
