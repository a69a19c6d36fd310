// Owns what e2e test files share around their tests: one real relay process and one Chromium per file, and the
// screenshots every UI test saves at desktop width and at 390 px.
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './browser.js';
import { freePort, startRelay, type RelayProcess } from './relay-process.js';

/** Where the screenshots go (README: look at them after UI work). */
export const ARTIFACTS = 'test-artifacts';

export interface E2e {
  relay: RelayProcess;
  browser: Browser;
}

/**
 * Registers the file's before/after hooks and returns the fixture, whose fields are set once `before` has run.
 * `fixedPort`: the relay listens on a port picked up front rather than its own --port 0.
 */
export function relayAndBrowser(opts: { fixedPort?: boolean } = {}): E2e {
  const e2e = {} as E2e;
  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    e2e.relay = await startRelay(opts.fixedPort ? { args: ['--port', String(await freePort())] } : {});
    e2e.browser = await launchChromium();
  });
  after(async () => {
    await e2e.browser?.close();
    await e2e.relay?.stop();
  });
  return e2e;
}

/**
 * Screenshots the page from its top (a full-page shot of a scrolled page draws the sticky header over the middle)
 * at desktop width and at 390 px, as `name.png` and `name-390.png`; at 390 px nothing may scroll sideways.
 */
export async function screenshots(page: Page, name: string): Promise<void> {
  const shoot = async (file: string) => {
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(ARTIFACTS, file), fullPage: true });
  };
  await shoot(`${name}.png`);
  const desktop = page.viewportSize();
  await page.setViewportSize({ width: 390, height: 844 });
  await shoot(`${name}-390.png`);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `${name}: the page scrolls sideways by ${overflow} px at 390 px wide`);
  if (desktop) await page.setViewportSize(desktop);
}
