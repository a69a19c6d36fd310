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
  await page.getByRole('textbox', { name: 'Display name' }).fill(name);
  await page.getByRole('button', { name: 'Create my identity' }).click();
  await page.locator('bw-feed[data-relay=connected]').waitFor();
  return page;
}

/** Switches <bw-feed> to one of its sections (the nav's Home, Friends or Profile). */
export async function openTab(page: Page, tab: 'home' | 'friends' | 'profile'): Promise<void> {
  await page.locator(`bw-feed nav button[data-tab=${tab}]`).click();
}

/** Opens the friends section. */
export const openFriends = (page: Page): Promise<void> => openTab(page, 'friends');

/** Makes an invite and returns its link (what a user copies), then goes back to the feed. */
export async function makeInvite(page: Page): Promise<string> {
  await openFriends(page);
  const link = page.getByRole('textbox', { name: 'Your invite link' });
  const before = (await link.count()) ? await link.inputValue() : '';
  await page.locator('bw-invite button[name=make]').click();
  await page.waitForFunction(
    ([before]) => {
      const input = document.querySelector('bw-feed')?.shadowRoot?.querySelector('bw-invite')?.shadowRoot?.querySelector('input[name=invite-link]') as HTMLInputElement | null;
      return !!input?.value && input.value !== before;
    },
    [before] as const,
  );
  const value = await link.inputValue();
  await openTab(page, 'home');
  return value;
}

/** Pastes an invite link (or code) into the friends section and accepts it, then goes back to the feed. */
export async function acceptInvite(page: Page, code: string): Promise<void> {
  await openFriends(page);
  await page.getByRole('textbox', { name: 'Friend’s invite link' }).fill(code);
  await page.getByRole('button', { name: 'Add friend' }).click();
  await openTab(page, 'home');
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
export const feedItem = (page: Page, body: string) => page.locator('bw-post', { hasText: body });

/** Posts from the feed's compose box (going to the feed first). */
export async function post(page: Page, body: string): Promise<void> {
  await openTab(page, 'home');
  await page.getByRole('textbox', { name: 'What’s on your mind?' }).fill(body);
  await page.getByRole('button', { name: 'Post', exact: true }).click();
}
