// End to end, issue 13: two relay processes joined by Redis, the mailbox on PostgreSQL (both started here, on loopback
// inside the test namespace), one origin in front of them (a plain TCP balancer). Real Chromium users on different
// nodes befriend and post over the data channel; a friend who was offline fetches her post through the other node.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { launchChromium } from './browser.js';
import { startRelay, type RelayProcess } from './relay-process.js';
import { befriend, createIdentity, feedItem, friendRow, openUser, post, reopen } from './flow.js';
import { startPostgres, startRedis, type PostgresServer, type RedisServer } from '../db-servers.js';
import { startBalancer, type Balancer } from '../tcp-balancer.js';

let browser: Browser;
let redis: RedisServer;
let postgres: PostgresServer;
const nodes: RelayProcess[] = [];
let balancer: Balancer;
/** Which node the balancer sends new connections to: each user is placed on a node the test chooses. */
let route = 0;

before(async () => {
  [redis, postgres] = await Promise.all([startRedis(), startPostgres()]);
  const databaseUrl = await postgres.createDatabase('e2e');
  for (let i = 0; i < 2; i++) nodes.push(await startRelay({ args: ['--redis-url', redis.url, '--database-url', databaseUrl] }));
  balancer = await startBalancer(nodes.map((n) => Number(new URL(n.url).port)), { first: () => route });
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await balancer?.close();
  for (const n of nodes) await n.stop();
  await redis?.stop();
  await postgres?.stop();
});

test('friends on two relay nodes post over the data channel; an offline friend fetches from PostgreSQL through the other node', { timeout: 120_000 }, async () => {
  route = 0;
  const alice = await openUser(browser, balancer.url, 'Alice');
  route = 1;
  const bob = await openUser(browser, balancer.url, 'Bob');
  await befriend(alice, bob, 'Alice', 'Bob'); // the offer, answer and ICE candidates crossed nodes through Redis

  const direct = `from node 1 to node 2 ${Date.now()}`;
  await post(alice, direct);
  await feedItem(bob, direct).waitFor();
  assert.equal(await feedItem(bob, direct).getAttribute('data-via'), 'p2p', 'the post must travel over the data channel');

  // Carol befriends Alice on node 1, then closes her page.
  route = 0;
  const carolCtx = await browser.newContext();
  const carol = await createIdentity(await reopen(carolCtx, balancer.url, 'Carol'), 'Carol');
  await befriend(alice, carol, 'Alice', 'Carol');
  await carol.close();
  await friendRow(alice, 'Carol', 'offline').waitFor({ state: 'attached' });

  // Alice posts while Carol is away: sealed for Carol, it waits in the PostgreSQL mailbox (put through node 1).
  const waiting = `while Carol was away ${Date.now()}`;
  await post(alice, waiting);
  await feedItem(bob, waiting).waitFor();
  await feedItem(alice, waiting).filter({ hasText: 'waiting on relay' }).waitFor({ state: 'attached' }); // Carol's copy was acknowledged by the relay

  // Carol comes back through node 2 and fetches it there.
  route = 1;
  const carolAgain = await reopen(carolCtx, balancer.url, 'Carol');
  await feedItem(carolAgain, waiting).waitFor();
  assert.equal(await feedItem(carolAgain, waiting).getAttribute('data-via'), 'relay', 'fetched from the mailbox, not sent directly');
});
