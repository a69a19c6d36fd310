// The photo pipeline in Chromium (client/image.ts): a 12-MP photo comes out ≤ 1600 px and ≤ 500 KB, sealed and
// openable; EXIF (orientation applied, GPS dropped) is gone; a non-image, a truncated JPEG and a bomb are 'bad-image'.
import { expect } from '@open-wc/testing';
import { blobUrl, declaredSize, MAX_AVATAR_FILE_BYTES, MAX_THUMB_FILE_BYTES, prepareAvatar, preparePhoto, preparePhotos, sniffImage, THUMB_SIDE } from '../../client/image.js';
import { openBlob, BLOB_OVERHEAD } from '../../shared/crypto/blob.js';
import { MAX_AVATAR_SIDE, MAX_PHOTO_BYTES, MAX_PHOTO_SIDE, PhotoRefSchema, ImageRefSchema } from '../../shared/photo-ref.js';
import { isBwError } from '../../shared/errors.js';
import * as v from 'valibot';
import { canvasFile, containsAscii, drawPhotoLike, GPS_MARKER, withExif } from '../cases/images.js';

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'nothing thrown';
  } catch (e) {
    return isBwError(e) ? e.code : `non-BwError ${String(e)}`;
  }
}

const fileOf = (bytes: Uint8Array, name: string, type = 'image/jpeg') => new File([bytes as BlobPart], name, { type });

describe('client/image.ts', () => {
  it('a 12-MP photo: ≤ 1600 px, ≤ 500 KB, a ≤ 400 px ≤ 60 KB thumbnail, refs valid, blobs open to the same image', async function () {
    this.timeout(120_000);
    const file = await canvasFile(drawPhotoLike(4000, 3000), 'image/jpeg', 0.92);
    expect(file.size, 'the input is a big JPEG').to.be.greaterThan(MAX_PHOTO_BYTES);
    const { ref, blobs } = await preparePhoto(file, { alt: '  a sunset  ' });
    expect(v.safeParse(PhotoRefSchema, ref).success, 'PhotoRefSchema accepts it').to.equal(true);
    expect(Math.max(ref.w, ref.h)).to.equal(MAX_PHOTO_SIDE);
    expect(ref.w / ref.h).to.be.closeTo(4 / 3, 0.01);
    expect(ref.bytes).to.be.at.most(MAX_PHOTO_BYTES);
    expect(ref.mime).to.equal('image/webp');
    expect(ref.alt).to.equal('a sunset');
    expect(Math.max(ref.thumb!.w, ref.thumb!.h)).to.be.at.most(THUMB_SIDE);
    expect(ref.thumb!.bytes).to.be.at.most(MAX_THUMB_FILE_BYTES + BLOB_OVERHEAD);
    expect(blobs.map((b) => b.id)).to.deep.equal([ref.id, ref.thumb!.id]);
    expect(blobs[0]!.bytes.length).to.equal(ref.bytes);
    // What a reader does: open the blob, decode the image, find the size the ref says.
    const url = blobUrl(blobs[0]!.bytes, ref);
    const img = await createImageBitmap(await (await fetch(url)).blob());
    URL.revokeObjectURL(url);
    expect([img.width, img.height]).to.deep.equal([ref.w, ref.h]);
  });

  it('EXIF is gone: orientation is applied to the pixels, the GPS block and its marker are not in the output', async () => {
    // 300×200 with a red left half; EXIF orientation 6 (rotate 90° clockwise) turns it 200×300 with red on top.
    const c = new OffscreenCanvas(300, 200);
    const ctx = c.getContext('2d')!;
    ctx.fillStyle = '#00f';
    ctx.fillRect(0, 0, 300, 200);
    ctx.fillStyle = '#f00';
    ctx.fillRect(0, 0, 150, 200);
    const plain = new Uint8Array(await (await c.convertToBlob({ type: 'image/jpeg', quality: 0.95 })).arrayBuffer());
    const tagged = withExif(plain, 6);
    expect(containsAscii(tagged, GPS_MARKER), 'the input carries the GPS marker').to.equal(true);
    expect(containsAscii(tagged, 'Exif'), 'the input carries EXIF').to.equal(true);
    const { ref, blobs } = await preparePhoto(fileOf(tagged, 'gps.jpg'));
    expect([ref.w, ref.h], 'orientation applied').to.deep.equal([200, 300]);
    for (const [i, b] of blobs.entries()) {
      const out = openBlob(b.bytes, i === 0 ? ref : ref.thumb!);
      expect(containsAscii(out, GPS_MARKER), 'GPS marker in output').to.equal(false);
      expect(containsAscii(out, 'Exif') || containsAscii(out, 'EXIF'), 'EXIF in output').to.equal(false);
      expect(containsAscii(out, 'XMP '), 'XMP in output').to.equal(false);
    }
    const bmp = await createImageBitmap(new Blob([openBlob(blobs[0]!.bytes, ref) as BlobPart], { type: ref.mime }));
    const px = new OffscreenCanvas(bmp.width, bmp.height).getContext('2d')!;
    px.drawImage(bmp, 0, 0);
    const top = px.getImageData(100, 30, 1, 1).data;
    const bottom = px.getImageData(100, 270, 1, 1).data;
    expect(top[0]! > 200 && top[2]! < 60, `top is red (${[...top]})`).to.equal(true);
    expect(bottom[2]! > 200 && bottom[0]! < 60, `bottom is blue (${[...bottom]})`).to.equal(true);
  });

  it('a file that is not an image → bad-image', async () => {
    const text = new File(['hello, this is not a picture'], 'note.jpg', { type: 'image/jpeg' });
    expect(await codeOf(preparePhoto(text))).to.equal('bad-image');
    expect(await codeOf(preparePhoto(new File([], 'empty.png')))).to.equal('bad-image');
  });

  it('a truncated JPEG → bad-image', async function () {
    this.timeout(60_000);
    const whole = new Uint8Array(await (await canvasFile(drawPhotoLike(1200, 900, 2), 'image/jpeg')).arrayBuffer());
    expect(await codeOf(preparePhoto(fileOf(whole.subarray(0, Math.floor(whole.length / 2)), 'cut.jpg')))).to.equal('bad-image');
    expect(await codeOf(preparePhoto(fileOf(whole.subarray(0, 300), 'stub.jpg')))).to.equal('bad-image');
  });

  it('a corrupt body behind a valid header → bad-image', async () => {
    const png = new Uint8Array(await (await canvasFile(drawPhotoLike(64, 64, 3), 'image/png')).arrayBuffer());
    const bad = png.slice();
    for (let i = 60; i < bad.length - 20; i++) bad[i] = 0x5a;
    expect(await codeOf(preparePhoto(fileOf(bad, 'bad.png', 'image/png')))).to.equal('bad-image');
  });

  it('a decompression bomb (a small PNG declaring 30000×30000) is refused before decoding → bad-image', async () => {
    const png = new Uint8Array(await (await canvasFile(drawPhotoLike(8, 8, 4), 'image/png')).arrayBuffer());
    const bomb = png.slice();
    new DataView(bomb.buffer).setUint32(16, 30000);
    new DataView(bomb.buffer).setUint32(20, 30000);
    expect(declaredSize(bomb, 'image/png')).to.deep.equal({ w: 30000, h: 30000 });
    expect(await codeOf(preparePhoto(fileOf(bomb, 'bomb.png', 'image/png')))).to.equal('bad-image');
  });

  it('an oversized file (> 30 MB) → bad-image, unread', async () => {
    const big = new File([new Uint8Array(30 * 1024 * 1024 + 1)], 'huge.jpg');
    expect(await codeOf(preparePhoto(big))).to.equal('bad-image');
  });

  it('sniffs JPEG, PNG, GIF, WebP and AVIF by their bytes, not their names', async () => {
    const enc = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
    expect(sniffImage(enc('\xff\xd8\xff\xe0'))).to.equal('image/jpeg');
    expect(sniffImage(enc('\x89PNG\r\n\x1a\n'))).to.equal('image/png');
    expect(sniffImage(enc('GIF89a'))).to.equal('image/gif');
    expect(sniffImage(enc('RIFF\0\0\0\0WEBPVP8 '))).to.equal('image/webp');
    expect(sniffImage(enc('\0\0\0\x1cftypavif'))).to.equal('image/avif');
    expect(sniffImage(enc('\0\0\0\x1cftypheic'))).to.equal(undefined);
    expect(sniffImage(enc('<svg xmlns='))).to.equal(undefined);
    const webp = new Uint8Array(await (await canvasFile(drawPhotoLike(321, 123, 5), 'image/webp')).arrayBuffer());
    expect(declaredSize(webp, 'image/webp')).to.deep.equal({ w: 321, h: 123 });
    const jpeg = withExif(new Uint8Array(await (await canvasFile(drawPhotoLike(333, 222, 5), 'image/jpeg')).arrayBuffer()), 1);
    expect(declaredSize(jpeg, 'image/jpeg')).to.deep.equal({ w: 333, h: 222 });
  });

  it('up to four photos per post: the fifth is oversize; one bad file names itself', async function () {
    this.timeout(60_000);
    const ok = await canvasFile(drawPhotoLike(200, 150, 6), 'image/png');
    const five = [ok, ok, ok, ok, ok];
    expect(await codeOf(preparePhotos(five))).to.equal('oversize');
    const { refs, blobs } = await preparePhotos([ok, ok]);
    expect(refs.length).to.equal(2);
    expect(blobs.length).to.equal(4);
    const bad = new File(['nope'], 'notes.txt');
    try {
      await preparePhotos([ok, bad]);
      expect.fail('a bad file must refuse');
    } catch (e) {
      expect(isBwError(e, 'bad-image')).to.equal(true);
      expect((e as Error).message).to.contain('notes.txt');
    }
  });

  it('an avatar: ≤ 256 px, near square, small', async function () {
    this.timeout(60_000);
    const { ref, blobs } = await prepareAvatar(await canvasFile(drawPhotoLike(2000, 800, 7), 'image/jpeg'));
    expect(v.safeParse(ImageRefSchema, ref).success).to.equal(true);
    expect(Math.max(ref.w, ref.h)).to.be.at.most(MAX_AVATAR_SIDE);
    expect(ref.w / ref.h).to.be.at.most(4 / 3 + 0.02);
    expect(ref.bytes).to.be.at.most(MAX_AVATAR_FILE_BYTES + BLOB_OVERHEAD);
    expect(blobs.length).to.equal(1);
  });
});
