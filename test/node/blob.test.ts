// The image blob format (shared/crypto/blob.ts): fixed vectors computed without @noble, round trips and every refusal.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { BLOB_OVERHEAD, MAX_BLOB_BYTES, MAX_IMAGE_FILE_BYTES, openBlob, sealBlob } from '../../shared/crypto/blob.js';
import { MAX_PHOTO_BYTES } from '../../shared/photo-ref.js';
import { fromB64u } from '../../shared/bytes.js';
import { blobVectorCases, type BlobVectors } from '../cases/vectors.js';
import { blobRejections, sampleBlob } from '../cases/blob.js';
import { thrownCode, Xorshift } from '../cases/util.js';

const vectors = JSON.parse(readFileSync(new URL('../../../test/vectors/blob-v1.json', import.meta.url), 'utf8')) as BlobVectors;

describe('blob v1 vectors (test/vectors/blob-v1.json)', () => {
  test('the file has vectors', () => assert.ok(vectors.blob.length >= 3));
  for (const c of blobVectorCases(vectors)) {
    test(c.name, () => {
      for (const { what, actual, expected } of c.checks()) assert.deepEqual(actual, expected, what);
    });
  }
});

describe('blob v1', () => {
  test('round trip; the id is SHA-256 of the whole blob (node:crypto)', () => {
    const { image, sealed } = sampleBlob();
    assert.equal(sealed.bytes.length, image.length + BLOB_OVERHEAD);
    assert.deepEqual(fromB64u(sealed.id), new Uint8Array(createHash('sha256').update(sealed.bytes).digest()));
    assert.deepEqual(openBlob(sealed.bytes, { ...sealed, mime: 'image/webp' }), image);
  });

  test('a fresh key and nonce each time: the same image never makes the same blob', () => {
    const image = new Xorshift(3).bytes(500);
    const a = sealBlob(image, 'image/jpeg');
    const b = sealBlob(image, 'image/jpeg');
    assert.notEqual(a.id, b.id);
    assert.notEqual(a.key, b.key);
  });

  test('the largest image fits the blob ceilings of photo-ref.ts', () => {
    const s = sealBlob(new Uint8Array(MAX_IMAGE_FILE_BYTES), 'image/webp');
    assert.equal(s.bytes.length, MAX_PHOTO_BYTES);
    assert.ok(s.bytes.length <= MAX_BLOB_BYTES);
  });

  for (const c of blobRejections()) test(`${c.code}: ${c.what}`, () => assert.equal(thrownCode(c.run), c.code, c.what));
});
