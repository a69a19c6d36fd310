// Owns the delivery benchmarks in real Chromium on loopback: data channel open time and post → feed latency, direct and via relay.
import type { Page } from 'playwright-core';
import { launchChromium } from '../test/e2e/browser.js';
import { startRelay } from '../test/e2e/relay-process.js';
import { acceptInvite, befriend, makeInvite, openUser, post } from '../test/e2e/flow.js';
import { percentile, round } from './stats.js';

const POSTS = 40;
const REOPENS = 5;

type Win = Window & { __bw: { lat: number[]; status: { t: number; relay: string; direct: number }[] } };

/** Records, in the page, each friend post's latency (arrival − author's timestamp) and each status change. */
const recorder = () => {
  const w = window as unknown as Win;
  w.__bw = { lat: [], status: [] };
  document.addEventListener('bw-post', (e) => w.__bw.lat.push(Date.now() - (e as CustomEvent<{ ts: number }>).detail.ts));
  document.addEventListener('bw-status', (e) => w.__bw.status.push({ t: performance.now(), ...(e as CustomEvent<{ relay: string; direct: number }>).detail }));
};

const latencies = (p: Page) => p.evaluate(() => (window as unknown as Win).__bw.lat);

export async function p2pBench(): Promise<Record<string, number>> {
  const relay = await startRelay();
  const browser = await launchChromium();
  try {
    const alice = await openUser(browser, relay.url, 'Alice');
    const bob = await openUser(browser, relay.url, 'Bob');
    const carol = await openUser(browser, `${relay.url}/?direct=off`, 'Carol'); // relay-only friend
    await befriend(alice, bob, 'Alice', 'Bob');
    await acceptInvite(carol, await makeInvite(alice));
    await alice.locator('bw-feed ul[part=friends] li').nth(1).waitFor({ state: 'attached' });
    for (const p of [bob, carol]) await p.evaluate(recorder);

    for (let i = 0; i < POSTS; i++) {
      await post(alice, `bench post ${i}`);
      await Promise.all([bob, carol].map((p) => p.waitForFunction((n) => (window as unknown as Win).__bw.lat.length >= n, i + 1)));
    }
    const direct = await latencies(bob);
    const viaRelay = await latencies(carol);

    // Channel open: Bob's page reopens; from relay login to the channel with Alice being open.
    await bob.context().addInitScript(recorder);
    const opens: number[] = [];
    for (let i = 0; i < REOPENS; i++) {
      await bob.reload();
      await bob.waitForFunction(() => (window as unknown as Win).__bw.status.some((s) => s.direct >= 1));
      opens.push(await bob.evaluate(() => {
        const st = (window as unknown as Win).__bw.status;
        return st.find((s) => s.direct >= 1)!.t - st.find((s) => s.relay === 'connected')!.t;
      }));
    }
    return {
      channel_open_ms: round(percentile(opens, 50), 1),
      post_latency_p2p_p50_ms: percentile(direct, 50),
      post_latency_p2p_p99_ms: percentile(direct, 99),
      post_latency_relay_p50_ms: percentile(viaRelay, 50),
      post_latency_relay_p99_ms: percentile(viaRelay, 99),
    };
  } finally {
    await browser.close();
    await relay.stop();
  }
}
