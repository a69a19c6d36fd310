// Content v2 and envelope v2: signed items, bundles, the per-friend stream number, a pinned vector, and every refusal with its code.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MAX_V2_ENVELOPE_BYTES, openEnvelope, openPost, readHeader, sealContent } from '../../shared/crypto/envelope.js';
import {
  decodeBundle,
  encodeBundle,
  MAX_BIO_CHARS,
  MAX_CONTENT_BYTES,
  openItem,
  signItem,
  v1PostId,
  type ItemInput,
} from '../../shared/crypto/content.js';
import { generateIdentity, peerId, sign, type Identity } from '../../shared/crypto/identity.js';
import { LABEL, signedMessage } from '../../shared/crypto/kdf.js';
import { pairKeys } from '../../shared/crypto/pairwise.js';
import { concat, utf8 } from '../../shared/bytes.js';
import { MAX_PHOTOS, type PhotoRef } from '../../shared/photo-ref.js';
import { contextFor, flipped } from '../cases/envelope.js';
import { fromHex, queueRng, toHex, throwsCode, Xorshift } from './helpers.js';
import { BwError } from '../../shared/errors.js';

const alice = generateIdentity('alice');
const bob = generateIdentity('bob');
const carol = generateIdentity('carol');

const ID = 'AAAAAAAAAAAAAAAAAAAAAA';
const B32 = 'A'.repeat(43);
const post = (text = 'hello', extra: Partial<ItemInput> = {}): ItemInput => ({ kind: 'post', id: ID, ts: 1_700_000_000_000, text, ...extra }) as ItemInput;
const photo = (alt?: string): PhotoRef => ({ id: B32, key: B32, mime: 'image/webp', w: 1600, h: 1200, bytes: 400_000, thumb: { id: B32, key: B32, mime: 'image/webp', w: 320, h: 240, bytes: 20_000 }, ...(alt !== undefined && { alt }) });

/** Signs any JSON as an item, bypassing signItem's checks: what a malicious friend could send. */
export function rawItem(who: Identity, json: unknown): Uint8Array {
  const body = utf8(JSON.stringify(json));
  return concat(who.sigPub, sign(signedMessage(LABEL.itemSig, who.sigPub, body), who.sigSecret), body);
}

const seal = (from: Identity, to: Identity, items: Uint8Array[], stream = 1) =>
  sealContent(from, encodeBundle(items), [{ sigPub: to.sigPub, wrapKey: pairKeys(from, to).wrap, stream }])[0]!.envelope;

describe('signed items', () => {
  test('an item verifies for anyone, after being passed on, and says who signed it', () => {
    const s = signItem(bob, { kind: 'reply', id: ID, ts: 5, to: { a: peerId(alice.sigPub), id: ID }, text: 'nice' });
    const back = openItem(s.bytes);
    assert.deepEqual(back.signer, bob.sigPub);
    assert.deepEqual(back.item, { v: 2, kind: 'reply', id: ID, ts: 5, to: { a: peerId(alice.sigPub), id: ID }, text: 'nice' });
  });

  test('a changed byte or another signer is bad-signature', () => {
    const s = signItem(bob, post());
    throwsCode(() => openItem(flipped(s.bytes, s.bytes.length - 3)), 'bad-signature', 'body byte');
    const claimed = s.bytes.slice();
    claimed.set(carol.sigPub, 0);
    throwsCode(() => openItem(claimed), 'bad-signature', 'signer swapped');
  });

  test('limits: text 280, bio 160, photos 4 → oversize; a bad photo or big avatar → bad-image; not an emoji → bad-frame', () => {
    throwsCode(() => signItem(alice, post('x'.repeat(281))), 'oversize', 'post text');
    throwsCode(() => signItem(alice, { kind: 'profile', id: ID, ts: 1, name: 'Al', bio: 'b'.repeat(MAX_BIO_CHARS + 1) }), 'oversize', 'bio');
    assert.equal(signItem(alice, { kind: 'profile', id: ID, ts: 1, name: 'Al', bio: 'b'.repeat(MAX_BIO_CHARS) }).item.kind, 'profile');
    throwsCode(() => signItem(alice, post('x', { photos: Array(MAX_PHOTOS + 1).fill(photo()) } as Partial<ItemInput>)), 'oversize', 'five photos');
    throwsCode(() => signItem(alice, post('x', { photos: [{ ...photo(), w: 1601 }] } as Partial<ItemInput>)), 'bad-image', 'photo too wide');
    throwsCode(() => signItem(alice, { kind: 'profile', id: ID, ts: 1, name: 'Al', bio: '', avatar: { ...photo(), w: 257, h: 100 } }), 'bad-image', 'avatar over 256 px');
    throwsCode(() => signItem(alice, { kind: 'profile', id: ID, ts: 1, name: 'Al', bio: '', avatar: { id: B32, key: B32, mime: 'image/webp', w: 256, h: 256, bytes: 400_000 } }), 'bad-image', 'avatar too many bytes');
    throwsCode(() => signItem(alice, { kind: 'reaction', id: ID, ts: 1, to: { a: peerId(bob.sigPub), id: ID }, emoji: 'lol' }), 'bad-frame', 'reaction text');
    assert.equal(signItem(alice, { kind: 'reaction', id: ID, ts: 1, to: { a: peerId(bob.sigPub), id: ID }, emoji: '👍🏽' }).item.kind, 'reaction');
    // The same limits hold for what a friend signs by hand: they are checked again on open.
    throwsCode(() => openItem(rawItem(bob, { v: 2, kind: 'profile', id: ID, ts: 1, name: 'B', bio: 'b'.repeat(161) })), 'oversize', 'hand-made bio');
    throwsCode(() => openItem(rawItem(bob, { v: 3, kind: 'post', id: ID, ts: 1, text: 'x' })), 'bad-version', 'content version 3');
    throwsCode(() => openItem(rawItem(bob, { v: 2, kind: 'poke', id: ID, ts: 1 })), 'bad-frame', 'unknown kind');
  });

  test('worst cases fit one envelope: 4 photos with the longest alt texts; a reply with its card', () => {
    const alt = '\u0001'.repeat(420); // 6 bytes each once JSON-escaped
    const text = '"'.repeat(280);
    const big = signItem(alice, post(text, { photos: Array(MAX_PHOTOS).fill(photo(alt)) } as Partial<ItemInput>));
    const card = signItem(bob, { kind: 'profile', id: ID, ts: 1, name: '\u0001'.repeat(64), bio: '\u0001'.repeat(160), avatar: { id: B32, key: B32, mime: 'image/webp', w: 256, h: 256, bytes: 60_000 } });
    const reply = signItem(bob, { kind: 'reply', id: ID, ts: 1, to: { a: peerId(alice.sigPub), id: ID }, text: '\u0001'.repeat(280) });
    for (const [what, items] of [['post', [big.bytes]], ['reply + card', [reply.bytes, card.bytes]]] as const) {
      const content = encodeBundle(items);
      assert.ok(content.length <= MAX_CONTENT_BYTES, `${what}: ${content.length} bytes`);
      assert.ok(seal(bob, alice, [...items]).length <= MAX_V2_ENVELOPE_BYTES);
    }
  });
});

describe('envelope v2', () => {
  test('one content, a stream number per recipient; each opens only their own', () => {
    const s = signItem(alice, post('to you both'));
    const sealed = sealContent(alice, encodeBundle([s.bytes]), [
      { sigPub: bob.sigPub, wrapKey: pairKeys(alice, bob).wrap, stream: 7 },
      { sigPub: carol.sigPub, wrapKey: pairKeys(alice, carol).wrap, stream: 2 },
    ]);
    const atBob = openEnvelope(sealed[0]!.envelope, contextFor(bob, [alice]));
    const atCarol = openEnvelope(sealed[1]!.envelope, contextFor(carol, [alice]));
    assert.deepEqual([atBob.version, atBob.seq, atCarol.seq], [2, 7, 2]);
    assert.deepEqual(atBob.items[0]!.bytes, s.bytes, 'the same signed bytes for everyone');
    assert.deepEqual(readHeader(sealed[0]!.envelope), { version: 2, author: alice.sigPub, recipient: bob.sigPub });
    throwsCode(() => openEnvelope(sealed[0]!.envelope, contextFor(carol, [alice])), 'not-friend', "carol opening bob's");
    throwsCode(() => openPost(sealed[0]!.envelope, contextFor(bob, [alice])), 'bad-version', 'openPost is v1 only');
  });

  test('the stream number is authenticated; replays are named; tampering is bad-ciphertext', () => {
    const env = seal(alice, bob, [signItem(alice, post()).bytes], 3);
    const ctx = contextFor(bob, [alice]);
    const o = openEnvelope(env, ctx);
    ctx.accept(o.author, o.seq);
    throwsCode(() => openEnvelope(env, ctx), 'replay');
    for (const at of [100, 140, 150, env.length - 1]) throwsCode(() => openEnvelope(flipped(env, at), contextFor(bob, [alice])), 'bad-ciphertext', `byte ${at}`);
    throwsCode(() => openEnvelope(seal(carol, bob, [signItem(carol, post()).bytes]), contextFor(bob, [alice])), 'not-friend', 'a stranger');
  });

  test('content refused inside an authentic envelope still names its sender and stream number (so the stream has no hole)', () => {
    const forged = flipped(signItem(alice, post()).bytes, 120);
    const o = openEnvelope(seal(alice, bob, [forged], 5), contextFor(bob, [alice]));
    assert.deepEqual([o.seq, o.items.length, o.refused?.code], [5, 0, 'bad-signature']);
    const long = openEnvelope(seal(alice, bob, [rawItem(alice, { v: 2, kind: 'post', id: ID, ts: 1, text: 'x'.repeat(281) })], 6), contextFor(bob, [alice]));
    assert.deepEqual([long.seq, long.refused?.code], [6, 'oversize']);
  });

  test('bundles: 1..3 items, lengths checked before parsing', () => {
    const one = signItem(alice, post()).bytes;
    throwsCode(() => encodeBundle([]), 'bad-frame');
    throwsCode(() => encodeBundle([one, one, one, one]), 'bad-frame');
    const b = encodeBundle([one]);
    throwsCode(() => decodeBundle(b.subarray(0, b.length - 1)), 'bad-encoding', 'cut short');
    throwsCode(() => decodeBundle(concat(b, Uint8Array.of(0))), 'bad-encoding', 'trailing byte');
    throwsCode(() => decodeBundle(Uint8Array.of(0)), 'bad-encoding', 'zero items');
    throwsCode(() => decodeBundle(new Uint8Array(MAX_CONTENT_BYTES + 1)), 'oversize');
  });

  test('v1 posts get one id every reader agrees on', () => {
    assert.equal(v1PostId(alice.sigPub, 3), v1PostId(alice.sigPub, 3));
    assert.notEqual(v1PostId(alice.sigPub, 3), v1PostId(alice.sigPub, 4));
    assert.match(v1PostId(alice.sigPub, 3), /^[A-Za-z0-9_-]{21}[AQgw]$/);
  });
});

interface V2Vector {
  authorSecrets: [string, string];
  recipientSecrets: [string, string];
  item: ItemInput;
  stream: number;
  contentKey: string;
  nonce: string;
  signedItem: string;
  envelope: string;
}

test('fixed vector: the documented v2 layout, byte for byte (test/vectors/envelope-v2.json)', () => {
  const path = fileURLToPath(new URL('../../../test/vectors/envelope-v2.json', import.meta.url));
  const vectors = JSON.parse(readFileSync(path, 'utf8')).envelope as V2Vector[];
  assert.ok(vectors.length > 0);
  for (const [i, v] of vectors.entries()) {
    const where = `vector ${i}`;
    const a = generateIdentity('a', queueRng(fromHex(v.authorSecrets[0]), fromHex(v.authorSecrets[1])));
    const r = generateIdentity('r', queueRng(fromHex(v.recipientSecrets[0]), fromHex(v.recipientSecrets[1])));
    const s = signItem(a, v.item);
    assert.equal(toHex(s.bytes), v.signedItem, `${where}: signed item`);
    const [env] = sealContent(a, encodeBundle([s.bytes]), [{ sigPub: r.sigPub, wrapKey: pairKeys(a, r).wrap, stream: v.stream }], queueRng(fromHex(v.contentKey), fromHex(v.nonce)));
    assert.equal(toHex(env!.envelope), v.envelope, `${where}: envelope`);
    // The layout table in envelope.ts: version, author, recipient, nonce, 56-byte wrap, content.
    const e = fromHex(v.envelope);
    assert.equal(e[0], 2);
    assert.equal(toHex(e.subarray(1, 33)), toHex(a.sigPub));
    assert.equal(toHex(e.subarray(33, 65)), toHex(r.sigPub));
    assert.equal(toHex(e.subarray(65, 89)), v.nonce);
    assert.equal(e.length, 145 + 1 + 2 + s.bytes.length + 16);
    const o = openEnvelope(e, contextFor(r, [a]));
    assert.equal(o.seq, v.stream, `${where}: stream`);
    assert.deepEqual(o.items[0]!.item, { v: 2, ...v.item }, `${where}: item`);
  }
});

test('property: random changes to a v2 envelope are refused with a BwError or opened as the original, never a crash', () => {
  const rnd = new Xorshift(0xb2a1);
  const items = [signItem(bob, { kind: 'reply', id: ID, ts: 9, to: { a: peerId(alice.sigPub), id: ID }, text: 'fuzz me 😀' }).bytes, signItem(bob, { kind: 'profile', id: ID, ts: 9, name: 'Bob', bio: 'b' }).bytes];
  const env = seal(bob, alice, items, 77);
  for (let i = 0; i < 3000; i++) {
    const x = env.slice();
    for (let n = 1 + rnd.int(3); n > 0; n--) x[rnd.int(x.length)] = rnd.int(256);
    const input = rnd.int(10) === 0 ? x.subarray(0, rnd.int(x.length)) : x;
    try {
      const o = openEnvelope(input, contextFor(alice, [bob]));
      if (toHex(input) !== toHex(env) && !o.refused) assert.fail(`iteration ${i}: a changed envelope opened`);
    } catch (e) {
      if (!(e instanceof BwError)) assert.fail(`iteration ${i}: ${String(e)}`);
    }
  }
});
