// Owns the image figure: image_prepare_ms, a 12-MP photo resized, re-encoded and sealed by client/image.ts in Chromium.
import { rollup } from 'rollup';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import { fileURLToPath } from 'node:url';
import { launchChromium } from '../test/e2e/browser.js';

export async function imageBench(): Promise<Record<string, number>> {
  const bundle = await rollup({ input: fileURLToPath(new URL('./image-core.js', import.meta.url)), plugins: [nodeResolve({ browser: true })] });
  const { output } = await bundle.generate({ format: 'es' });
  await bundle.close();
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.setContent('<!doctype html><title>bench</title>');
    const code = output[0].code.replace(/export \{[^}]*\};?\s*$/, '') + '\nwindow.__runImageBench = runImageBench;';
    await page.addScriptTag({ content: code, type: 'module' });
    await page.waitForFunction(() => typeof (window as unknown as { __runImageBench?: unknown }).__runImageBench === 'function');
    return await page.evaluate(() => (window as unknown as { __runImageBench: () => Promise<Record<string, number>> }).__runImageBench());
  } finally {
    await browser.close();
  }
}
