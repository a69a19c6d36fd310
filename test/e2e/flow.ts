// Owns the user-level steps the end-to-end tests and benches drive in a page: create identity, invite, befriend, post.
import type { Browser, Page } from 'playwright-core';

export async function openUser(browser: Browser, url: string, name: string, log = false): Promise<Page> {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  page.on('pageerror', (e) => console.error(`[${name} pageerror]`, e.message));
  page.on('console', (m) => {
    if (log || m.type() === 'error' || m.type() === 'warning') console.error(`[${name} ${m.type()}]`, m.text());
  });
  await page.goto(url);
  await page.locator('bw-onboarding input[name=name]').fill(name);
  await page.locator('bw-onboarding button[type=submit]').click();
  await page.locator('bw-feed[data-relay=connected]').waitFor();
  return page;
}

export async function makeInvite(page: Page): Promise<string> {
  const details = page.locator('bw-feed details');
  if (!(await details.evaluate((d) => (d as HTMLDetailsElement).open))) await page.locator('bw-feed summary').click();
  await page.locator('bw-invite button[name=make]').click();
  const code = page.locator('bw-invite textarea[name=my-code]');
  await code.waitFor();
  return code.inputValue();
}

export async function acceptInvite(page: Page, code: string): Promise<void> {
  const details = page.locator('bw-feed details');
  if (!(await details.evaluate((d) => (d as HTMLDetailsElement).open))) await page.locator('bw-feed summary').click();
  await page.locator('bw-invite textarea[name=paste]').fill(code);
  await page.locator('bw-invite button[name=accept]').click();
}

/** Befriends two pages and waits until their data channel is open on both sides. */
export async function befriend(a: Page, b: Page): Promise<void> {
  await acceptInvite(b, await makeInvite(a));
  await Promise.all([a.locator('bw-feed[data-direct="1"]').waitFor(), b.locator('bw-feed[data-direct="1"]').waitFor()]);
}

export async function post(page: Page, body: string): Promise<void> {
  await page.locator('bw-compose textarea[name=body]').fill(body);
  await page.locator('bw-compose button[name=post]').click();
}
