// End to end, issue 14 "Nothing lost, nothing stuck": a relay restart does not strand the direct link or post states,
// relay-only posts reach "delivered", a removed friend cannot come back on an old invite, and the page opens offline.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { launchChromium } from './browser.js';
import { freePort, startRelay, type RelayProcess } from './relay-process.js';
import { acceptInvite, befriend, feedItem, friendRow, makeInvite, openFriends, openUser, post } from './flow.js';

let browser: Browser;
const relays: RelayProcess[] = [];

/** A relay on a fixed port, so a restarted one is at the same address the pages know. */
async function relayAt(port: number, dataDir?: string): Promise<RelayProcess> {
  const r = await startRelay({ args: ['--port', String(port)], ...(dataDir && { dataDir }) });
  relays.push(r);
  return r;
}

before(async () => {
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  for (const r of relays) await r.stop();
});

test('after a relay restart the direct link comes back without a reload, and post states settle', { timeout: 120_000 }, async () => {
  const port = await freePort();
  let relay = await relayAt(port);
  const alice = await openUser(browser, relay.url, 'Alice', !!process.env.BW_LOG);
  const bob = await openUser(browser, relay.url, 'Bob', !!process.env.BW_LOG);
  await befriend(alice, bob, 'Alice', 'Bob');

  const written: string[] = [];
  for (let round = 1; round <= 3; round++) {
    await relay.stop();
    await Promise.all([alice.locator('bw-feed[data-relay=offline]').waitFor(), bob.locator('bw-feed[data-relay=offline]').waitFor()]);
    // Written while the relay is down: sent directly if the channel still stands, else queued until it returns.
    const during = `while the relay restarts ${round} ${Date.now()}`;
    await post(bob, during);
    written.push(during);
    relay = await relayAt(port, relay.dataDir);
    await Promise.all([alice.locator('bw-feed[data-relay=connected]').waitFor({ timeout: 30_000 }), bob.locator('bw-feed[data-relay=connected]').waitFor({ timeout: 30_000 })]);
    await Promise.all([
      friendRow(alice, 'Bob', 'connected directly').waitFor({ state: 'attached', timeout: 30_000 }),
      friendRow(bob, 'Alice', 'connected directly').waitFor({ state: 'attached', timeout: 30_000 }),
    ]);
    const body = `after relay restart ${round} ${Date.now()}`;
    await post(alice, body);
    await feedItem(bob, body).waitFor();
    await feedItem(alice, body).filter({ hasText: 'delivered' }).waitFor();
  }
  // Every post written during an outage reached Alice, and Bob's copy says so (none left "waiting on relay").
  for (const body of written) {
    await feedItem(alice, body).waitFor();
    await feedItem(bob, body).filter({ hasText: 'delivered' }).waitFor();
  }
});

test('relay-only mode: a post through the mailbox reaches "delivered" once the friend holds it, both ways', { timeout: 60_000 }, async () => {
  const relay = await relayAt(await freePort());
  const alice = await openUser(browser, relay.url, 'Alice');
  const carol = await openUser(browser, `${relay.url}/?direct=off`, 'Carol');
  await acceptInvite(carol, await makeInvite(alice));
  await friendRow(alice, 'Carol', 'online').waitFor({ state: 'attached' });

  const toCarol = `to relay-only Carol ${Date.now()}`;
  await post(alice, toCarol);
  await feedItem(carol, toCarol).waitFor();
  assert.equal(await feedItem(carol, toCarol).getAttribute('data-via'), 'relay');
  await feedItem(alice, toCarol).filter({ hasText: 'delivered' }).waitFor();

  const fromCarol = `from relay-only Carol ${Date.now()}`;
  await post(carol, fromCarol);
  await feedItem(alice, fromCarol).waitFor();
  assert.equal(await feedItem(alice, fromCarol).getAttribute('data-via'), 'relay');
  await feedItem(carol, fromCarol).filter({ hasText: 'delivered' }).waitFor();
  assert.equal(await carol.locator('bw-feed').getAttribute('data-direct'), '0', 'never a data channel');
});

test('a removed friend cannot come back with the invite they used; the remover’s other invites still work', { timeout: 90_000 }, async () => {
  const relay = await relayAt(await freePort());
  const alice = await openUser(browser, relay.url, 'Alice');
  const bob = await openUser(browser, relay.url, 'Bob');
  const forBob = await makeInvite(alice);
  await acceptInvite(bob, forBob);
  await friendRow(alice, 'Bob', 'connected directly').waitFor({ state: 'attached' });
  await friendRow(bob, 'Alice', 'connected directly').waitFor({ state: 'attached' });

  // Alice removes Bob; Bob removes her too and pastes her old invite (still within its 7 days) again.
  await openFriends(alice);
  await friendRow(alice, 'Bob').locator('button[data-action=remove]').click();
  await friendRow(alice, 'Bob').waitFor({ state: 'detached' });
  await openFriends(bob);
  await friendRow(bob, 'Alice').locator('button[data-action=remove]').click();
  await friendRow(bob, 'Alice').waitFor({ state: 'detached' });
  await acceptInvite(bob, forBob);
  await friendRow(bob, 'Alice', 'waiting for them to accept').waitFor({ state: 'attached' });

  // Alice's newer invite works: Carol becomes her friend (a relay round trip after Bob's request had its chance).
  const carol = await openUser(browser, relay.url, 'Carol');
  await befriend(alice, carol, 'Alice', 'Carol');
  assert.equal(await friendRow(alice, 'Bob').count(), 0, 'the removed friend came back on the old invite');
  assert.equal(await friendRow(bob, 'Alice', 'offline').count(), 1, 'the withdrawn invite no longer shows Alice to Bob');
  const body = `after removing Bob ${Date.now()}`;
  await post(alice, body);
  await feedItem(carol, body).waitFor();
  assert.equal(await feedItem(bob, body).count(), 0);
});

test('the page opens with its stored feed while the relay is down (service worker)', { timeout: 60_000 }, async () => {
  const relay = await relayAt(await freePort());
  const alice = await openUser(browser, relay.url, 'Alice');
  const body = `kept for offline reading ${Date.now()}`;
  await post(alice, body);
  await feedItem(alice, body).waitFor();
  // The worker is installed (it cached the page and what the page links) and controls the page.
  assert.equal(await alice.evaluate(async () => (await navigator.serviceWorker.ready).active?.state), 'activated');

  await relay.stop();
  await alice.reload();
  await feedItem(alice, body).waitFor();
  await alice.locator('bw-feed[data-relay=offline]').waitFor();
  // The live endpoints are never answered from the cache.
  assert.equal(await alice.evaluate(async () => (await caches.keys()).length > 0), true);
  const cached = await alice.evaluate(async () => (await Promise.all((await caches.keys()).map(async (k) => (await (await caches.open(k)).keys()).map((r) => new URL(r.url).pathname)))).flat());
  assert.ok(cached.includes('/'), `the page is cached: ${cached.join(' ')}`);
  for (const linked of ['/manifest.webmanifest', '/icon.svg']) assert.ok(cached.includes(linked), `${linked} (linked by the page) is cached: ${cached.join(' ')}`);
  assert.ok(!cached.some((p) => p.startsWith('/socket.io/') || p === '/healthz'), `live endpoints cached: ${cached.join(' ')}`);
});
