// Owns turning a picked image file into encrypted photo blobs in the browser (sniff, decode upright, resize, re-encode
// without metadata, seal), and a fetched blob back into an object URL. Browser only; the shell imports it lazily.
import { BwError } from '../shared/errors.js';
import { openBlob, sealBlob, MAX_IMAGE_FILE_BYTES, type BlobMime } from '../shared/crypto/blob.js';
import { MAX_AVATAR_SIDE, MAX_PHOTO_SIDE, MAX_PHOTOS, type ImageRef, type PhotoRef } from '../shared/photo-ref.js';

/** A picked file larger than this is refused before it is read (a 12-MP camera JPEG is 3–8 MB; HEIC is not decoded). */
export const MAX_INPUT_BYTES = 30 * 1024 * 1024;
/** Pixels a picked image may declare: 64 MP. A small file declaring more is a decompression bomb, refused unread. */
export const MAX_INPUT_PIXELS = 64_000_000;
/** A photo's re-encoded file, so its blob stays within MAX_PHOTO_BYTES (≤ 500 KB). */
export const MAX_PHOTO_FILE_BYTES = MAX_IMAGE_FILE_BYTES;
export const THUMB_SIDE = 400;
export const MAX_THUMB_FILE_BYTES = 60 * 1024;
/** An avatar fits one relay chunk: ≤ 256 px and this many bytes. */
export const MAX_AVATAR_FILE_BYTES = 40 * 1024;

/** Quality steps tried in turn until the file fits; then the image shrinks by SHRINK and the steps start again. */
const QUALITIES = [0.85, 0.75, 0.62, 0.5, 0.38] as const;
const SHRINK = 0.75;
const MAX_SHRINKS = 6;
/** The head of a file read for its type and dimensions (a JPEG's EXIF block comes before its frame header). */
const HEAD_BYTES = 256 * 1024;

export type InputMime = 'image/jpeg' | 'image/png' | 'image/gif' | 'image/webp' | 'image/avif';

/** An encrypted blob ready to send: its id (the name a PhotoRef gives it) and its bytes. */
export interface BlobOut {
  id: string;
  bytes: Uint8Array;
}

const ascii = (b: Uint8Array, at: number, s: string) => [...s].every((c, i) => b[at + i] === c.charCodeAt(0));

/** The image type by magic bytes (what the file claims to be is not trusted), or undefined for anything else. */
export function sniffImage(head: Uint8Array): InputMime | undefined {
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'image/jpeg';
  if (ascii(head, 0, '\x89PNG\r\n\x1a\n')) return 'image/png';
  if (ascii(head, 0, 'GIF87a') || ascii(head, 0, 'GIF89a')) return 'image/gif';
  if (ascii(head, 0, 'RIFF') && ascii(head, 8, 'WEBP')) return 'image/webp';
  // ISO BMFF: a 'ftyp' box whose major brand is AVIF (HEIC, also ISO BMFF, is not decoded by browsers).
  if (ascii(head, 4, 'ftyp') && (ascii(head, 8, 'avif') || ascii(head, 8, 'avis'))) return 'image/avif';
  return undefined;
}

const u16be = (b: Uint8Array, i: number) => (b[i]! << 8) | b[i + 1]!;
const u16le = (b: Uint8Array, i: number) => b[i]! | (b[i + 1]! << 8);
const u24le = (b: Uint8Array, i: number) => b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16);
const u32be = (b: Uint8Array, i: number) => ((b[i]! << 24) >>> 0) + (b[i + 1]! << 16) + (b[i + 2]! << 8) + b[i + 3]!;

/**
 * The dimensions a file's header declares, read without decoding (PNG IHDR, GIF screen, WebP VP8/VP8L/VP8X, JPEG SOFn),
 * or undefined when the head does not say (AVIF, or a JPEG frame header past the head). Bounds-checked throughout.
 */
export function declaredSize(head: Uint8Array, mime: InputMime): { w: number; h: number } | undefined {
  const has = (n: number) => head.length >= n;
  switch (mime) {
    case 'image/png':
      return has(24) ? { w: u32be(head, 16), h: u32be(head, 20) } : undefined;
    case 'image/gif':
      return has(10) ? { w: u16le(head, 6), h: u16le(head, 8) } : undefined;
    case 'image/webp':
      if (!has(30)) return undefined;
      if (ascii(head, 12, 'VP8 ')) return { w: u16le(head, 26) & 0x3fff, h: u16le(head, 28) & 0x3fff };
      if (ascii(head, 12, 'VP8L')) return { w: 1 + (head[21]! | ((head[22]! & 0x3f) << 8)), h: 1 + ((head[22]! >> 6) | (head[23]! << 2) | ((head[24]! & 0xf) << 10)) };
      if (ascii(head, 12, 'VP8X')) return { w: 1 + u24le(head, 24), h: 1 + u24le(head, 27) };
      return undefined;
    case 'image/jpeg': {
      // ITU T.81 §B.1.1.3: segments are FF xx, then a 2-byte length that counts itself; SOF0–15 bar DHT, JPG, DAC.
      let i = 2;
      while (i + 9 <= head.length) {
        if (head[i] !== 0xff) return undefined;
        const m = head[i + 1]!;
        if (m === 0xff) {
          i++; // fill byte
          continue;
        }
        if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) return { w: u16be(head, i + 7), h: u16be(head, i + 5) };
        if (m === 0xd9 || m === 0xda) return undefined; // end of image, or scan data before any frame header
        i += 2 + u16be(head, i + 2);
      }
      return undefined;
    }
    default:
      return undefined;
  }
}

/** The size that fits `w`×`h` within `side` on its longest side, keeping the aspect ratio (never upscales). */
export function fitWithin(w: number, h: number, side: number): { w: number; h: number } {
  const s = Math.min(1, side / Math.max(w, h));
  return { w: Math.max(1, Math.round(w * s)), h: Math.max(1, Math.round(h * s)) };
}

/** Refuses a file by size and magic bytes, and a declared size over MAX_INPUT_PIXELS, before decoding anything. */
export async function checkImageFile(file: Blob): Promise<InputMime> {
  if (!(file instanceof Blob)) throw new BwError('bad-image', 'not a file');
  if (file.size === 0) throw new BwError('bad-image', 'the file is empty');
  if (file.size > MAX_INPUT_BYTES) throw new BwError('bad-image', `the file is ${(file.size / 1048576).toFixed(1)} MB; images up to ${MAX_INPUT_BYTES / 1048576} MB can be posted`);
  const head = new Uint8Array(await file.slice(0, HEAD_BYTES).arrayBuffer());
  const mime = sniffImage(head);
  if (!mime) throw new BwError('bad-image', 'not an image this browser can read (JPEG, PNG, WebP, GIF or AVIF)');
  const size = declaredSize(head, mime);
  if (size && (size.w < 1 || size.h < 1)) throw new BwError('bad-image', 'the image declares no pixels');
  if (size && size.w * size.h > MAX_INPUT_PIXELS) throw new BwError('bad-image', `the image is ${size.w}×${size.h}; at most ${MAX_INPUT_PIXELS / 1e6} megapixels`);
  return mime;
}

/**
 * Decodes upright (EXIF orientation applied). A corrupt or truncated file is 'bad-image': createImageBitmap refuses a
 * frame that is not complete (test/browser/image.test.ts cuts a JPEG in half to show it), so no second decoder pass.
 */
async function decode(file: Blob): Promise<ImageBitmap> {
  try {
    return await createImageBitmap(file, { imageOrientation: 'from-image' });
  } catch (e) {
    throw new BwError('bad-image', `the image is corrupt, cut short or cannot be decoded here (${(e as Error).message})`);
  }
}

export interface Encoded {
  bytes: Uint8Array;
  mime: BlobMime;
  w: number;
  h: number;
}

/**
 * Draws the bitmap at most `side` px on its longest side and encodes it as WebP (JPEG where the browser cannot encode
 * WebP), lowering the quality, then the size, until the file is at most `maxBytes`. Only pixels reach the canvas, so the
 * file carries no EXIF, GPS or other metadata of the original. Transparent pixels become white (JPEG has no alpha).
 */
export async function encodeWithin(bitmap: ImageBitmap, side: number, maxBytes: number): Promise<Encoded> {
  let { w, h } = fitWithin(bitmap.width, bitmap.height, side);
  let type: BlobMime = 'image/webp';
  for (let shrink = 0; shrink <= MAX_SHRINKS; shrink++) {
    const canvas = new OffscreenCanvas(w, h);
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new BwError('bad-image', 'this browser cannot draw images off screen');
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, w, h);
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(bitmap, 0, 0, w, h);
    for (const quality of QUALITIES) {
      const out = await canvas.convertToBlob({ type, quality });
      if (out.type !== type) {
        if (type === 'image/jpeg') throw new BwError('bad-image', `this browser cannot encode JPEG (got ${out.type})`);
        type = 'image/jpeg'; // no WebP encoder here: JPEG from now on, this quality again
        const jpeg = await canvas.convertToBlob({ type, quality });
        if (jpeg.size <= maxBytes) return { bytes: new Uint8Array(await jpeg.arrayBuffer()), mime: type, w, h };
        continue;
      }
      if (out.size <= maxBytes) return { bytes: new Uint8Array(await out.arrayBuffer()), mime: type, w, h };
    }
    ({ w, h } = { w: Math.max(1, Math.round(w * SHRINK)), h: Math.max(1, Math.round(h * SHRINK)) });
  }
  throw new BwError('bad-image', `the image does not compress to ${maxBytes} bytes`);
}

const sealed = (e: Encoded): { ref: ImageRef; blob: BlobOut } => {
  const s = sealBlob(e.bytes, e.mime);
  return { ref: { id: s.id, key: s.key, mime: e.mime, w: e.w, h: e.h, bytes: s.bytes.length }, blob: { id: s.id, bytes: s.bytes } };
};

/** One photo: ≤ 1600 px and ≤ 500 KB, with a ≤ 400 px, ≤ 60 KB thumbnail for the feed; both sealed under fresh keys. */
export async function preparePhoto(file: Blob, opts: { alt?: string } = {}): Promise<{ ref: PhotoRef; blobs: BlobOut[] }> {
  await checkImageFile(file);
  const bitmap = await decode(file);
  try {
    const full = sealed(await encodeWithin(bitmap, MAX_PHOTO_SIDE, MAX_PHOTO_FILE_BYTES));
    const thumb = sealed(await encodeWithin(bitmap, THUMB_SIDE, MAX_THUMB_FILE_BYTES));
    const alt = opts.alt?.trim();
    return { ref: { ...full.ref, thumb: thumb.ref, ...(alt && { alt: alt.slice(0, 420) }) }, blobs: [full.blob, thumb.blob] };
  } finally {
    bitmap.close();
  }
}

/**
 * Up to MAX_PHOTOS files for one post, in order. A bad file refuses the lot with its 'bad-image' error naming which one
 * (the composer keeps the others picked and the post unsent); more than MAX_PHOTOS is 'oversize'.
 */
export async function preparePhotos(files: Iterable<Blob> | ArrayLike<Blob>, alts: readonly (string | undefined)[] = []): Promise<{ refs: PhotoRef[]; blobs: BlobOut[] }> {
  const list = Array.from(files as ArrayLike<Blob>);
  if (list.length > MAX_PHOTOS) throw new BwError('oversize', `a post carries at most ${MAX_PHOTOS} photos; ${list.length} were picked`);
  const refs: PhotoRef[] = [];
  const blobs: BlobOut[] = [];
  for (const [i, f] of list.entries()) {
    try {
      const p = await preparePhoto(f, { ...(alts[i] !== undefined && { alt: alts[i] }) });
      refs.push(p.ref);
      blobs.push(...p.blobs);
    } catch (e) {
      if (e instanceof BwError && e.code === 'bad-image') throw new BwError('bad-image', `${(f as File).name || `photo ${i + 1}`}: ${e.message}`);
      throw e;
    }
  }
  return { refs, blobs };
}

/** An avatar: centre-cropped towards square (at most 4:3 either way), ≤ 256 px, ≤ 40 KB; sealed like a photo. */
export async function prepareAvatar(file: Blob): Promise<{ ref: ImageRef; blobs: BlobOut[] }> {
  await checkImageFile(file);
  const whole = await decode(file);
  let bitmap = whole;
  try {
    const { width: w, height: h } = whole;
    const cw = Math.min(w, Math.round(h * 4 / 3));
    const ch = Math.min(h, Math.round(w * 4 / 3));
    if (cw !== w || ch !== h) bitmap = await createImageBitmap(whole, Math.floor((w - cw) / 2), Math.floor((h - ch) / 2), cw, ch);
    const s = sealed(await encodeWithin(bitmap, MAX_AVATAR_SIDE, MAX_AVATAR_FILE_BYTES));
    return { ref: s.ref, blobs: [s.blob] };
  } finally {
    if (bitmap !== whole) bitmap.close();
    whole.close();
  }
}

/**
 * Opens a fetched blob (its id checked before decryption: shared/crypto/blob.ts) into an object URL for an <img>.
 * The caller revokes it (URL.revokeObjectURL) when the image leaves the page.
 */
export function blobUrl(blob: Uint8Array, ref: Pick<ImageRef, 'id' | 'key' | 'mime'>): string {
  const image = openBlob(blob, ref);
  return URL.createObjectURL(new Blob([image as BlobPart], { type: ref.mime }));
}
