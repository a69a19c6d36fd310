// Owns the sealing benchmark's two runs: in this Node process, and the same code bundled into Chromium.
import { rollup } from 'rollup';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import { fileURLToPath } from 'node:url';
import { launchChromium } from '../test/e2e/browser.js';
import { runSealBench } from './seal-core.js';

export async function sealBench(): Promise<Record<string, number>> {
  const node = runSealBench();
  const bundle = await rollup({ input: fileURLToPath(new URL('./seal-core.js', import.meta.url)), plugins: [nodeResolve({ browser: true })] });
  const { output } = await bundle.generate({ format: 'es' });
  await bundle.close();
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.setContent('<!doctype html><title>bench</title>');
    // Exports become globals in a classic script wrapper; the bundle has no other side effects.
    const code = output[0].code.replace(/export \{[^}]*\};?\s*$/, '') + '\nwindow.__runSealBench = runSealBench;';
    await page.addScriptTag({ content: code, type: 'module' });
    await page.waitForFunction(() => typeof (window as unknown as { __runSealBench?: unknown }).__runSealBench === 'function');
    const chromium = await page.evaluate(() => (window as unknown as { __runSealBench: (l: number[]) => Record<string, number> }).__runSealBench([100]));
    return {
      seal_1_friends_ms: node.seal_1_friends_ms!,
      seal_10_friends_ms: node.seal_10_friends_ms!,
      seal_100_friends_ms: node.seal_100_friends_ms!,
      seal_1000_friends_ms: node.seal_1000_friends_ms!,
      seal_100_friends_ops_per_s: node.seal_100_friends_ops_per_s!,
      seal_100_friends_baseline_ms: node.seal_100_friends_baseline_ms!,
      seal_100_friends_ratio: node.seal_100_friends_ratio!,
      seal_1000_friends_ratio: node.seal_1000_friends_ratio!,
      open_post_ms: node.open_post_ms!,
      seal_100_friends_ms_chromium: chromium.seal_100_friends_ms!,
      seal_100_friends_ratio_chromium: chromium.seal_100_friends_ratio!,
      open_post_ms_chromium: chromium.open_post_ms!,
    };
  } finally {
    await browser.close();
  }
}
