// Owns the page-weight figures: bytes on the wire for a first and a repeat visit of the relay's page, every asset, measured by Chromium over HTTPS.
import type { CDPSession, Page } from 'playwright-core';
import { launchChromium } from '../test/e2e/browser.js';
import { selfSignedCert, startRelay } from '../test/e2e/relay-process.js';

/** Sums Chromium's encodedDataLength (headers + body as received) for every HTTP response but Socket.IO's. */
async function wireBytes(page: Page, cdp: CDPSession, visit: () => Promise<unknown>): Promise<{ bytes: number; requests: string[] }> {
  const urls = new Map<string, string>();
  let bytes = 0;
  const requests: string[] = [];
  const onResponse = (e: { requestId: string; response: { url: string; status: number } }) => urls.set(e.requestId, `${e.response.status} ${e.response.url}`);
  const onFinished = (e: { requestId: string; encodedDataLength: number }) => {
    const url = urls.get(e.requestId);
    if (!url || url.includes('/socket.io/')) return;
    bytes += e.encodedDataLength;
    requests.push(`${url} ${e.encodedDataLength}`);
  };
  cdp.on('Network.responseReceived', onResponse);
  cdp.on('Network.loadingFinished', onFinished);
  await visit();
  await page.locator('bw-onboarding input[name=name]').waitFor(); // the app has run: every asset is in
  cdp.off('Network.responseReceived', onResponse);
  cdp.off('Network.loadingFinished', onFinished);
  return { bytes, requests };
}

export async function pageLoadBench(): Promise<Record<string, number>> {
  // HTTPS as a browser on another machine needs it (and as browsers only offer brotli over it).
  const tls = selfSignedCert();
  const relay = await startRelay({ args: ['--tls-cert', tls.cert, '--tls-key', tls.key] });
  // Trusted by its key (not merely ignored): Chromium keeps nothing in its HTTP cache from a page with a bad certificate.
  const browser = await launchChromium([`--ignore-certificate-errors-spki-list=${tls.spki}`]);
  try {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    const cdp = await ctx.newCDPSession(page);
    await cdp.send('Network.enable');
    const first = await wireBytes(page, cdp, () => page.goto(relay.url));
    // A repeat visit: the same browser opens the page again (a new navigation, not a forced reload).
    const repeat = await wireBytes(page, cdp, () => page.goto(relay.url));
    process.stderr.write(`  first visit:\n    ${first.requests.join('\n    ')}\n  repeat visit:\n    ${repeat.requests.join('\n    ')}\n`);
    return {
      page_first_load_kb: Number((first.bytes / 1024).toFixed(1)),
      page_repeat_load_kb: Number((repeat.bytes / 1024).toFixed(1)),
    };
  } finally {
    await browser.close();
    await relay.stop();
  }
}
