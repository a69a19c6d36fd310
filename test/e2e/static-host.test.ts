// End to end: the page served from a plain static host on another origin, pointed at the relay by its setting, talks to the relay and to a friend on the relay's own page — under a CSP that lets it reach nothing else.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { setRelay } from '../../tools/page.js';
import { launchChromium } from './browser.js';
import { startRelay, type RelayProcess } from './relay-process.js';
import { befriend, createIdentity, feedItem, makeInvite, post, reopen } from './flow.js';

let relay: RelayProcess;
let browser: Browser;
let host: Server;
let other: Server;

/** A static host that knows nothing of BrainWaves: it serves dist/'s files as they are, with no special headers. */
function staticHost(files: Map<string, Buffer>): Server {
  const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };
  return createServer((req, res) => {
    const name = req.url === '/' ? 'index.html' : (req.url ?? '').slice(1);
    const body = files.get(name);
    if (!body) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': types[extname(name)] ?? 'application/octet-stream' }).end(body);
  });
}
const listen = async (s: Server) => {
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return (s.address() as AddressInfo).port;
};

before(async () => {
  relay = await startRelay();
  browser = await launchChromium();
  const files = new Map(readdirSync('dist').map((n) => [n, readFileSync(join('dist', n))]));
  files.set('index.html', Buffer.from(setRelay(files.get('index.html')!.toString(), relay.url)));
  host = staticHost(files);
  other = createServer((_, res) => res.writeHead(200, { 'access-control-allow-origin': '*' }).end('leaked'));
});
after(async () => {
  await browser?.close();
  await relay?.stop();
  host?.close();
  other?.close();
});

/** A new user at `url`, with every Content-Security-Policy violation its pages report from the first byte. */
async function openWatched(url: string, name: string): Promise<{ page: Page; csp: string[] }> {
  const ctx = await browser.newContext();
  const csp: string[] = [];
  ctx.on('console', (m) => /Content Security Policy/.test(m.text()) && csp.push(m.text()));
  return { page: await createIdentity(await reopen(ctx, url, name), name), csp };
}

test('a page on a static host reaches its relay, befriends and gets posts; it can connect nowhere else', { timeout: 90_000 }, async () => {
  const hostUrl = `http://localhost:${await listen(host)}/`; // another origin than the relay's 127.0.0.1
  const otherUrl = `http://127.0.0.1:${await listen(other)}/`;
  const { page: erin, csp: erinCsp } = await openWatched(hostUrl, 'Erin');
  const { page: frank, csp: frankCsp } = await openWatched(relay.url, 'Frank'); // the relay's own page, under its CSP header
  const link = await makeInvite(erin);
  assert.ok(link?.startsWith(`${hostUrl}#invite=`), `invite links open the static host's page, got ${link}`);

  await befriend(erin, frank, 'Erin', 'Frank');
  const body = `from the static host ${Date.now()}`;
  await post(erin, body);
  await feedItem(frank, body).waitFor();

  // The CSP allows the relay and nothing else: a script in the page cannot send anything to another server.
  for (const page of [erin, frank]) {
    const leak = await page.evaluate((u) => fetch(u).then(() => 'sent', () => 'blocked'), otherUrl);
    assert.equal(leak, 'blocked', 'connect-src must stop a request to another origin');
  }
  assert.ok(erinCsp.some((m) => m.includes(otherUrl.slice(0, -1))) && frankCsp.some((m) => m.includes(otherUrl.slice(0, -1))), 'the block was the CSP');
  const unexpected = [...erinCsp, ...frankCsp].filter((m) => !m.includes(otherUrl.slice(0, -1)));
  assert.deepEqual(unexpected, [], 'the app itself needs nothing the CSP forbids');
});
