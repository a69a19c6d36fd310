// End to end, issue 12's backup v2 in Chromium and the real relay: Ann and Ben befriend, Ann exports a backup, her
// browser is wiped, she restores it, and the two exchange posts both ways without befriending again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { relayAndBrowser, screenshots } from './fixture.js';
import { befriend, feedItem, friendRow, openTab, openUser, post, reopen } from './flow.js';

const PASS = 'correct horse battery staple';

const e2e = relayAndBrowser({ fixedPort: true });

/** Exports a backup from the Profile section and returns its text. */
async function exportBackup(page: Page): Promise<string> {
  await openTab(page, 'profile');
  await page.locator('bw-feed details', { hasText: 'Key backup' }).locator('summary').click();
  await page.locator('bw-backup', { hasText: 'Backups made before you add a friend don’t include them' }).waitFor();
  await page.locator('bw-backup input[name=passphrase]').fill(PASS);
  await page.locator('bw-backup button[name=export]').click();
  const box = page.locator('bw-backup textarea[name=backup]');
  await box.waitFor();
  const text = await box.inputValue();
  await openTab(page, 'home');
  return text;
}

test('a browser restored from a v2 backup has its friend back and exchanges posts both ways (no replay refusal)', { timeout: 240_000 }, async () => {
  const { relay, browser } = e2e;
  const url = relay.url;
  const ann = await openUser(browser, url, 'Ann');
  const ben = await openUser(browser, url, 'Ben');
  await befriend(ann, ben, 'Ann', 'Ben');
  await post(ann, 'before the backup');
  await feedItem(ben, 'before the backup').waitFor();
  await post(ben, 'hello Ann');
  await feedItem(ann, 'hello Ann').waitFor();

  const backup = await exportBackup(ann);
  assert.match(backup, /^bwbackup2\./);
  // The backup goes stale: Ann posts once more in the browser she is about to lose.
  await post(ann, 'after the backup');
  await feedItem(ben, 'after the backup').waitFor();

  // The browser is wiped: a new context has no IndexedDB of the old one.
  await ann.context().close();
  await friendRow(ben, 'Ann', 'offline').waitFor({ state: 'attached' });
  const again = await reopen(await browser.newContext(), url, 'Ann again');
  await again.locator('bw-onboarding summary', { hasText: 'Restore' }).click();
  await again.locator('bw-onboarding textarea[name=backup]').fill(backup);
  await again.locator('bw-onboarding input[name=passphrase]').fill(PASS);
  await screenshots(again, 'backup-restore');
  await again.locator('bw-onboarding button[name=import]').click();
  await again.locator('bw-feed[data-relay=connected]').waitFor();

  // Ben is back as a friend (mutual, his keys restored), and the two connect with no invite.
  await openTab(again, 'friends');
  await friendRow(again, 'Ben', 'connected directly').waitFor({ state: 'attached' });
  await friendRow(ben, 'Ann', 'connected directly').waitFor({ state: 'attached' });
  await openTab(again, 'home');

  // Ann's new posts are numbered past everything Ben holds of her: he takes them (a replay would be dropped).
  await post(again, 'after the restore');
  await feedItem(ben, 'after the restore').waitFor();
  await post(again, 'and once more');
  await feedItem(ben, 'and once more').waitFor();
  await post(ben, 'welcome back');
  await feedItem(again, 'welcome back').waitFor();
  assert.equal(await feedItem(ben, 'after the restore').count(), 1);
  await openTab(again, 'profile');
  await again.locator('bw-feed [part=me]', { hasText: 'Ann' }).waitFor({ state: 'attached' });
  await screenshots(again, 'backup-restored');

  // The restored browser is a new device with a new device list: Ben is told, on Ann's row, and can see her devices.
  await openTab(ben, 'friends');
  const notice = friendRow(ben, 'Ann').locator('[part=device-notice]');
  await notice.waitFor();
  assert.match(await notice.textContent() ?? '', /Ann added a device: “Browser” on \d{4}-\d\d-\d\d\. If Ann did not, compare safety numbers\./);
  await friendRow(ben, 'Ann').locator('summary', { hasText: 'Safety number and devices' }).click();
  await friendRow(ben, 'Ann').getByRole('list', { name: 'Ann’s devices' }).getByRole('listitem').first().waitFor();
  await screenshots(ben, 'backup-restore-friend-devices');
});
