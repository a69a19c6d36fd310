// End to end, issue 12's linking in Chromium and the real relay: Ann has a laptop, Ben one browser. Ann links a phone
// (a second browser) from the laptop, whose camera "scans" the phone's QR code (the link in it is opened); both of
// Ann's devices get Ben's posts, each posts and Ben sees both as Ann's; Ann removes the phone, which reads nothing
// posted afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { relayAndBrowser, screenshots } from './fixture.js';
import { befriend, feedItem, openTab, openUser, post, reopen } from './flow.js';

const e2e = relayAndBrowser();

test('Ann links a second browser: one short code on both screens, both devices read and post as Ann, a removed device reads nothing after', { timeout: 300_000 }, async () => {
  const { relay, browser } = e2e;
  const url = relay.url;
  const ann = await openUser(browser, url, 'Ann', !!process.env.BW_E2E_LOG);
  const ben = await openUser(browser, url, 'Ben');
  await befriend(ann, ben, 'Ann', 'Ben');
  await post(ann, 'from before the link');
  await feedItem(ben, 'from before the link').waitFor();

  // The new browser: "Link to an account I already have" shows a code (as a QR code and as text).
  const phone = await reopen(await browser.newContext(), url, 'Ann’s phone', !!process.env.BW_E2E_LOG);
  await phone.locator('bw-feed summary', { hasText: 'Link to an account I already have' }).click();
  await phone.getByRole('textbox', { name: 'This device’s name' }).fill('Ann’s phone');
  await phone.getByRole('button', { name: 'Show a link code' }).click();
  const codeBox = phone.getByRole('textbox', { name: 'Link code' });
  await codeBox.waitFor();
  await phone.getByRole('img', { name: 'QR code of this device\'s link code' }).waitFor();
  await screenshots(phone, 'link-device-code');
  const code = await codeBox.inputValue();
  assert.match(code, /^bwlink1\./);

  // The laptop scans the QR code: it holds a link that opens Ann's page at Profile → Devices with the code in the box
  // (pasting the code as text goes into the same box). Both screens show the same short code, and Ann confirms.
  const scanned = (await phone.locator('bw-devices bw-qr').getAttribute('value'))!;
  assert.equal(scanned, `${new URL('/', url).href}#link=${code}`);
  await ann.goto('about:blank');
  await ann.goto(scanned);
  await ann.locator('bw-feed[data-relay=connected]').waitFor();
  const box = ann.getByRole('textbox', { name: 'Link a device: paste its code' });
  await box.waitFor();
  assert.equal(await box.inputValue(), code, 'the scanned code is in the box');
  await ann.getByRole('button', { name: 'Link a device' }).click();
  const sasOnLaptop = (await ann.locator('bw-devices [part=sas]').textContent())!.trim();
  const sasOnPhone = (await phone.locator('bw-devices [part=sas]').textContent())!.trim();
  assert.match(sasOnLaptop, /^\d{3} \d{3}$/);
  assert.equal(sasOnPhone, sasOnLaptop, 'both screens show one code');
  await screenshots(ann, 'link-device-compare');
  await ann.getByRole('button', { name: 'The codes match: link it' }).click();

  // The phone is Ann now: her friend and her posts came over, and it goes online as her device.
  await phone.locator('bw-feed[data-relay=connected]').waitFor({ timeout: 20_000 }).catch(async (e) => {
    throw new Error(`the phone did not go online as Ann: it shows "${await phone.locator('bw-feed').evaluate((el) => el.shadowRoot?.textContent?.replace(/\s+/g, ' ').slice(0, 400))}", the laptop "${await ann.locator('bw-devices').evaluate((el) => el.shadowRoot?.textContent?.replace(/\s+/g, ' ').slice(0, 300))}"`, { cause: e });
  });
  await feedItem(phone, 'from before the link').waitFor();
  await ann.getByRole('list', { name: 'My devices' }).getByText('Ann’s phone').waitFor();
  await openTab(ann, 'home');
  await openTab(ben, 'friends');
  await ben.locator('bw-feed [part=device-notice]', { hasText: 'Ann’s phone' }).waitFor();
  const bensListOfAnn = ben.locator('bw-feed ul.devices li', { hasText: 'Ann’s phone' });
  await bensListOfAnn.waitFor({ state: 'attached' });
  await openTab(ben, 'home');

  await post(ben, 'hello to all of Ann');
  await feedItem(ann, 'hello to all of Ann').waitFor();
  await feedItem(phone, 'hello to all of Ann').waitFor();
  await post(phone, 'written on the phone');
  await post(ann, 'written on the laptop');
  for (const text of ['written on the phone', 'written on the laptop']) {
    await feedItem(ben, text).getByText('Ann', { exact: true }).first().waitFor(); // Ben sees it as Ann’s
  }
  // In the order they were written (newest first), neither refused as a clash of post numbers.
  const bens = await ben.locator('bw-post').allTextContents();
  const at = (text: string) => bens.findIndex((t) => t.includes(text));
  assert.ok(at('written on the laptop') < at('written on the phone') && at('written on the phone') < at('hello to all of Ann'), `Ben’s feed in order: ${bens.map((t) => t.slice(0, 40)).join(' | ')}`);
  await feedItem(ann, 'written on the phone').waitFor();
  await feedItem(phone, 'written on the laptop').waitFor();
  await openTab(phone, 'profile');
  await phone.locator('bw-feed details[name=devices] > summary').click();
  await screenshots(phone, 'link-device-linked');
  // Friends are added on the laptop: the phone says so instead of offering an invite it could not sign.
  await openTab(phone, 'friends');
  await phone.getByRole('note').filter({ hasText: 'Friends are added on your first device' }).waitFor();
  assert.equal(await phone.getByRole('button', { name: /invite|Add friend/i }).count(), 0, 'no invite to make or accept on the phone');
  await screenshots(phone, 'link-device-linked-friends');
  await openTab(phone, 'home');

  // Ann removes the phone from the laptop: nothing posted afterwards reaches it.
  await openTab(ann, 'profile');
  await ann.getByRole('button', { name: 'Remove Ann’s phone' }).click();
  await ann.getByRole('list', { name: 'My devices' }).getByText('Ann’s phone').waitFor({ state: 'detached' });
  await openTab(ann, 'home');
  await bensListOfAnn.waitFor({ state: 'detached' }); // Ben holds Ann's list without the phone
  await post(ben, 'after the phone was removed');
  await post(ann, 'laptop after the removal');
  await feedItem(ann, 'after the phone was removed').waitFor();
  await feedItem(ben, 'laptop after the removal').waitFor();
  // Absence has no event to wait on: the phone, online all along, gets the time the others took and a margin.
  await phone.waitForTimeout(1500);
  assert.equal(await feedItem(phone, 'after the phone was removed').count(), 0, 'the removed phone reads nothing Ben posts afterwards');
  assert.equal(await feedItem(phone, 'laptop after the removal').count(), 0, 'nor what Ann posts afterwards');
});
