// Owns the image figure: image_prepare_ms, a 12-MP photo resized, re-encoded and sealed by client/image.ts in Chromium.
import { runInChromium } from './in-chromium.js';

export const imageBench = (): Promise<Record<string, number>> =>
  runInChromium<Record<string, number>>(new URL('./image-core.js', import.meta.url), 'runImageBench');
