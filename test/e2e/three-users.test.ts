// End to end, three Chromium users and the real relay: direct, mailbox, catch-up without the relay, unfriend, an embedding
// site, and block.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { sri } from '../../tools/page.js';
import { launchChromium } from './browser.js';
import { ARTIFACTS, screenshots } from './fixture.js';
import { freePort, startRelay, type RelayProcess } from './relay-process.js';
import { acceptInvite, befriend, feedItem, friendRow, makeInvite, openFriends, openUser, post, reopen } from './flow.js';

let relay: RelayProcess;
let browser: Browser;
let host: Server;

/** Every byte the relay has on disk: the database and its write-ahead log. */
const relayBytes = (dir: string) => Buffer.concat(readdirSync(dir).map((f) => readFileSync(join(dir, f))));

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  relay = await startRelay({ args: ['--port', String(await freePort())] });
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await relay?.stop();
  host?.close();
});

test('three users: direct, mailbox, catch-up from each other, unfriend; <bw-feed> on another site; block', { timeout: 120_000 }, async () => {
  const url = relay.url;
  const alice = await openUser(browser, url, 'Alice');
  const bob = await openUser(browser, url, 'Bob');
  let carol: Page = await openUser(browser, url, 'Carol');
  await befriend(alice, bob, 'Alice', 'Bob');
  await befriend(alice, carol, 'Alice', 'Carol');
  await befriend(bob, carol, 'Bob', 'Carol');

  // 1. Carol is closed; Alice posts. Bob gets it over the data channel, Carol's copy waits in the relay's mailbox.
  const carolCtx = carol.context();
  await carol.close();
  await friendRow(alice, 'Carol', 'offline').waitFor({ state: 'attached' });
  const p1 = `first post while Carol is away ${Date.now()}`;
  await post(alice, p1);
  await feedItem(bob, p1).waitFor();
  assert.equal(await feedItem(bob, p1).getAttribute('data-via'), 'p2p');
  await feedItem(alice, p1).filter({ hasText: 'waiting on relay' }).waitFor();
  // The relay holds it, but never as plaintext.
  assert.equal(relayBytes(relay.dataDir).indexOf(p1), -1, 'post text found in the relay database');
  assert.equal(relayBytes(relay.dataDir).indexOf(Buffer.from(p1).toString('base64').slice(0, 24)), -1);

  // 2. Carol opens later and gets it from the mailbox.
  carol = await reopen(carolCtx, url, 'Carol');
  await feedItem(carol, p1).waitFor();
  assert.equal(await feedItem(carol, p1).getAttribute('data-via'), 'relay');
  // Once Carol and Alice connect, Alice learns it was delivered.
  await feedItem(alice, p1).filter({ hasText: 'delivered ×2' }).waitFor();

  // 3. Alice goes offline; Carol closes; Bob posts. Then the relay loses everything it stored.
  const aliceCtx = alice.context();
  await alice.close();
  await carol.close();
  await friendRow(bob, 'Carol', 'offline').waitFor({ state: 'attached' });
  const p2 = `Bob's post the relay will lose ${Date.now()}`;
  await post(bob, p2);
  await feedItem(bob, p2).filter({ hasText: 'waiting on relay' }).waitFor();
  const port = new URL(url).port;
  await relay.stop();
  rmSync(relay.dataDir, { recursive: true, force: true });
  // While the relay is down, Bob writes another post: it waits in his outbox.
  await bob.locator('bw-feed[data-relay=offline]').waitFor();
  const p2b = `written offline ${Date.now()}`;
  await post(bob, p2b);
  await feedItem(bob, p2b).filter({ hasText: 'queued on this device' }).waitFor();
  relay = await startRelay({ dataDir: relay.dataDir, args: ['--port', port] });
  // The network returns, but the fresh relay lost Carol's mailbox allow list too, so it refuses Bob's post for her:
  // it stays in Bob's outbox (nothing is lost) until Carol is back and has told the relay whom she takes posts from.
  await bob.locator('bw-feed[data-relay=connected]').waitFor();
  assert.equal(await feedItem(bob, p2b).filter({ hasText: 'queued on this device' }).count(), 1);
  // Carol comes back: the lost post can only come from Bob, over the channel; the offline one either way.
  carol = await reopen(carolCtx, url, 'Carol');
  await feedItem(carol, p2).waitFor({ timeout: 15_000 });
  assert.equal(await feedItem(carol, p2).getAttribute('data-via'), 'p2p', 'catch-up must come from Bob, not the relay');
  await feedItem(carol, p2b).waitFor();

  // 4. Alice returns and removes Carol: Carol cannot read Alice's next post.
  const alice2 = await reopen(aliceCtx, url, 'Alice');
  await friendRow(alice2, 'Bob', 'connected directly').waitFor({ state: 'attached' });
  await friendRow(alice2, 'Carol', 'connected directly').waitFor({ state: 'attached' });
  await openFriends(alice2);
  await friendRow(alice2, 'Carol').locator('button[data-action=remove]').click();
  await friendRow(alice2, 'Carol').waitFor({ state: 'detached' });
  const p3 = `after removing Carol ${Date.now()}`;
  await post(alice2, p3);
  await feedItem(bob, p3).waitFor();
  // Sealed for Bob alone: one recipient in Alice's delivery line, and nothing for Carol anywhere.
  await feedItem(alice2, p3).locator('[part=meta]').filter({ hasText: /^(sent directly|delivered)$/ }).waitFor();
  await carol.reload();
  await carol.locator('bw-feed[data-relay=connected]').waitFor();
  assert.equal(await feedItem(carol, p3).count(), 0, 'a removed friend must not receive the post');

  // 5. A host site on another origin embeds <bw-feed> with one script tag; it befriends Alice and gets her posts.
  const embed = readdirSync('dist').find((n) => /^bw-feed\.[\w-]+\.js$/.test(n))!;
  const hostHtml = readFileSync(new URL('../../../test/e2e/host.html', import.meta.url), 'utf8')
    .replaceAll('RELAY', url).replace('EMBED', embed).replace('INTEGRITY', sri(readFileSync(join('dist', embed))));
  host = createServer((_, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(hostHtml));
  await new Promise<void>((r) => host.listen(0, '127.0.0.1', r));
  const hostUrl = `http://localhost:${(host.address() as AddressInfo).port}/`; // a different origin from the relay
  const dave = await openUser(browser, hostUrl, 'Dave');
  const forDave = await makeInvite(alice2);
  await acceptInvite(dave, forDave);
  await friendRow(dave, 'Alice', 'connected directly').waitFor({ state: 'attached' });
  const p4 = `hello embedded Dave ${Date.now()}`;
  await post(alice2, p4);
  await feedItem(dave, p4).waitFor();
  assert.equal(await feedItem(dave, p4).getAttribute('data-via'), 'p2p');
  const events = (await dave.evaluate(() => (window as unknown as { hostEvents: { type: string; body?: string }[] }).hostEvents));
  assert.ok(events.some((e) => e.type === 'bw-post' && e.body === p4), 'the host page hears bw-post');
  assert.ok(events.some((e) => e.type === 'bw-status'), 'the host page hears bw-status');
  // Styles: the host's button colour does not reach inside; the theme property and ::part do.
  const inside = await dave.locator('bw-compose button[name=post]').evaluate((b) => getComputedStyle(b).backgroundColor);
  assert.equal(inside, 'rgb(200, 80, 0)');
  assert.equal(await dave.locator('bw-feed [part=status]').evaluate((e) => getComputedStyle(e).outlineStyle), 'dashed');

  // 6. Alice blocks Dave: to him she now looks offline (the relay hides her), her next post is sealed for Bob alone,
  //    and the invite he answered is withdrawn: answering it again gets him nowhere, and her page never hears of it.
  let heard = '';
  alice2.on('console', (m) => /friend request/.test(m.text()) && (heard ||= m.text()));
  await openFriends(alice2);
  await friendRow(alice2, 'Dave').locator('button[data-action=block]').click();
  await friendRow(alice2, 'Dave').waitFor({ state: 'detached' });
  await friendRow(dave, 'Alice', 'offline').waitFor({ state: 'attached' });
  const p5 = `after blocking Dave ${Date.now()}`;
  await post(alice2, p5);
  await feedItem(bob, p5).waitFor();
  // One recipient, Bob: the line settles on one state with no ×N (it may still say "sending…" for a moment).
  await feedItem(alice2, p5).locator('[part=meta]').filter({ hasText: /^(sent directly|delivered)$/ }).waitFor();
  await openFriends(dave);
  await friendRow(dave, 'Alice').locator('button[data-action=remove]').click();
  await friendRow(dave, 'Alice').waitFor({ state: 'detached' });
  await acceptInvite(dave, forDave);
  await friendRow(dave, 'Alice', 'waiting for them to accept').waitFor({ state: 'attached' });
  // Bob, still Alice's friend, sees her online throughout: the relay is up and Alice is there; only Dave is shut out.
  await friendRow(bob, 'Alice', 'connected directly').waitFor({ state: 'attached' });
  await alice2.waitForTimeout(1000); // time for a friend request to arrive, were it let through
  assert.equal(await friendRow(dave, 'Alice', 'offline').count(), 1, 'to Dave, Alice still looks offline');
  assert.equal(heard, '', 'no friend request from Dave reached Alice');
  assert.equal(await friendRow(alice2, 'Dave').count(), 0, 'a blocked key does not become a friend again');
  assert.equal(await feedItem(dave, p5).count(), 0);

  for (const [name, page] of [['alice', alice2], ['bob', bob], ['carol', carol], ['dave-embedded', dave]] as const) await screenshots(page, `three-users-${name}`);
});
