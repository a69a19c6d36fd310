// End to end: two real Chromium users and the real relay; a post travels over the WebRTC data channel, or, in
// relay-only mode, through the mailbox.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { relayAndBrowser } from './fixture.js';
import { acceptInvite, befriend, feedItem, friendRow, makeInvite, openUser, post } from './flow.js';

const e2e = relayAndBrowser();

test('identity → befriend → post arrives in the friend’s feed over the data channel', { timeout: 60_000 }, async () => {
  const { relay, browser } = e2e;
  const alice = await openUser(browser, relay.url, 'Alice');
  const bob = await openUser(browser, relay.url, 'Bob');
  await befriend(alice, bob, 'Alice', 'Bob');

  // Both sides see the same safety number for the friendship.
  const sn = (p: typeof alice) => p.locator('bw-feed ul[part=friends] li code').first().textContent();
  assert.equal(await sn(alice), await sn(bob));

  const body = `hello from Alice ${Date.now()}`;
  await post(alice, body);
  const item = feedItem(bob, body);
  await item.waitFor({ timeout: 5_000 });
  assert.equal(await item.getAttribute('data-via'), 'p2p', 'the post must travel over the data channel');
  assert.match(await item.locator('[part=author]').textContent() ?? '', /Alice/);
  // Alice's copy goes from "sent directly" to "delivered" once Bob's ack comes back over the channel.
  await feedItem(alice, body).filter({ hasText: 'delivered' }).waitFor({ timeout: 5_000 });

  // The relay never stored it: its mailbox is empty.
  const db = new Database(join(relay.dataDir, 'mailbox.db'), { readonly: true });
  assert.equal((db.prepare('SELECT COUNT(*) AS n FROM mailbox').get() as { n: number }).n, 0);
  db.close();
});

test('relay-only mode: no data channel; posts go through the mailbox and the friendship still completes', { timeout: 60_000 }, async () => {
  const { relay, browser } = e2e;
  const alice = await openUser(browser, relay.url, 'Alice');
  const carol = await openUser(browser, `${relay.url}/?direct=off`, 'Carol');
  await acceptInvite(carol, await makeInvite(alice));
  await friendRow(alice, 'Carol', 'online').waitFor({ state: 'attached' });

  const body = `to relay-only Carol ${Date.now()}`;
  await post(alice, body);
  await feedItem(carol, body).waitFor({ timeout: 5_000 });
  assert.equal(await feedItem(carol, body).getAttribute('data-via'), 'relay', 'never over a data channel');
  // What Alice seals for Carol (her device list as soon as she holds Carol, then this post) shows Carol that Alice
  // holds her as a friend.
  await friendRow(carol, 'Alice', 'online').filter({ hasNotText: 'waiting' }).waitFor({ state: 'attached' });
  assert.equal(await carol.locator('bw-feed').getAttribute('data-direct'), '0');
});
