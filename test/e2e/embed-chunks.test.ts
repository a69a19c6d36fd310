// End to end: the <bw-feed> embed from one script tag on a foreign page, its code on a third origin, loads its lazy network chunk from there and goes online, and its QR code chunk when it draws one; a chunk whose bytes differ from the build's is refused (the snippet's SRI hash pins it through the entry).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sri } from '../../tools/page.js';
import { relayAndBrowser } from './fixture.js';
import { openUser, reopen } from './flow.js';

const servers: Server[] = [];

const listen = async (s: Server, host: string) => {
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `http://${host}:${(s.address() as AddressInfo).port}`;
};

/** dist/'s files as a CDN would serve them to other sites (CORS), `change` applied to each; every path asked for is logged. */
async function codeHost(change: (name: string, body: Buffer) => Buffer, asked: string[]): Promise<string> {
  const files = new Map(readdirSync('dist').map((n) => [n, change(n, readFileSync(join('dist', n)))]));
  return listen(
    createServer((req, res) => {
      const name = (req.url ?? '').slice(1);
      asked.push(name);
      const body = files.get(name);
      if (!body) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'text/javascript', 'access-control-allow-origin': '*' }).end(body);
    }),
    '127.0.0.1',
  );
}

/** The host site: the snippet `npm run build` prints, the embed's code from `code`, talking to the relay. */
async function hostSite(code: string): Promise<string> {
  const embed = readdirSync('dist').find((n) => /^bw-feed\.[\w-]{8,}\.js$/.test(n))!;
  const html = readFileSync(new URL('../../../test/e2e/host.html', import.meta.url), 'utf8')
    .replace('RELAY/EMBED', `${code}/${embed}`)
    .replaceAll('RELAY', e2e.relay.url)
    .replace('INTEGRITY', sri(readFileSync(join('dist', embed))));
  return listen(createServer((_, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(html)), 'localhost');
}

const chunk = readdirSync('dist').find((n) => /^net-libs\.[\w-]{8,}\.js$/.test(n));
const qrChunk = readdirSync('dist').find((n) => /^qr-libs\.[\w-]{8,}\.js$/.test(n));

const e2e = relayAndBrowser();
after(() => {
  for (const s of servers) s.close();
});

test('the embed loads its network chunk from its code origin after the feed, and goes online', { timeout: 60_000 }, async () => {
  const { relay, browser } = e2e;
  assert.ok(chunk, 'the build splits the network libraries into a net-libs.<hash>.js chunk');
  const asked: string[] = [];
  const site = await hostSite(await codeHost((_n, b) => b, asked));
  await openUser(browser, `${site}/`, 'Fay'); // waits for bw-feed[data-relay=connected]
  assert.deepEqual(asked.filter((n) => n.endsWith('.js')).sort(), [readdirSync('dist').find((n) => /^bw-feed\.[\w-]{8,}\.js$/.test(n))!, chunk].sort(), 'the entry, then its chunk, each once');
});

test('a network chunk with other bytes than the build pinned is refused: the feed shows offline and says why', { timeout: 60_000 }, async () => {
  const { relay, browser } = e2e;
  const asked: string[] = [];
  const tampered = await codeHost((n, b) => (n === chunk ? Buffer.concat([b, Buffer.from('\n;globalThis.tampered=1;')]) : b), asked);
  const page = await reopen(await browser.newContext(), `${await hostSite(tampered)}/`, 'Gus');
  await page.getByRole('textbox', { name: 'Display name' }).fill('Gus');
  await page.getByRole('button', { name: 'Create my identity' }).click();
  await page.locator('bw-feed[data-relay=offline]').waitFor();
  await page.locator('bw-feed .status .error', { hasText: 'SRI' }).waitFor();
  assert.ok(asked.includes(chunk!), 'the chunk was asked for');
  assert.equal(await page.evaluate(() => (globalThis as { tampered?: number }).tampered), undefined, 'the altered chunk never ran');
});

test('the QR code generator is a pinned chunk too: the embed draws a link code’s QR code from it as built, and never runs it when its bytes differ', { timeout: 60_000 }, async () => {
  const { browser } = e2e;
  assert.ok(qrChunk, 'the build splits the QR code generator into a qr-libs.<hash>.js chunk');
  for (const tamper of [false, true]) {
    const asked: string[] = [];
    const code = await codeHost((n, b) => (tamper && n === qrChunk ? Buffer.concat([b, Buffer.from('\n;globalThis.tampered=1;')]) : b), asked);
    const page = await reopen(await browser.newContext(), `${await hostSite(code)}/`, 'Quin');
    const refused = tamper ? page.waitForEvent('console', (m) => m.type() === 'error' && m.text().includes('SRI')) : undefined;
    assert.ok(!asked.includes(qrChunk!), 'not fetched before a QR code is drawn');
    await page.locator('bw-feed summary', { hasText: 'Link to an account I already have' }).click();
    await page.getByRole('button', { name: 'Show a link code' }).click();
    await page.getByRole('textbox', { name: 'Link code' }).waitFor();
    if (!tamper) {
      await page.getByRole('img', { name: 'QR code of this device\'s link code' }).waitFor();
      assert.equal(asked.filter((n) => n === qrChunk).length, 1, 'fetched once, from beside the entry');
      continue;
    }
    await refused;
    assert.equal(await page.getByRole('img', { name: 'QR code of this device\'s link code' }).count(), 0, 'no QR code from altered bytes');
    assert.equal(await page.evaluate(() => (globalThis as { tampered?: number }).tampered), undefined, 'the altered chunk never ran');
  }
});
