// Owns running a bench's core module in Chromium: bundled by rollup, loaded into a blank page, one exported function called.
import { rollup } from 'rollup';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import { fileURLToPath } from 'node:url';
import { launchChromium } from '../test/e2e/browser.js';

/** Bundles `core` (a built module's URL), calls its export `fn` with `args` in a fresh Chromium page, returns the result. */
export async function runInChromium<T>(core: URL, fn: string, args: unknown[] = []): Promise<T> {
  const bundle = await rollup({ input: fileURLToPath(core), plugins: [nodeResolve({ browser: true })] });
  const { output } = await bundle.generate({ format: 'es' });
  await bundle.close();
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.setContent('<!doctype html><title>bench</title>');
    // The module's exports become one global; the bundle has no other side effects.
    const code = `${output[0].code.replace(/export \{[^}]*\};?\s*$/, '')}\nwindow.__bench = ${fn};`;
    await page.addScriptTag({ content: code, type: 'module' });
    await page.waitForFunction(() => typeof (window as unknown as { __bench?: unknown }).__bench === 'function');
    return (await page.evaluate((a) => (window as unknown as { __bench: (...x: unknown[]) => unknown }).__bench(...a), args)) as T;
  } finally {
    await browser.close();
  }
}
