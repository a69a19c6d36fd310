// Owns the offline-first figure: time from navigation to the first post painted, with 10,000 posts in IndexedDB.
import { launchChromium } from '../test/e2e/browser.js';
import { startRelay } from '../test/e2e/relay-process.js';
import { openUser } from '../test/e2e/flow.js';
import { percentile, round } from './stats.js';

const POSTS = 10_000;
const RUNS = 5;

type Win = Window & { __firstPost?: number };

/** Polls each frame for the first rendered post inside <bw-feed>'s shadow roots; records ms since navigation. */
const watchFirstPaint = () => {
  const tick = () => {
    const li = document.querySelector('bw-feed')?.shadowRoot?.querySelector('bw-post-list')?.shadowRoot?.querySelector('li');
    if (li) (window as unknown as Win).__firstPost = performance.now();
    else requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
};

export async function feedBench(): Promise<Record<string, number>> {
  const relay = await startRelay();
  const browser = await launchChromium();
  try {
    const page = await openUser(browser, relay.url, 'Reader');
    // Fill the store through IndexedDB directly (the app's schema: posts keyed by [author+seq]).
    await page.evaluate((n) => new Promise<void>((resolve, reject) => {
      const req = indexedDB.open('brainwaves:default');
      req.onerror = () => reject(req.error);
      req.onsuccess = () => {
        const tx = req.result.transaction('posts', 'readwrite');
        const store = tx.objectStore('posts');
        const t0 = Date.now() - n * 60_000;
        for (let i = 1; i <= n; i++) {
          store.put({ author: `friend${i % 50}`.padEnd(43, 'A'), seq: i, ts: t0 + i * 60_000, body: `stored post ${i} `.padEnd(140, '·'), via: 'p2p', received: t0 + i * 60_000 });
        }
        tx.oncomplete = () => {
          req.result.close();
          resolve();
        };
        tx.onerror = () => reject(tx.error);
      };
    }), POSTS);
    await page.context().addInitScript(watchFirstPaint);
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      await page.reload();
      await page.waitForFunction(() => (window as unknown as Win).__firstPost !== undefined);
      times.push(await page.evaluate(() => (window as unknown as Win).__firstPost!));
    }
    return { feed_first_paint_10k_ms: round(percentile(times, 50), 1) };
  } finally {
    await browser.close();
    await relay.stop();
  }
}
