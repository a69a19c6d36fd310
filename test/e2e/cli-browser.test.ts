// End to end: `bw` in a terminal and a real Chromium page, through the real relay: posts both ways, key backups that
// move one identity from the browser to the terminal and back, a terminal linked as the page user's second device, and
// a tampered device list from the terminal friend refused by the page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { relayAndBrowser } from './fixture.js';
import { feedItem, friendRow, makeInvite, openUser, post, reopen, openTab } from './flow.js';
import { bwUser, type BwResult } from '../node/cli-harness.js';
import { openSqliteStore } from '../../cli/sqlite-store.js';
import { fromB64u, toB64u } from '../../shared/bytes.js';
import { peerId } from '../../shared/crypto/identity.js';
import { newItemId, signItem } from '../../shared/crypto/content.js';
import { addDevice, decodeDeviceList, deviceEntry, generateDevice } from '../../shared/crypto/devices.js';

const PASS = 'correct horse battery staple';
const ok = (r: BwResult, what: string) => assert.equal(r.code, 0, `${what}: exit ${r.code}\n${r.stderr}`);

const e2e = relayAndBrowser();

test('bw ↔ a Chromium page: posts go both ways; the page shows the terminal friend’s post as received via the relay', { timeout: 120_000 }, async () => {
  const { relay, browser } = e2e;
  const alice = await openUser(browser, relay.url, 'Alice');
  const tess = bwUser(relay.url, PASS);
  ok(await tess.run(['init', 'Tess']), 'init');
  ok(await tess.run(['accept', await makeInvite(alice)]), 'accept the page’s invite');
  await friendRow(alice, 'Tess').waitFor({ state: 'attached' });

  const fromTerminal = `from the terminal ${Date.now()}`;
  ok(await tess.run(['post', fromTerminal]), 'post');
  const item = feedItem(alice, fromTerminal);
  await item.waitFor();
  assert.equal(await item.getAttribute('data-via'), 'relay');
  assert.match((await item.locator('[part=author]').textContent()) ?? '', /Tess/);
  assert.match((await item.locator('[part=meta]').textContent()) ?? '', /received via relay/);

  const fromPage = `from the page ${Date.now()}`;
  await post(alice, fromPage);
  // The terminal is offline now: the page's copy waits on the relay (never a data channel with a terminal).
  await feedItem(alice, fromPage).filter({ hasText: 'waiting on relay' }).waitFor();
  const feed = await tess.run(['feed', '--json']);
  ok(feed, 'feed');
  const got = feed.json.find((p) => p.body === fromPage);
  assert.ok(got, `the terminal's feed has the page's post: ${feed.stdout}`);
  assert.equal(got.name, 'Alice');
  assert.equal(got.via, 'relay');
});

test('never online together: bw accepts the invite of a closed page; the page finds the request when it reopens', { timeout: 120_000 }, async () => {
  const { relay, browser } = e2e;
  const page = await openUser(browser, relay.url, 'Pam');
  const code = await makeInvite(page);
  const ctx = page.context();
  await page.close(); // the tab is gone: Pam is offline

  const tom = bwUser(relay.url, PASS);
  ok(await tom.run(['init', 'Tom']), 'init');
  const acc = await tom.run(['accept', code, '--json']);
  ok(acc, 'accept');
  assert.equal(acc.json[0].delivered, false, 'Pam was not online');

  const again = await reopen(ctx, relay.url, 'Pam');
  await friendRow(again, 'Tom').waitFor({ state: 'attached' });
  const hello = `welcome, Tom ${Date.now()}`;
  await post(again, hello);
  await feedItem(again, hello).filter({ hasText: 'waiting on relay' }).waitFor();
  const feed = await tom.run(['feed', '--json']);
  assert.ok(feed.json.some((p) => p.body === hello && p.name === 'Pam'), feed.stdout);
});

test('a backup made in the browser imports in bw, and one made in bw restores in the browser', { timeout: 120_000 }, async () => {
  const { relay, browser } = e2e;
  // Browser → terminal.
  const dee = await openUser(browser, relay.url, 'Dee');
  const deeFingerprint = await dee.locator('bw-feed [part=me] code').textContent();
  await openTab(dee, 'profile');
  await dee.locator('bw-feed details', { hasText: 'Key backup' }).locator('summary').click();
  await dee.locator('bw-backup input[name=passphrase]').fill(PASS);
  await dee.locator('bw-backup button[name=export]').click();
  const text = await dee.locator('bw-backup textarea[name=backup]').inputValue();
  const term = bwUser(relay.url, PASS);
  const file = join(term.home, 'from-browser.txt');
  writeFileSync(file, text);
  const imported = await term.run(['backup', 'import', file, '--json']);
  ok(imported, 'import');
  assert.equal(imported.json[0].name, 'Dee');
  assert.equal(imported.json[0].fingerprint, deeFingerprint, 'the same identity');
  const wrong = await bwUser(relay.url, 'not the passphrase').run(['backup', 'import', file]);
  assert.equal(wrong.code, 3);
  assert.match(wrong.stderr, /wrong passphrase/);

  // Terminal → browser.
  const ed = bwUser(relay.url, PASS);
  const made = await ed.run(['init', 'Ed', '--json']);
  ok(made, 'init');
  const out = join(ed.home, 'ed.backup');
  ok(await ed.run(['backup', 'export', out]), 'export');
  const page = await reopen(await browser.newContext(), relay.url, 'Ed');
  await page.locator('bw-onboarding summary', { hasText: 'Restore' }).click();
  await page.locator('bw-onboarding textarea[name=backup]').fill(readFileSync(out, 'utf8'));
  await page.locator('bw-onboarding input[name=passphrase]').fill(PASS);
  await page.locator('bw-onboarding button[name=import]').click();
  await page.locator('bw-feed [part=me]', { hasText: 'Ed' }).waitFor({ state: 'attached' }); // in the Profile section
  assert.equal(await page.locator('bw-feed [part=me] code').textContent(), made.json[0].fingerprint);
});

test('a forged device list is refused: a friend’s next list naming a device their identity never signed for changes nothing in the page, and their later posts still arrive', { timeout: 120_000 }, async () => {
  const { relay, browser } = e2e;
  const ann = await openUser(browser, relay.url, 'Ann');
  const refused = new Promise<string>((resolve) => ann.on('console', (m) => m.text().includes('bad-signature') && resolve(m.text())));
  const mal = bwUser(relay.url, PASS);
  ok(await mal.run(['init', 'Mal']), 'init');
  ok(await mal.run(['accept', await makeInvite(ann)]), 'accept the page’s invite');
  await friendRow(ann, 'Mal').waitFor({ state: 'attached' });
  ok(await mal.run(['feed']), 'feed'); // mutual: Mal's first list goes to Ann
  await openTab(ann, 'friends');
  const malsDevices = friendRow(ann, 'Mal').locator('ul.devices li');
  await malsDevices.first().waitFor({ state: 'attached' });
  assert.equal(await malsDevices.count(), 1);

  // Mal's next list, as a meddler would make it: one more device ("the relay's"), the list's signature not Mal's
  // identity's, inside an item Mal signs. Mal's terminal sends it to Ann at its next login.
  const store = openSqliteStore({ dataDir: mal.home, passphrase: () => PASS });
  const me = (await store.getIdentity())!;
  const held = (await store.getItem(`${peerId(me.sigPub)}:devices`))!;
  const now = Date.now();
  const next = addDevice(me, decodeDeviceList(fromB64u(held.list!, 'list')), deviceEntry(me.sigPub, generateDevice(), 'Relay’s device', now), now);
  const forged = next.bytes.slice();
  forged[forged.length - 1]! ^= 1;
  const item = signItem(me, { kind: 'devices', id: newItemId(), ts: now, list: toB64u(forged) });
  await store.putItem({ ...held, id: item.item.id, ts: now, signed: toB64u(item.bytes), list: toB64u(forged) });
  store.close();
  ok(await mal.run(['feed']), 'Mal logs in');

  assert.match(await refused, /bad-signature/, 'the page refused it by name');
  assert.equal(await malsDevices.count(), 1, 'the list Ann holds stays');
  assert.ok(!(await malsDevices.allTextContents()).some((t) => t.includes('Relay')));
  assert.equal(await friendRow(ann, 'Mal').locator('[part=device-notice]').count(), 0, 'no “added a device” notice');
  const later = `still Mal ${now}`;
  ok(await mal.run(['post', later]), 'post');
  await openTab(ann, 'home');
  await feedItem(ann, later).waitFor();
});

test('a bw terminal links as the page user’s device: one short code on both, it gets her friend and posts, reads his new ones and posts as her', { timeout: 150_000 }, async () => {
  const { relay, browser } = e2e;
  const ann = await openUser(browser, relay.url, 'Ann');
  const bob = bwUser(relay.url, PASS);
  ok(await bob.run(['init', 'Bob']), 'init');
  ok(await bob.run(['accept', await makeInvite(ann)]), 'accept the page’s invite');
  await friendRow(ann, 'Bob').waitFor({ state: 'attached' });
  await post(ann, 'from the page, before the link');

  const term = bwUser(relay.url, PASS);
  const linking = term.spawn(['link', '--name', 'Ann’s terminal', '--json']);
  const { code } = await linking.line((o) => typeof o.code === 'string');
  await openTab(ann, 'profile');
  await ann.locator('bw-feed details[name=devices] > summary').click();
  await ann.getByRole('textbox', { name: 'Link a device: paste its code' }).fill(code);
  await ann.getByRole('button', { name: 'Link a device' }).click();
  const onTerminal = await linking.line((o) => typeof o.sas === 'string');
  assert.equal((await ann.locator('bw-devices [part=sas]').textContent())!.trim(), onTerminal.sas, 'both show one code');
  await ann.getByRole('button', { name: 'The codes match: link it' }).click();
  const linked = await linking.done;
  ok(linked, 'link');
  assert.deepEqual([linked.json.at(-1).name, linked.json.at(-1).friends], ['Ann', 1], 'the terminal is Ann, with her friend');
  await ann.getByRole('list', { name: 'My devices' }).getByText('Ann’s terminal').waitFor();

  ok(await bob.run(['post', 'hello, all of Ann']), 'Bob posts');
  await openTab(ann, 'home');
  await feedItem(ann, 'hello, all of Ann').waitFor();
  const feed = await term.run(['feed', '--json']);
  ok(feed, 'the terminal’s feed');
  assert.ok(feed.json.some((p) => p.body === 'hello, all of Ann' && p.name === 'Bob'), `the terminal reads Bob: ${feed.stdout}`);
  assert.ok(feed.json.some((p) => p.body === 'from the page, before the link'), 'the page’s posts came with the link');
  ok(await term.run(['post', 'from Ann’s terminal']), 'the terminal posts');
  await feedItem(ann, 'from Ann’s terminal').waitFor();
  const bobs = await bob.run(['feed', '--json']);
  assert.ok(bobs.json.some((p) => p.body === 'from Ann’s terminal' && p.name === 'Ann'), `Bob sees it as Ann’s: ${bobs.stdout}`);
});
