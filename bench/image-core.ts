// Owns the image benchmark's in-browser half: a generated 12-MP camera-like JPEG, prepared (resize, re-encode, seal) a few times.
import { preparePhoto } from '../client/image.js';
import { canvasFile, drawPhotoLike } from '../test/cases/images.js';

const RUNS = 5;

/** Median wall time of preparePhoto on a 4000×3000 JPEG (decode, resize to 1600 px and 400 px, WebP ladder, seal). */
export async function runImageBench(): Promise<Record<string, number>> {
  const file = await canvasFile(drawPhotoLike(4000, 3000), 'image/jpeg', 0.92);
  const times: number[] = [];
  let out = 0;
  let thumb = 0;
  await preparePhoto(file); // warm-up: the first run also compiles and sets up the codecs
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const { ref } = await preparePhoto(file);
    times.push(performance.now() - t0);
    out = ref.bytes;
    thumb = ref.thumb?.bytes ?? 0;
  }
  times.sort((a, b) => a - b);
  return {
    image_prepare_ms: Math.round(times[Math.floor(RUNS / 2)]!),
    image_prepare_input_kb: Math.round(file.size / 1024),
    image_prepare_output_kb: Math.round(out / 1024),
    image_prepare_thumb_kb: Math.round(thumb / 1024),
  };
}
