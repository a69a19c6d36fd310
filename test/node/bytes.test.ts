// Byte helpers: strict base64url (RFC 4648 §5, unpadded, canonical), fatal UTF-8, big-endian u64, concat, equality.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { concat, equalBytes, fromB64u, fromB64uLen, fromUtf8, readU64be, toB64u, u64be, utf8 } from '../../shared/bytes.js';
import { seqBytes, throwsCode, Xorshift } from './helpers.js';

/** Node's own base64url encoder as an independent reference. */
const nodeB64u = (b: Uint8Array): string => Buffer.from(b).toString('base64url');

describe('base64url', () => {
  test('round trips every length 0..40 and matches an independent encoder', () => {
    const r = new Xorshift(7);
    for (let len = 0; len <= 40; len++) {
      for (const b of [r.bytes(len), new Uint8Array(len), new Uint8Array(len).fill(0xff)]) {
        const text = toB64u(b);
        assert.equal(text, nodeB64u(b), `encode length ${len}`);
        assert.equal(text.length, Math.ceil((len * 4) / 3), `encoded length for ${len}`);
        assert.deepEqual(fromB64u(text), b, `round trip length ${len}`);
      }
    }
  });

  test('RFC 4648 §10 vectors (unpadded, url alphabet)', () => {
    const cases: [string, string][] = [
      ['', ''],
      ['f', 'Zg'],
      ['fo', 'Zm8'],
      ['foo', 'Zm9v'],
      ['foob', 'Zm9vYg'],
      ['fooba', 'Zm9vYmE'],
      ['foobar', 'Zm9vYmFy'],
    ];
    for (const [plain, enc] of cases) {
      assert.equal(toB64u(utf8(plain)), enc, plain);
      assert.equal(fromUtf8(fromB64u(enc)), plain, enc);
    }
    // The two url-safe characters are '-' (62) and '_' (63), never '+' and '/'.
    assert.equal(toB64u(Uint8Array.of(0xfb, 0xff)), '-_8');
    assert.deepEqual(fromB64u('-_8'), Uint8Array.of(0xfb, 0xff));
  });

  test('rejects padding', () => {
    throwsCode(() => fromB64u('Zg=='), 'bad-encoding');
    throwsCode(() => fromB64u('Zm8='), 'bad-encoding');
    throwsCode(() => fromB64u('===='), 'bad-encoding');
  });

  test('rejects foreign characters: standard alphabet, whitespace, non-ASCII', () => {
    for (const t of ['Zm9+', 'Zm9/', 'Zm 9v', 'Zm9v\n', ' Zm9v', 'Zm9.', 'Zm9é', 'Zm9\u0000', '😀😀']) {
      throwsCode(() => fromB64u(t), 'bad-encoding', JSON.stringify(t));
    }
  });

  test('rejects non-canonical trailing bits', () => {
    // 'Zg' is canonical for 'f' (0x66); 'Zh'…'Zv' carry the same byte with non-zero spare bits.
    assert.deepEqual(fromB64u('Zg'), utf8('f'));
    for (const t of ['Zh', 'Zi', 'Zp', 'Zv']) throwsCode(() => fromB64u(t), 'bad-encoding', t);
    // 3-char form has 2 spare bits: 'Zm8' is canonical, 'Zm9' is not.
    assert.deepEqual(fromB64u('Zm8'), utf8('fo'));
    throwsCode(() => fromB64u('Zm9'), 'bad-encoding', 'Zm9');
    // A 32-byte key's last char must be one of 16 chars whose low 2 bits are zero.
    const key = toB64u(new Uint8Array(32));
    throwsCode(() => fromB64u(key.slice(0, -1) + 'B'), 'bad-encoding', 'key with spare bits set');
  });

  test('rejects length % 4 == 1', () => {
    for (const t of ['A', 'AAAAA', 'Zm9vY']) throwsCode(() => fromB64u(t), 'bad-encoding', t);
  });

  test('non-strings are rejected with a BwError, not a TypeError', () => {
    throwsCode(() => fromB64u(undefined as unknown as string), 'bad-encoding');
    throwsCode(() => fromB64u(42 as unknown as string), 'bad-encoding');
  });

  test('fromB64uLen checks the decoded length and names the field', () => {
    assert.equal(fromB64uLen(toB64u(new Uint8Array(32)), 32, 'key').length, 32);
    assert.throws(
      () => fromB64uLen(toB64u(new Uint8Array(31)), 32, 'test key'),
      (e: unknown) => e instanceof Error && (e as { code?: string }).code === 'bad-encoding' && /test key must be 32 bytes, got 31/.test(e.message),
    );
  });
});

describe('utf8', () => {
  test('round trips multi-byte text', () => {
    for (const s of ['', 'abc', 'héllo', '日本語', '😀👍🏽', '\u0000']) assert.equal(fromUtf8(utf8(s)), s, JSON.stringify(s));
    assert.equal(utf8('😀').length, 4);
  });

  test('decoding is fatal on invalid UTF-8', () => {
    const bad: [string, Uint8Array][] = [
      ['lone continuation', Uint8Array.of(0x80)],
      ['truncated 2-byte', Uint8Array.of(0xc3)],
      ['overlong slash', Uint8Array.of(0xc0, 0xaf)],
      ['surrogate half', Uint8Array.of(0xed, 0xa0, 0x80)],
      ['above U+10FFFF', Uint8Array.of(0xf4, 0x90, 0x80, 0x80)],
      ['0xff', Uint8Array.of(0x61, 0xff)],
    ];
    for (const [what, b] of bad) throwsCode(() => fromUtf8(b), 'bad-encoding', what);
  });

  test('the error names what was being decoded', () => {
    assert.throws(() => fromUtf8(Uint8Array.of(0xff), 'post body'), /post body is not valid UTF-8/);
  });
});

describe('u64be', () => {
  test('encodes big-endian and round trips at the bounds', () => {
    assert.deepEqual(u64be(0), new Uint8Array(8));
    assert.deepEqual(u64be(1), Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 1));
    assert.deepEqual(u64be(0x0102030405), Uint8Array.of(0, 0, 0, 1, 2, 3, 4, 5));
    assert.deepEqual(u64be(Number.MAX_SAFE_INTEGER), Uint8Array.of(0, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff));
    for (const n of [0, 1, 255, 256, 2 ** 32 - 1, 2 ** 32, 1_700_000_000_000, Number.MAX_SAFE_INTEGER]) {
      assert.equal(readU64be(u64be(n), 0), n, String(n));
    }
  });

  test('rejects what is not a non-negative safe integer', () => {
    for (const n of [-1, 0.5, Number.MAX_SAFE_INTEGER + 1, 2 ** 64, NaN, Infinity, -0.0001]) throwsCode(() => u64be(n), 'bad-encoding', String(n));
  });

  test('reading above 2^53 - 1 is refused rather than rounded', () => {
    throwsCode(() => readU64be(Uint8Array.of(0, 0x20, 0, 0, 0, 0, 0, 0), 0), 'bad-encoding');
    throwsCode(() => readU64be(new Uint8Array(8).fill(0xff), 0), 'bad-encoding');
  });

  test('reads at an offset inside a subarray (honours byteOffset)', () => {
    const buf = concat(seqBytes(5, 0xa0), u64be(123456789), seqBytes(3, 0xb0));
    const view = buf.subarray(2);
    assert.equal(readU64be(view, 3), 123456789);
  });

  test('reading past the end is a BwError, not a RangeError', () => {
    throwsCode(() => readU64be(new Uint8Array(7), 0), 'bad-encoding');
    throwsCode(() => readU64be(new Uint8Array(8), 1), 'bad-encoding');
    throwsCode(() => readU64be(new Uint8Array(16).subarray(10), 0), 'bad-encoding');
    throwsCode(() => readU64be(new Uint8Array(8), -1), 'bad-encoding');
  });
});

describe('concat and equalBytes', () => {
  test('concat joins in order, including empty parts', () => {
    assert.deepEqual(concat(), new Uint8Array(0));
    assert.deepEqual(concat(Uint8Array.of(1), new Uint8Array(0), Uint8Array.of(2, 3)), Uint8Array.of(1, 2, 3));
    assert.deepEqual(concat(seqBytes(4, 10).subarray(1, 3)), Uint8Array.of(11, 12));
  });

  test('equalBytes compares length and every byte', () => {
    assert.equal(equalBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 2)), true);
    assert.equal(equalBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 3)), false);
    assert.equal(equalBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 2, 0)), false);
    assert.equal(equalBytes(new Uint8Array(0), new Uint8Array(0)), true);
    assert.equal(equalBytes(Uint8Array.of(0x80), Uint8Array.of(0)), false);
  });
});
