// Owns launching Debian's Chromium for end-to-end tests and benches: loopback-only WebRTC flags, one context per user.
import { existsSync, readFileSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Flags seen working in a loopback-only namespace, shared with web-test-runner.config.mjs. */
export const CHROMIUM_ARGS: string[] = (JSON.parse(readFileSync(new URL('../../../test/chromium-flags.json', import.meta.url), 'utf8')) as { args: string[] }).args;

export async function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}. Install it with: apt-get update && apt-get install -y chromium (or set CHROMIUM_PATH)`);
  }
  if (process.env.BW_IN_NETNS !== '1') {
    throw new Error('browser tests must run in a loopback-only network namespace: use test/in-netns.sh (npm test does)');
  }
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_ARGS, ...extraArgs] });
}
