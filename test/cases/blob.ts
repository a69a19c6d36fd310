// Image blob rejections (shared/crypto/blob.ts), one table run by the Node suite and the Chromium suite alike.
import { blobId, MAX_BLOB_BYTES, MAX_IMAGE_FILE_BYTES, MIN_BLOB_BYTES, openBlob, sealBlob, type SealedBlob } from '../../shared/crypto/blob.js';
import { toB64u } from '../../shared/bytes.js';
import { Xorshift, type RejectionCase } from './util.js';

/** A sealed sample image (seeded, so every runner builds the same one). */
export function sampleBlob(seed = 7, len = 3000): { image: Uint8Array; sealed: SealedBlob } {
  const r = new Xorshift(seed);
  const image = r.bytes(len);
  return { image, sealed: sealBlob(image, 'image/webp', r.rng) };
}

/** A copy of `b` with byte `at` XORed with `x`. */
const flip = (b: Uint8Array, at: number, x = 1): Uint8Array => {
  const c = b.slice();
  c[at]! ^= x;
  return c;
};

/** Every way a blob or an image handed to sealBlob is refused, each with its code. */
export function blobRejections(): RejectionCase[] {
  const { sealed } = sampleBlob();
  const ref = { id: sealed.id, key: sealed.key, mime: 'image/webp' as const };
  const other = sampleBlob(8).sealed;
  const reId = (b: Uint8Array) => ({ ...ref, id: blobId(b) }); // a blob with its id fixed up: gets past the hash check
  const huge = new Uint8Array(MAX_BLOB_BYTES + 1);
  huge[0] = 1;
  return [
    { what: 'a flipped ciphertext byte (id no longer matches)', code: 'bad-ciphertext', run: () => openBlob(flip(sealed.bytes, 100), ref) },
    { what: 'a truncated blob', code: 'bad-ciphertext', run: () => openBlob(sealed.bytes.subarray(0, sealed.bytes.length - 1), ref) },
    { what: 'another blob under this id', code: 'bad-ciphertext', run: () => openBlob(other.bytes, ref) },
    { what: 'the right blob, the wrong key', code: 'bad-ciphertext', run: () => openBlob(sealed.bytes, { ...ref, key: other.key }) },
    { what: 'a flipped ciphertext byte with a matching id', code: 'bad-ciphertext', run: () => { const b = flip(sealed.bytes, 100); return openBlob(b, reId(b)); } },
    { what: 'a flipped nonce byte with a matching id', code: 'bad-ciphertext', run: () => { const b = flip(sealed.bytes, 5); return openBlob(b, reId(b)); } },
    { what: 'the type byte changed to jpeg (bound by the AAD)', code: 'bad-ciphertext', run: () => { const b = flip(sealed.bytes, 1, 3); return openBlob(b, { ...reId(b), mime: 'image/jpeg' }); } },
    { what: 'a reference that says jpeg for a webp blob', code: 'bad-ciphertext', run: () => openBlob(sealed.bytes, { ...ref, mime: 'image/jpeg' }) },
    { what: 'an unknown type byte', code: 'bad-encoding', run: () => { const b = flip(sealed.bytes, 1, 0x80); return openBlob(b, reId(b)); } },
    { what: 'version 2', code: 'bad-version', run: () => openBlob(flip(sealed.bytes, 0, 3), ref) },
    { what: 'shorter than header and tag', code: 'bad-encoding', run: () => openBlob(sealed.bytes.subarray(0, MIN_BLOB_BYTES - 1), ref) },
    { what: 'over the blob ceiling', code: 'oversize', run: () => openBlob(huge, ref) },
    { what: 'a key that is not 32 bytes', code: 'bad-encoding', run: () => openBlob(sealed.bytes, { ...ref, key: toB64u(new Uint8Array(16)) }) },
    { what: 'not bytes at all', code: 'bad-encoding', run: () => openBlob('blob' as unknown as Uint8Array, ref) },
    { what: 'sealing an empty image', code: 'bad-image', run: () => sealBlob(new Uint8Array(0), 'image/webp') },
    { what: 'sealing an image over the file ceiling', code: 'oversize', run: () => sealBlob(new Uint8Array(MAX_IMAGE_FILE_BYTES + 1), 'image/webp') },
    { what: 'sealing an image type blobs do not carry', code: 'bad-image', run: () => sealBlob(new Uint8Array(10), 'image/png' as 'image/webp') },
  ];
}
