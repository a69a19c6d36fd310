// The SQLite mailbox store on its own, on a real database file: per-sender and per-recipient quotas, expiry, acks, durability.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { BwError } from '../../shared/errors.js';
import { openSqliteStore, type SqliteOptions } from '../../signaling/store/sqlite.js';
import type { MailboxStore } from '../../signaling/store/store.js';
import { tempDir } from '../temp.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A fresh directory per test, removed when the file ends. */
function freshDir(): string {
  const d = tempDir('bw-store-test');
  dirs.push(d);
  return d;
}

const SMALL = { queueQuota: 5, senderQuota: 3 };
function open(dataDir = freshDir(), quotas: Omit<SqliteOptions, 'dataDir'> = SMALL): { store: MailboxStore; dataDir: string } {
  return { store: openSqliteStore({ dataDir, ...quotas }), dataDir };
}

/** A 43-char string shaped like a peer id. */
const key = (name: string) => name.padEnd(42, 'x') + 'A';
const [bob, carol, alice, mallory, eve] = ['bob', 'carol', 'alice', 'mallory', 'eve'].map(key) as [string, string, string, string, string];
const DAY = 24 * 3600 * 1000;
const row = (to: string, from: string, env: string, expires = Date.now() + DAY) => ({ to, from, env, expires });

type Result = Awaited<ReturnType<MailboxStore['putMany']>>[number];
const SENDER_FULL = /^you have 3 posts waiting for this recipient; the rest wait until they fetch$/;
const RECIPIENT_FULL = /^mailbox for this recipient is full \(5 posts\)$/;

/** Asserts a put result is a 'quota' refusal whose message matches. */
function refused(r: Result | undefined, message: RegExp, what: string): void {
  assert.ok(r && 'error' in r, `${what}: expected a 'quota' refusal, got ${JSON.stringify(r)}`);
  assert.ok(r.error instanceof BwError);
  assert.equal(r.error.code, 'quota', what);
  assert.match(r.error.message, message, what);
}

function stored(r: Result | undefined, what: string): number {
  assert.ok(r && 'id' in r, `${what}: expected it stored, got ${r && 'error' in r ? `'${r.error.code}': ${r.error.message}` : String(r)}`);
  return r.id;
}

/** One putMany of one row, as the relay does per mailbox:put. */
async function put(store: MailboxStore, to: string, from: string, env: string, expires?: number): Promise<Result | undefined> {
  return (await store.putMany([row(to, from, env, expires)]))[0];
}

const envs = (store: MailboxStore, to: string) => store.fetch(to, 0, 100, Date.now()).map((i) => i.env);

test("a sender at its share is refused with its own message, while another sender's post to the same recipient is stored", async () => {
  const { store } = open();
  for (let i = 1; i <= 3; i++) stored(await put(store, bob, mallory, `m${i}`), `mallory's post ${i}`);
  refused(await put(store, bob, mallory, 'm4'), SENDER_FULL, "mallory's 4th post");
  stored(await put(store, bob, alice, 'a1'), "alice's post after mallory hit her share");
  stored(await put(store, carol, mallory, 'c1'), 'the share is per recipient: mallory can still reach carol');
  assert.deepEqual(envs(store, bob), ['m1', 'm2', 'm3', 'a1'], 'nothing acknowledged was dropped, and the refused post was not stored');
  assert.equal(store.count(bob, Date.now()), 4);
  store.close();
});

test('the recipient quota still applies across senders, with its own message', async () => {
  const { store } = open();
  for (let i = 1; i <= 3; i++) stored(await put(store, bob, mallory, `m${i}`), `mallory's post ${i}`);
  for (let i = 1; i <= 2; i++) stored(await put(store, bob, eve, `e${i}`), `eve's post ${i}`);
  refused(await put(store, bob, alice, 'a1'), RECIPIENT_FULL, "alice's post to bob's full queue (her own share is empty)");
  refused(await put(store, bob, eve, 'e3'), RECIPIENT_FULL, "eve's post, under her share, to bob's full queue");
  refused(await put(store, bob, mallory, 'm4'), SENDER_FULL, 'a sender at its share hears about its share first');
  stored(await put(store, carol, alice, 'a1'), 'another recipient is unaffected');
  assert.deepEqual(envs(store, bob), ['m1', 'm2', 'm3', 'e1', 'e2']);
  store.close();
});

test('rows of one batch count toward the share: a batch over it is cut at exactly the share, in order', async () => {
  const { store } = open(undefined, { queueQuota: 100, senderQuota: 3 });
  stored(await put(store, bob, mallory, 'm1'), 'an earlier commit');
  const results = await store.putMany([row(bob, mallory, 'm2'), row(bob, alice, 'a1'), row(bob, mallory, 'm3'), row(bob, mallory, 'm4'), row(bob, alice, 'a2'), row(bob, mallory, 'm5')]);
  assert.equal(results.length, 6, 'one result per row, in row order');
  const ids = [stored(results[0], 'm2'), stored(results[1], 'a1'), stored(results[2], 'm3'), stored(results[4], 'a2')];
  assert.deepEqual([...ids].sort((x, y) => x - y), ids, 'ids follow row order');
  refused(results[3], SENDER_FULL, 'm4, the first row past the share');
  refused(results[5], SENDER_FULL, 'm5');
  assert.deepEqual(envs(store, bob), ['m1', 'm2', 'a1', 'm3', 'a2']);

  // Separate putMany calls in one turn of the event loop share a group commit, and count the same way.
  const wave = await Promise.all([1, 2, 3, 4, 5].map((i) => store.putMany([row(carol, eve, `e${i}`)])));
  for (let i = 0; i < 3; i++) stored(wave[i]![0], `e${i + 1} of one group commit`);
  for (let i = 3; i < 5; i++) refused(wave[i]![0], SENDER_FULL, `e${i + 1} of one group commit`);
  assert.deepEqual(envs(store, carol), ['e1', 'e2', 'e3']);

  // The share is per (recipient, sender) pair within a batch as well: one sender to two recipients uses two shares.
  const two = await store.putMany([row(alice, mallory, 'x1'), row(alice, mallory, 'x2'), row(eve, mallory, 'y1'), row(eve, mallory, 'y2')]);
  two.forEach((r, i) => stored(r, `row ${i + 1} of a batch to two recipients`));
  store.close();
});

test('rows of one batch count toward the recipient quota too', async () => {
  const { store } = open();
  const results = await store.putMany([row(bob, mallory, 'm1'), row(bob, eve, 'e1'), row(bob, alice, 'a1'), row(bob, carol, 'c1'), row(bob, eve, 'e2'), row(bob, alice, 'a2')]);
  for (let i = 0; i < 5; i++) stored(results[i], `row ${i + 1}`);
  refused(results[5], RECIPIENT_FULL, 'the 6th row of one batch');
  store.close();
});

test('expired rows count toward neither quota', async () => {
  const { store } = open();
  const past = Date.now() - 1;
  for (let i = 1; i <= 5; i++) stored(await put(store, bob, mallory, `old${i}`, past), `expired row ${i}, each in its own commit`);
  for (let i = 1; i <= 3; i++) stored(await put(store, bob, mallory, `m${i}`), `mallory's live post ${i}`);
  refused(await put(store, bob, mallory, 'm4'), SENDER_FULL, "mallory's 4th live post");
  for (let i = 1; i <= 2; i++) stored(await put(store, bob, eve, `e${i}`), `eve's live post ${i}`);
  refused(await put(store, bob, eve, 'e3'), RECIPIENT_FULL, "eve's post to a queue of 5 live rows");
  assert.deepEqual(envs(store, bob), ['m1', 'm2', 'm3', 'e1', 'e2'], 'expired rows are not fetched either');
  assert.equal(store.purgeExpired(Date.now()), 5);
  store.close();
});

test("acknowledged rows free the sender's share", async () => {
  const { store } = open();
  for (let i = 1; i <= 3; i++) stored(await put(store, bob, mallory, `m${i}`), `mallory's post ${i}`);
  refused(await put(store, bob, mallory, 'm4'), SENDER_FULL, 'at the share');
  const items = store.fetch(bob, 0, 2, Date.now());
  assert.equal(store.ack(carol, items.map((i) => i.id)), 0, "carol cannot ack bob's rows");
  refused(await put(store, bob, mallory, 'm4'), SENDER_FULL, 'still at the share after a foreign ack');
  assert.equal(store.ack(bob, items.map((i) => i.id)), 2);
  stored(await put(store, bob, mallory, 'm4'), 'first post after the ack');
  stored(await put(store, bob, mallory, 'm5'), 'second post after the ack');
  refused(await put(store, bob, mallory, 'm6'), SENDER_FULL, 'at the share again');
  assert.deepEqual(envs(store, bob), ['m3', 'm4', 'm5']);
  store.close();
});

test('what was acknowledged survives close and reopen, and so does the quota it uses', async () => {
  const first = open();
  const ids = [];
  for (let i = 1; i <= 3; i++) ids.push(stored(await put(first.store, bob, mallory, `m${i}`), `mallory's post ${i}`));
  // A put still waiting for its group commit when the store closes (SIGTERM) is flushed, not lost.
  const pending = first.store.putMany([row(bob, alice, 'a1')]);
  first.store.close();
  ids.push(stored((await pending)[0], 'the put flushed by close()'));

  const { store } = open(first.dataDir);
  assert.deepEqual(store.fetch(bob, 0, 100, Date.now()), [
    { id: ids[0], from: mallory, env: 'm1' },
    { id: ids[1], from: mallory, env: 'm2' },
    { id: ids[2], from: mallory, env: 'm3' },
    { id: ids[3], from: alice, env: 'a1' },
  ]);
  refused(await put(store, bob, mallory, 'm4'), SENDER_FULL, 'the share is counted from disk after reopening');
  const next = stored(await put(store, bob, alice, 'a2'), "alice's post after reopening");
  assert.ok(next > ids[3]!, 'ids keep increasing across a reopen');
  store.close();
});

test('a database made before the per-sender index opens, gains the index, and counts its rows', async () => {
  const dataDir = freshDir();
  const old = new Database(join(dataDir, 'mailbox.db'));
  old.exec(`
    CREATE TABLE mailbox (id INTEGER PRIMARY KEY AUTOINCREMENT, recipient TEXT NOT NULL, sender TEXT NOT NULL, env TEXT NOT NULL, expires INTEGER NOT NULL);
    CREATE INDEX mailbox_by_recipient ON mailbox (recipient, id);
    CREATE INDEX mailbox_by_expiry ON mailbox (expires);
  `);
  const insert = old.prepare('INSERT INTO mailbox (recipient, sender, env, expires) VALUES (?, ?, ?, ?)');
  for (let i = 1; i <= 3; i++) insert.run(bob, mallory, `m${i}`, Date.now() + DAY);
  old.close();

  const { store } = open(dataDir);
  refused(await put(store, bob, mallory, 'm4'), SENDER_FULL, 'rows written before the upgrade count');
  stored(await put(store, bob, alice, 'a1'), "alice's post");
  assert.deepEqual(envs(store, bob), ['m1', 'm2', 'm3', 'a1']);
  store.close();
  const check = new Database(join(dataDir, 'mailbox.db'), { readonly: true });
  const indexes = check.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'mailbox'").all() as { name: string }[];
  check.close();
  assert.ok(indexes.some((i) => i.name === 'mailbox_by_sender'), `indexes: ${indexes.map((i) => i.name).join(', ')}`);
});

test('allow lists: replaced whole, kept per recipient, and durable across close and reopen', () => {
  const { store, dataDir } = open();
  assert.equal(store.isAllowed(bob, 'tag-a'), false, 'nothing is allowed before a list is set');
  store.setAllowed(bob, ['tag-a', 'tag-b', 'tag-a']);
  store.setAllowed(carol, ['tag-c']);
  assert.deepEqual([store.isAllowed(bob, 'tag-a'), store.isAllowed(bob, 'tag-b'), store.isAllowed(bob, 'tag-c')], [true, true, false]);
  assert.equal(store.isAllowed(carol, 'tag-a'), false, "one recipient's list is not another's");
  store.setAllowed(bob, ['tag-b']); // bob removed a friend
  assert.deepEqual([store.isAllowed(bob, 'tag-a'), store.isAllowed(bob, 'tag-b')], [false, true]);
  store.close();
  const again = open(dataDir).store;
  assert.deepEqual([again.isAllowed(bob, 'tag-a'), again.isAllowed(bob, 'tag-b'), again.isAllowed(carol, 'tag-c')], [false, true, true]);
  again.setAllowed(bob, []);
  assert.equal(again.isAllowed(bob, 'tag-b'), false, 'an empty list allows no one');
  again.close();
});

test('depth: unexpired rows across every mailbox, as the mailbox-depth metric reads it', async () => {
  const { store } = open();
  assert.equal(store.depth(Date.now()), 0);
  stored(await put(store, bob, alice, 'b1'), 'to bob');
  stored(await put(store, carol, alice, 'c1'), 'to carol');
  stored(await put(store, carol, eve, 'c2', Date.now() + 1000), 'to carol, expiring soon');
  assert.equal(store.depth(Date.now()), 3);
  assert.equal(store.depth(Date.now() + 2000), 2, 'an expired row no longer counts, purged or not');
  store.ack(carol, store.fetch(carol, 0, 10, Date.now()).map((i) => i.id));
  assert.equal(store.depth(Date.now()), 1, 'acknowledged rows are gone');
  store.close();
});
