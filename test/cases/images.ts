// Browser-only image fixtures for tests and the image benchmark: photo-like pictures drawn on a canvas, and a JPEG
// with an EXIF block (orientation and a GPS position) spliced in, built byte by byte.

/**
 * A photo-like w×h picture: gradients, soft shapes and fine grain (pure noise would compress like no photo does),
 * seeded so every run draws the same one.
 */
export function drawPhotoLike(w: number, h: number, seed = 1): OffscreenCanvas {
  const c = new OffscreenCanvas(w, h);
  const ctx = c.getContext('2d')!;
  let s = seed >>> 0 || 1;
  const rnd = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  const g = ctx.createLinearGradient(0, 0, w, h);
  g.addColorStop(0, '#3a6ea5');
  g.addColorStop(0.5, '#f2c14e');
  g.addColorStop(1, '#2d3a2e');
  ctx.fillStyle = g;
  ctx.fillRect(0, 0, w, h);
  for (let i = 0; i < 120; i++) {
    const r = (0.02 + rnd() * 0.15) * Math.min(w, h);
    const rg = ctx.createRadialGradient(rnd() * w, rnd() * h, 0, rnd() * w, rnd() * h, r * 1.5);
    rg.addColorStop(0, `hsla(${rnd() * 360}, 60%, ${30 + rnd() * 40}%, 0.8)`);
    rg.addColorStop(1, 'hsla(0, 0%, 50%, 0)');
    ctx.fillStyle = rg;
    ctx.fillRect(0, 0, w, h);
  }
  // Fine detail, as foliage or fabric gives a photo: many small strokes.
  ctx.lineWidth = Math.max(1, Math.min(w, h) / 600);
  for (let i = 0; i < 4000; i++) {
    const x = rnd() * w;
    const y = rnd() * h;
    const len = (0.002 + rnd() * 0.01) * w;
    ctx.strokeStyle = `hsla(${rnd() * 360}, 40%, ${20 + rnd() * 60}%, 0.5)`;
    ctx.beginPath();
    ctx.moveTo(x, y);
    ctx.lineTo(x + (rnd() - 0.5) * len, y + (rnd() - 0.5) * len);
    ctx.stroke();
  }
  // Grain, as a camera sensor leaves: ±16 levels on a 509×509 tile (prime, so the repeat does not line up with 8×8 blocks).
  const T = 509;
  const tile = new ImageData(T, T);
  for (let i = 0; i < tile.data.length; i += 4) {
    const n = (rnd() - 0.5) * 32;
    tile.data[i] = 128 + n;
    tile.data[i + 1] = 128 + n * 0.9;
    tile.data[i + 2] = 128 + n * 1.1;
    tile.data[i + 3] = 70;
  }
  const t = new OffscreenCanvas(T, T);
  t.getContext('2d')!.putImageData(tile, 0, 0);
  ctx.fillStyle = ctx.createPattern(t, 'repeat')!;
  ctx.fillRect(0, 0, w, h);
  return c;
}

export async function canvasFile(c: OffscreenCanvas, type: string, quality = 0.92, name = 'photo'): Promise<File> {
  const b = await c.convertToBlob({ type, quality });
  return new File([b], `${name}.${type.split('/')[1]}`, { type });
}

/** A marker in the GPS block: the re-encoded output must not contain it. */
export const GPS_MARKER = 'BW-SECRET-GPS-52.3676N-4.9041E';

/**
 * An EXIF APP1 segment (CIPA DC-008 / TIFF 6.0, little-endian): IFD0 with Orientation and a GPS IFD pointer; the GPS
 * IFD with GPSLatitudeRef 'N', GPSLatitude 52°22'3" and GPSProcessingMethod carrying GPS_MARKER.
 */
export function exifApp1(orientation: number): Uint8Array {
  const marker = new TextEncoder().encode(GPS_MARKER);
  const tiff = new Uint8Array(104 + marker.length);
  const d = new DataView(tiff.buffer);
  tiff.set([0x49, 0x49, 0x2a, 0x00]); // 'II', 42
  d.setUint32(4, 8, true); // IFD0 at 8
  const entry = (at: number, tag: number, type: number, count: number, value: number) => {
    d.setUint16(at, tag, true);
    d.setUint16(at + 2, type, true);
    d.setUint32(at + 4, count, true);
    d.setUint32(at + 8, value, true);
  };
  d.setUint16(8, 2, true);
  entry(10, 0x0112, 3, 1, orientation); // Orientation, SHORT (left-justified in the value field, little-endian)
  entry(22, 0x8825, 4, 1, 38); // GPSInfo IFD pointer
  d.setUint32(34, 0, true);
  d.setUint16(38, 3, true); // GPS IFD at 38, 3 entries, ends at 80
  entry(40, 0x0001, 2, 2, 0x4e); // GPSLatitudeRef "N\0"
  entry(52, 0x0002, 5, 3, 80); // GPSLatitude, 3 RATIONALs at 80
  entry(64, 0x001b, 7, marker.length, 104); // GPSProcessingMethod at 104
  d.setUint32(76, 0, true);
  [52, 1, 22, 1, 3, 1].forEach((x, i) => d.setUint32(80 + 4 * i, x, true));
  tiff.set(marker, 104);
  const payload = new Uint8Array(6 + tiff.length);
  payload.set([0x45, 0x78, 0x69, 0x66, 0, 0]); // "Exif\0\0"
  payload.set(tiff, 6);
  const seg = new Uint8Array(4 + payload.length);
  seg.set([0xff, 0xe1, (payload.length + 2) >> 8, (payload.length + 2) & 0xff]);
  seg.set(payload, 4);
  return seg;
}

/** `jpeg` with an EXIF segment inserted right after its SOI marker. */
export function withExif(jpeg: Uint8Array, orientation: number): Uint8Array {
  const app1 = exifApp1(orientation);
  const out = new Uint8Array(jpeg.length + app1.length);
  out.set(jpeg.subarray(0, 2));
  out.set(app1, 2);
  out.set(jpeg.subarray(2), 2 + app1.length);
  return out;
}

/** Whether `hay` contains the ASCII string `needle`. */
export function containsAscii(hay: Uint8Array, needle: string): boolean {
  const n = new TextEncoder().encode(needle);
  outer: for (let i = 0; i + n.length <= hay.length; i++) {
    for (let j = 0; j < n.length; j++) if (hay[i + j] !== n[j]) continue outer;
    return true;
  }
  return false;
}
