// Owns the user-level steps the end-to-end tests and benches drive in a page: create identity, invite, befriend, post.
import type { Browser, BrowserContext, Page } from 'playwright-core';

/** Opens a page in an existing context (same IndexedDB, so the same identity) and waits for the relay. */
export async function reopen(ctx: BrowserContext, url: string, name: string, log = false): Promise<Page> {
  const page = await ctx.newPage();
  page.on('pageerror', (e) => console.error(`[${name} pageerror]`, e.message));
  page.on('console', (m) => {
    if (log || m.type() === 'error') console.error(`[${name} ${m.type()}]`, m.text());
  });
  page.on('dialog', (d) => void d.accept()); // confirm() on remove/block
  await page.goto(url);
  return page;
}

export async function openUser(browser: Browser, url: string, name: string, log = false): Promise<Page> {
  return createIdentity(await reopen(await browser.newContext(), url, name, log), name);
}

/** Onboards a fresh page as `name` and waits for the relay. */
export async function createIdentity(page: Page, name: string): Promise<Page> {
  await page.locator('bw-onboarding input[name=name]').fill(name);
  await page.locator('bw-onboarding button[type=submit]', { hasText: 'Create' }).click();
  await page.locator('bw-feed[data-relay=connected]').waitFor();
  return page;
}

/** Opens the friends panel if it is closed. */
export async function openFriends(page: Page): Promise<void> {
  const details = page.locator('bw-feed details.friends');
  if (!(await details.evaluate((d) => (d as HTMLDetailsElement).open))) await details.locator('summary').click();
}

export async function makeInvite(page: Page): Promise<string> {
  await openFriends(page);
  await page.locator('bw-invite button[name=make]').click();
  const code = page.locator('bw-invite textarea[name=my-code]');
  await code.waitFor();
  return code.inputValue();
}

export async function acceptInvite(page: Page, code: string): Promise<void> {
  await openFriends(page);
  await page.locator('bw-invite textarea[name=paste]').fill(code);
  await page.locator('bw-invite button[name=accept]').click();
}

/** Befriends two pages and waits until their data channel is open on both sides. */
export async function befriend(a: Page, b: Page, nameA: string, nameB: string): Promise<void> {
  await acceptInvite(b, await makeInvite(a));
  await Promise.all([friendRow(a, nameB, 'connected directly').waitFor({ state: 'attached' }), friendRow(b, nameA, 'connected directly').waitFor({ state: 'attached' })]);
  // The invitee's notice follows the friendship: no longer "…once they are online".
  await b.locator('bw-invite .ok[role=status]', { hasText: `You and ${nameA} are friends now.` }).waitFor({ state: 'attached' });
}

/** A friend's row in the friends list, optionally only once it shows `state`. */
export function friendRow(page: Page, name: string, state?: string) {
  const row = page.locator('bw-feed ul[part=friends] li', { hasText: name });
  return state ? row.filter({ hasText: state }) : row;
}

/** The post with this text in the page's feed. */
export const feedItem = (page: Page, body: string) => page.locator('bw-post-list li', { hasText: body });

export async function post(page: Page, body: string): Promise<void> {
  await page.locator('bw-compose textarea[name=body]').fill(body);
  await page.locator('bw-compose button[name=post]').click();
}
