// Owns the photo reference a post carries: where an encrypted image blob is and the key that opens it (schema only).
import * as v from 'valibot';

/** Unpadded base64url of exactly 32 bytes (43 chars, canonical last char). */
const B32 = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/, 'must be a 43-char base64url 32-byte value'));
const Dim = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(1600));

/** Photos one post may carry. */
export const MAX_PHOTOS = 4;
/** A photo's encrypted blob is at most this many bytes (the re-encoded image is ≤ 500 KB; the rest is the AEAD's). */
export const MAX_PHOTO_BYTES = 500 * 1024;
/** Longest side of a photo, and of an avatar. */
export const MAX_PHOTO_SIDE = 1600;
export const MAX_AVATAR_SIDE = 256;

/** One encrypted image: `id` names the blob (SHA-256 of its ciphertext), `key` opens it (shared/crypto/blob.ts). */
export const ImageRefSchema = v.object({
  id: B32,
  key: B32,
  mime: v.picklist(['image/webp', 'image/jpeg']),
  w: Dim,
  h: Dim,
  /** Ciphertext length, so a reader can refuse an oversized blob before fetching it. */
  bytes: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(MAX_PHOTO_BYTES + 1024)),
});
export type ImageRef = v.InferOutput<typeof ImageRefSchema>;

/** A photo in a post: the full image and an optional small thumbnail for the feed. Versioned with the content format. */
export const PhotoRefSchema = v.object({
  ...ImageRefSchema.entries,
  thumb: v.optional(ImageRefSchema),
  /** Alt text the author wrote (accessibility). */
  alt: v.optional(v.pipe(v.string(), v.maxLength(420))),
});
export type PhotoRef = v.InferOutput<typeof PhotoRefSchema>;
