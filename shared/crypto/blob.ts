// Owns the encrypted image blob (v1): one image under its own fresh key, named by the SHA-256 of its ciphertext.
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { BwError } from '../errors.js';
import { concat, fromB64uLen, toB64u } from '../bytes.js';
import { MAX_PHOTO_BYTES, type ImageRef } from '../photo-ref.js';
import { defaultRng, KEY_LEN, type Rng } from './identity.js';
import { LABEL, signedMessage } from './kdf.js';

/**
 * Blob v1, the same bytes for every recipient (the key travels inside each recipient's sealed post):
 *
 * | off | len  | field                                                                   |
 * |-----|------|-------------------------------------------------------------------------|
 * | 0   | 1    | version = 1                                                             |
 * | 1   | 1    | image type: 1 = image/webp, 2 = image/jpeg                              |
 * | 2   | 24   | nonce (XChaCha20, random)                                               |
 * | 26  | n+16 | XChaCha20-Poly1305(key, nonce, AAD = LABEL.imageBlob ‖ 0x00 ‖ bytes 0..26)|
 * |     |      |   of the image file's bytes                                             |
 *
 * id = base64url(SHA-256(whole blob)). A reader checks the id before decrypting, so a relay or a peer that swaps or
 * truncates a blob is caught without touching the key; the AEAD then binds version and type. No signature: the key
 * (and the id) arrive inside a post that is already signed by its author and sealed for the reader, and a fresh
 * random key per image means no one else can make a blob that opens under it.
 */
export const BLOB_VERSION = 1;
const NONCE_LEN = 24;
const TAG_LEN = 16;
const OFF_NONCE = 2;
const OFF_BODY = OFF_NONCE + NONCE_LEN; // 26
/** What encryption adds to an image: header, nonce and tag (42 bytes). */
export const BLOB_OVERHEAD = OFF_BODY + TAG_LEN;
/** Largest image file a blob carries, so that the blob itself stays within MAX_PHOTO_BYTES. */
export const MAX_IMAGE_FILE_BYTES = MAX_PHOTO_BYTES - BLOB_OVERHEAD;
/** Largest blob anyone sends or accepts (the same ceiling ImageRefSchema puts on `bytes`). */
export const MAX_BLOB_BYTES = MAX_PHOTO_BYTES + 1024;
/** The smallest blob: an empty image would be one, but no real image is that small. */
export const MIN_BLOB_BYTES = BLOB_OVERHEAD + 1;

export type BlobMime = ImageRef['mime'];
const TYPE_CODE: Record<BlobMime, number> = { 'image/webp': 1, 'image/jpeg': 2 };
const MIME_OF: Record<number, BlobMime> = { 1: 'image/webp', 2: 'image/jpeg' };

export interface SealedBlob {
  /** base64url SHA-256 of `bytes` (43 chars). */
  id: string;
  /** The image key, base64url (43 chars): goes into the post's PhotoRef, never to the relay. */
  key: string;
  bytes: Uint8Array;
}

/** base64url(SHA-256(blob)): the blob's name on the relay, on the data channel and in stores. */
export const blobId = (blob: Uint8Array): string => toB64u(sha256(blob));

const aad = (head: Uint8Array) => signedMessage(LABEL.imageBlob, head);

/** Encrypts one image file under a fresh key. `rng` draws the key, then the nonce (tests pin both). */
export function sealBlob(image: Uint8Array, mime: BlobMime, rng: Rng = defaultRng): SealedBlob {
  if (!(image instanceof Uint8Array) || image.length < 1) throw new BwError('bad-image', 'image is empty');
  if (image.length > MAX_IMAGE_FILE_BYTES) throw new BwError('oversize', `image is ${image.length} bytes, max ${MAX_IMAGE_FILE_BYTES}`);
  const code = TYPE_CODE[mime];
  if (!code) throw new BwError('bad-image', `cannot carry image type ${String(mime)}`);
  const key = rng(KEY_LEN);
  const nonce = rng(NONCE_LEN);
  const head = concat(new Uint8Array([BLOB_VERSION, code]), nonce);
  const bytes = concat(head, xchacha20poly1305(key, nonce, aad(head)).encrypt(image));
  return { id: blobId(bytes), key: toB64u(key), bytes };
}

/**
 * Checks a blob's length and version, then that it is the blob `ref.id` names (before any decryption), then opens it.
 * Throws BwError only: 'oversize', 'bad-encoding', 'bad-version', 'bad-ciphertext' (wrong id, wrong key, tampered).
 */
export function openBlob(blob: Uint8Array, ref: Pick<ImageRef, 'id' | 'key' | 'mime'>): Uint8Array {
  if (!(blob instanceof Uint8Array)) throw new BwError('bad-encoding', 'blob must be bytes');
  if (blob.length > MAX_BLOB_BYTES) throw new BwError('oversize', `blob is ${blob.length} bytes, max ${MAX_BLOB_BYTES}`);
  if (blob.length < MIN_BLOB_BYTES) throw new BwError('bad-encoding', `blob is ${blob.length} bytes, min ${MIN_BLOB_BYTES}`);
  if (blob[0] !== BLOB_VERSION) throw new BwError('bad-version', `unknown blob version ${blob[0]}`);
  if (blobId(blob) !== ref.id) throw new BwError('bad-ciphertext', 'blob does not match its id (truncated or swapped)');
  const mime = MIME_OF[blob[1]!];
  if (!mime) throw new BwError('bad-encoding', `unknown image type ${blob[1]} in blob`);
  if (mime !== ref.mime) throw new BwError('bad-ciphertext', `blob holds ${mime}, its reference says ${ref.mime}`);
  const key = fromB64uLen(ref.key, KEY_LEN, 'image key');
  const head = blob.subarray(0, OFF_BODY);
  try {
    return xchacha20poly1305(key, blob.subarray(OFF_NONCE, OFF_BODY), aad(head)).decrypt(blob.subarray(OFF_BODY));
  } catch {
    throw new BwError('bad-ciphertext', 'blob failed authentication (wrong key)');
  }
}
