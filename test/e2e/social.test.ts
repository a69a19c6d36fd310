// End to end, issue 11 in three Chromium pages and the real relay: a photo post, a reply seen by a friend of a friend
// under its author's signed name, reactions, edit, delete, and a post to an audience list that others never receive.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Locator, Page } from 'playwright-core';
import { relayAndBrowser, screenshots } from './fixture.js';
import { befriend, feedItem, openTab, openUser, post } from './flow.js';

const e2e = relayAndBrowser({ fixedPort: true });

/** A 640×480 PNG drawn in the page (a sky, a sun, some hills), as bytes for the file input. */
async function makePng(page: Page): Promise<Buffer> {
  const b64 = await page.evaluate(async () => {
    const c = new OffscreenCanvas(640, 480);
    const g = c.getContext('2d')!;
    const sky = g.createLinearGradient(0, 0, 0, 480);
    sky.addColorStop(0, '#1e3c72');
    sky.addColorStop(1, '#f7b267');
    g.fillStyle = sky;
    g.fillRect(0, 0, 640, 480);
    g.fillStyle = '#ffd166';
    g.beginPath();
    g.arc(420, 300, 70, 0, Math.PI * 2);
    g.fill();
    g.fillStyle = '#2a4d3a';
    g.beginPath();
    g.moveTo(0, 480);
    g.quadraticCurveTo(160, 300, 340, 420);
    g.quadraticCurveTo(500, 330, 640, 400);
    g.lineTo(640, 480);
    g.fill();
    const bytes = new Uint8Array(await (await c.convertToBlob({ type: 'image/png' })).arrayBuffer());
    let s = '';
    for (const b of bytes) s += String.fromCharCode(b);
    return btoa(s);
  });
  return Buffer.from(b64, 'base64');
}

/** A post card by its stable id (its text changes on edit and goes on delete). */
const byId = (page: Page, id: string) => page.locator(`bw-post[data-id="${id}"]`);

/** Opens a post's thread (the replies and the reply box) unless open. */
async function openThread(item: Locator): Promise<void> {
  const toggle = item.locator('button[name=thread]');
  if ((await toggle.getAttribute('aria-expanded')) !== 'true') await toggle.click();
}

/** Waits until an <img> has loaded and decoded real pixels. */
async function loaded(page: Page, img: Locator): Promise<void> {
  await img.waitFor();
  await page.waitForFunction((el) => !!el && (el as HTMLImageElement).complete && (el as HTMLImageElement).naturalWidth > 0, await img.elementHandle());
}

test('social: photo post, a friend of a friend’s reply under a verified name, reactions, edit, delete, a list post', { timeout: 240_000 }, async () => {
  const { relay, browser } = e2e;
  const url = relay.url;
  const alice = await openUser(browser, url, 'Alice');
  const bob = await openUser(browser, url, 'Bob');
  const carol = await openUser(browser, url, 'Carol');
  await befriend(alice, bob, 'Alice', 'Bob');
  await befriend(alice, carol, 'Alice', 'Carol');
  // Bob and Carol are not friends. Bob signs a profile card with a fuller name: Carol learns it only from that card.
  await openTab(bob, 'profile');
  await bob.getByRole('button', { name: 'Edit profile' }).click();
  await bob.getByRole('textbox', { name: 'Display name' }).fill('Bob Builder');
  await bob.getByRole('textbox', { name: 'Bio' }).fill('Builds things.');
  await bob.getByRole('button', { name: 'Save profile' }).click();
  await bob.getByRole('region', { name: 'Profile of Bob Builder' }).waitFor();
  await openTab(bob, 'home');

  // 1. Alice posts a photo.
  const text = `Sunset over the hills ${Date.now()}`;
  await alice.getByRole('textbox', { name: 'What’s on your mind?' }).fill(text);
  await alice.getByLabel('Add photos').setInputFiles({ name: 'sunset.png', mimeType: 'image/png', buffer: await makePng(alice) });
  await alice.getByRole('img', { name: 'Photo 1: sunset.png' }).waitFor();
  await alice.getByRole('button', { name: 'Post', exact: true }).click();
  const mine = feedItem(alice, text);
  await mine.waitFor();
  const id = (await mine.getAttribute('data-id'))!;
  assert.ok(id, 'the card carries its post id');
  await loaded(alice, mine.locator('[part=photos] img'));

  // 2. Bob replies (he sees the photo too).
  const atBob = byId(bob, id);
  await atBob.waitFor();
  await loaded(bob, atBob.locator('[part=photos] img'));
  await openThread(atBob);
  const replyText = `Gorgeous light! ${Date.now()}`;
  await atBob.getByRole('textbox', { name: 'Reply to Alice' }).fill(replyText);
  await atBob.locator('form[part=reply]').getByRole('button', { name: 'Reply' }).click();
  await atBob.locator('.reply', { hasText: replyText }).waitFor();

  // 3. Carol, who does not know Bob, sees his reply under Alice's post with his signed name, and Alice's photo.
  const atCarol = byId(carol, id);
  await atCarol.waitFor();
  await atCarol.locator('button[name=thread]', { hasText: '1 reply' }).waitFor();
  await openThread(atCarol);
  const carolReply = atCarol.locator('.reply', { hasText: replyText });
  await carolReply.waitFor();
  assert.equal((await carolReply.locator('strong').textContent())?.trim(), 'Bob Builder', 'the name from Bob’s signed profile card');
  await loaded(carol, atCarol.locator('[part=photos] img'));

  // 4. Bob reacts; Alice and Carol see the count.
  await atBob.getByRole('button', { name: 'Add a reaction' }).first().click();
  await atBob.getByRole('button', { name: 'heart' }).click();
  for (const page of [alice, carol, bob]) await byId(page, id).locator('[part=reaction]', { hasText: '❤️ 1' }).first().waitFor();
  const atAlice = byId(alice, id);
  await openThread(atAlice);

  // Screenshots of the thread: a photo, a reply, reactions (desktop and phone width).
  for (const [name, page] of [['alice', alice], ['carol', carol]] as const) await screenshots(page, `social-${name}`);
  // The full image opens from the thumbnail.
  await atCarol.locator('[part=photos] button').click();
  await loaded(carol, atCarol.locator('dialog[part=lightbox] img'));
  await atCarol.locator('dialog[part=lightbox]').getByRole('button', { name: 'Close' }).click();

  // 5. Alice edits: every view shows the new text, marked edited.
  const edited = `Sunset over the hills (edited) ${Date.now()}`;
  await atAlice.getByRole('button', { name: 'More options for this post' }).click();
  await atAlice.getByRole('button', { name: 'Edit', exact: true }).click();
  await atAlice.getByRole('textbox', { name: 'Edit your post' }).fill(edited);
  await atAlice.getByRole('button', { name: 'Save', exact: true }).click();
  for (const page of [alice, bob, carol]) {
    await byId(page, id).locator('[part=body]', { hasText: edited }).waitFor();
    await byId(page, id).getByText('· edited').first().waitFor();
  }

  // 6. Alice deletes: every view says so, and the photo and text are gone.
  await atAlice.getByRole('button', { name: 'More options for this post' }).click();
  await atAlice.getByRole('button', { name: 'Delete', exact: true }).click(); // confirm() is accepted by flow.ts
  for (const page of [alice, bob, carol]) {
    await byId(page, id).getByText('This post was deleted.').waitFor();
    assert.equal(await byId(page, id).locator('[part=photos]').count(), 0);
    assert.equal(await byId(page, id).getByText(edited).count(), 0);
  }

  // 7. A list holding only Bob: he gets the post; Carol never does, though she is online and caught up.
  await openTab(alice, 'friends');
  await alice.getByRole('button', { name: 'New list' }).click();
  await alice.getByRole('textbox', { name: 'List name' }).fill('Just Bob');
  await alice.getByRole('checkbox', { name: 'Bob' }).check();
  await alice.getByRole('button', { name: 'Save list' }).click();
  await alice.getByRole('list', { name: 'Lists' }).getByText('Just Bob').waitFor();
  await openTab(alice, 'home');
  const secret = `For Bob only ${Date.now()}`;
  await alice.getByRole('combobox', { name: 'Audience' }).selectOption({ label: 'Just Bob' });
  await post(alice, secret);
  await feedItem(alice, secret).locator('[part=meta]', { hasText: 'to Just Bob' }).waitFor();
  await feedItem(bob, secret).waitFor();
  await alice.getByRole('combobox', { name: 'Audience' }).selectOption({ label: 'All friends' });
  const open = `For everyone ${Date.now()}`;
  await post(alice, open);
  await feedItem(carol, open).waitFor();
  await feedItem(bob, open).waitFor();
  assert.equal(await feedItem(carol, secret).count(), 0, 'a friend outside the list never receives its post');
  await carol.getByRole('searchbox', { name: 'Search posts' }).fill('Bob only');
  await carol.getByRole('status').filter({ hasText: '0 posts match' }).waitFor();
});
