// The relay's MailboxStore contract, one case table run against every backend (SQLite and PostgreSQL, test/node/store.test.ts):
// per-sender and per-recipient quotas, batches, expiry, acks, allow lists, depth, durability across close and reopen.
import assert from 'node:assert/strict';
import { BwError } from '../../shared/errors.js';
import type { MailboxStore } from '../../signaling/store/store.js';

export interface Quotas {
  queueQuota: number;
  senderQuota: number;
}

/** A backend under test: a fresh, empty store, and a way to open the same storage again after closing it. */
export interface MailboxBackend {
  fresh(quotas?: Quotas): Promise<{ store: MailboxStore; reopen(): Promise<MailboxStore> }>;
}

export interface MailboxCase {
  what: string;
  run(b: MailboxBackend): Promise<void>;
}

/** A 43-char string shaped like a peer id. */
export const key = (name: string) => name.padEnd(42, 'x') + 'A';
const [bob, carol, alice, mallory, eve] = ['bob', 'carol', 'alice', 'mallory', 'eve'].map(key) as [string, string, string, string, string];
const DAY = 24 * 3600 * 1000;
export const row = (to: string, from: string, env: string, expires = Date.now() + DAY) => ({ to, from, env, expires });

type Result = Awaited<ReturnType<MailboxStore['putMany']>>[number];
export const SENDER_FULL = /^you have 3 posts waiting for this recipient; the rest wait until they fetch$/;
export const RECIPIENT_FULL = /^mailbox for this recipient is full \(5 posts\)$/;
/** The quotas every case runs with unless it says otherwise: the messages above name them. */
export const SMALL: Quotas = { queueQuota: 5, senderQuota: 3 };

/** Asserts a put result is a 'quota' refusal whose message matches. */
export function refused(r: Result | undefined, message: RegExp, what: string): void {
  assert.ok(r && 'error' in r, `${what}: expected a 'quota' refusal, got ${JSON.stringify(r)}`);
  assert.ok(r.error instanceof BwError);
  assert.equal(r.error.code, 'quota', what);
  assert.match(r.error.message, message, what);
}

export function stored(r: Result | undefined, what: string): number {
  assert.ok(r && 'id' in r, `${what}: expected it stored, got ${r && 'error' in r ? `'${r.error.code}': ${r.error.message}` : String(r)}`);
  return r.id;
}

/** One putMany of one row, as the relay does per mailbox:put. */
export async function put(store: MailboxStore, to: string, from: string, env: string, expires?: number): Promise<Result | undefined> {
  return (await store.putMany([row(to, from, env, expires)]))[0];
}

export const envs = async (store: MailboxStore, to: string) => (await store.fetch(to, 0, 100, Date.now())).map((i) => i.env);

export const mailboxCases: MailboxCase[] = [
  {
    what: "a sender at its share is refused with its own message, while another sender's post to the same recipient is stored",
    async run(b) {
      const { store } = await b.fresh();
      for (let i = 1; i <= 3; i++) stored(await put(store, bob, mallory, `m${i}`), `mallory's post ${i}`);
      refused(await put(store, bob, mallory, 'm4'), SENDER_FULL, "mallory's 4th post");
      stored(await put(store, bob, alice, 'a1'), "alice's post after mallory hit her share");
      stored(await put(store, carol, mallory, 'c1'), 'the share is per recipient: mallory can still reach carol');
      assert.deepEqual(await envs(store, bob), ['m1', 'm2', 'm3', 'a1'], 'nothing acknowledged was dropped, and the refused post was not stored');
      assert.equal(await store.count(bob, Date.now()), 4);
      await store.close();
    },
  },
  {
    what: 'the recipient quota still applies across senders, with its own message',
    async run(b) {
      const { store } = await b.fresh();
      for (let i = 1; i <= 3; i++) stored(await put(store, bob, mallory, `m${i}`), `mallory's post ${i}`);
      for (let i = 1; i <= 2; i++) stored(await put(store, bob, eve, `e${i}`), `eve's post ${i}`);
      refused(await put(store, bob, alice, 'a1'), RECIPIENT_FULL, "alice's post to bob's full queue (her own share is empty)");
      refused(await put(store, bob, eve, 'e3'), RECIPIENT_FULL, "eve's post, under her share, to bob's full queue");
      refused(await put(store, bob, mallory, 'm4'), SENDER_FULL, 'a sender at its share hears about its share first');
      stored(await put(store, carol, alice, 'a1'), 'another recipient is unaffected');
      assert.deepEqual(await envs(store, bob), ['m1', 'm2', 'm3', 'e1', 'e2']);
      await store.close();
    },
  },
  {
    what: 'rows of one batch count toward the share: a batch over it is cut at exactly the share, in order',
    async run(b) {
      const { store } = await b.fresh({ queueQuota: 100, senderQuota: 3 });
      stored(await put(store, bob, mallory, 'm1'), 'an earlier commit');
      const results = await store.putMany([row(bob, mallory, 'm2'), row(bob, alice, 'a1'), row(bob, mallory, 'm3'), row(bob, mallory, 'm4'), row(bob, alice, 'a2'), row(bob, mallory, 'm5')]);
      assert.equal(results.length, 6, 'one result per row, in row order');
      const ids = [stored(results[0], 'm2'), stored(results[1], 'a1'), stored(results[2], 'm3'), stored(results[4], 'a2')];
      assert.deepEqual([...ids].sort((x, y) => x - y), ids, 'ids follow row order');
      refused(results[3], SENDER_FULL, 'm4, the first row past the share');
      refused(results[5], SENDER_FULL, 'm5');
      assert.deepEqual(await envs(store, bob), ['m1', 'm2', 'a1', 'm3', 'a2']);

      // Separate putMany calls in one turn of the event loop share a group commit, and count the same way.
      const wave = await Promise.all([1, 2, 3, 4, 5].map((i) => store.putMany([row(carol, eve, `e${i}`)])));
      for (let i = 0; i < 3; i++) stored(wave[i]![0], `e${i + 1} of one group commit`);
      for (let i = 3; i < 5; i++) refused(wave[i]![0], SENDER_FULL, `e${i + 1} of one group commit`);
      assert.deepEqual(await envs(store, carol), ['e1', 'e2', 'e3']);

      // The share is per (recipient, sender) pair within a batch as well: one sender to two recipients uses two shares.
      const two = await store.putMany([row(alice, mallory, 'x1'), row(alice, mallory, 'x2'), row(eve, mallory, 'y1'), row(eve, mallory, 'y2')]);
      two.forEach((r, i) => stored(r, `row ${i + 1} of a batch to two recipients`));
      await store.close();
    },
  },
  {
    what: 'rows of one batch count toward the recipient quota too',
    async run(b) {
      const { store } = await b.fresh();
      const results = await store.putMany([row(bob, mallory, 'm1'), row(bob, eve, 'e1'), row(bob, alice, 'a1'), row(bob, carol, 'c1'), row(bob, eve, 'e2'), row(bob, alice, 'a2')]);
      for (let i = 0; i < 5; i++) stored(results[i], `row ${i + 1}`);
      refused(results[5], RECIPIENT_FULL, 'the 6th row of one batch');
      await store.close();
    },
  },
  {
    what: 'in one batch past a full queue, a row names the share only when its sender has that many rows kept',
    async run(b) {
      const { store } = await b.fresh();
      // m1–m3 fill mallory's share and a1–a2 the queue; then every row is refused, each with the limit its sender is at.
      const results = await store.putMany([
        row(bob, mallory, 'm1'), row(bob, mallory, 'm2'), row(bob, alice, 'a1'), row(bob, mallory, 'm3'), row(bob, alice, 'a2'),
        row(bob, alice, 'a3'), row(bob, mallory, 'm4'), row(bob, alice, 'a4'), row(bob, alice, 'a5'), row(bob, eve, 'e1'),
      ]);
      for (const i of [0, 1, 2, 3, 4]) stored(results[i], `row ${i + 1}`);
      refused(results[5], RECIPIENT_FULL, 'a3: alice has 2 kept, under her share');
      refused(results[6], SENDER_FULL, 'm4: mallory has 3 kept, her share');
      // a3 and a4 were refused, not kept: alice is still at 2 of 3, so it is the queue that refuses a5 (not her share).
      refused(results[7], RECIPIENT_FULL, 'a4');
      refused(results[8], RECIPIENT_FULL, 'a5, her 5th row in the batch but her 3rd refused');
      refused(results[9], RECIPIENT_FULL, 'e1');
      assert.deepEqual(await envs(store, bob), ['m1', 'm2', 'a1', 'm3', 'a2']);
      await store.close();
    },
  },
  {
    what: 'expired rows count toward neither quota',
    async run(b) {
      const { store } = await b.fresh();
      const past = Date.now() - 1;
      for (let i = 1; i <= 5; i++) stored(await put(store, bob, mallory, `old${i}`, past), `expired row ${i}, each in its own commit`);
      for (let i = 1; i <= 3; i++) stored(await put(store, bob, mallory, `m${i}`), `mallory's live post ${i}`);
      refused(await put(store, bob, mallory, 'm4'), SENDER_FULL, "mallory's 4th live post");
      for (let i = 1; i <= 2; i++) stored(await put(store, bob, eve, `e${i}`), `eve's live post ${i}`);
      refused(await put(store, bob, eve, 'e3'), RECIPIENT_FULL, "eve's post to a queue of 5 live rows");
      assert.deepEqual(await envs(store, bob), ['m1', 'm2', 'm3', 'e1', 'e2'], 'expired rows are not fetched either');
      assert.equal(await store.purgeExpired(Date.now()), 5);
      await store.close();
    },
  },
  {
    what: "acknowledged rows free the sender's share",
    async run(b) {
      const { store } = await b.fresh();
      for (let i = 1; i <= 3; i++) stored(await put(store, bob, mallory, `m${i}`), `mallory's post ${i}`);
      refused(await put(store, bob, mallory, 'm4'), SENDER_FULL, 'at the share');
      const items = await store.fetch(bob, 0, 2, Date.now());
      assert.equal(await store.ack(carol, items.map((i) => i.id)), 0, "carol cannot ack bob's rows");
      refused(await put(store, bob, mallory, 'm4'), SENDER_FULL, 'still at the share after a foreign ack');
      assert.equal(await store.ack(bob, items.map((i) => i.id)), 2);
      assert.equal(await store.ack(bob, items.map((i) => i.id)), 0, 'an ack of rows already deleted deletes nothing');
      stored(await put(store, bob, mallory, 'm4'), 'first post after the ack');
      stored(await put(store, bob, mallory, 'm5'), 'second post after the ack');
      refused(await put(store, bob, mallory, 'm6'), SENDER_FULL, 'at the share again');
      assert.deepEqual(await envs(store, bob), ['m3', 'm4', 'm5']);
      await store.close();
    },
  },
  {
    what: 'fetch pages by id: after and limit',
    async run(b) {
      const { store } = await b.fresh({ queueQuota: 100, senderQuota: 100 });
      const ids = [];
      for (let i = 1; i <= 5; i++) ids.push(stored(await put(store, bob, alice, `a${i}`), `post ${i}`));
      const first = await store.fetch(bob, 0, 2, Date.now());
      assert.deepEqual(first.map((i) => i.env), ['a1', 'a2']);
      const rest = await store.fetch(bob, first.at(-1)!.id, 10, Date.now());
      assert.deepEqual(rest.map((i) => i.env), ['a3', 'a4', 'a5']);
      assert.deepEqual(rest.map((i) => i.id), ids.slice(2), 'ids are plain numbers, as put returned them');
      assert.ok(rest.every((i) => typeof i.id === 'number' && i.from === alice));
      await store.close();
    },
  },
  {
    what: 'what was acknowledged survives close and reopen, and so does the quota it uses',
    async run(b) {
      const first = await b.fresh();
      const ids = [];
      for (let i = 1; i <= 3; i++) ids.push(stored(await put(first.store, bob, mallory, `m${i}`), `mallory's post ${i}`));
      // A put still waiting for its group commit when the store closes (SIGTERM) is flushed, not lost.
      const pending = first.store.putMany([row(bob, alice, 'a1')]);
      await first.store.close();
      ids.push(stored((await pending)[0], 'the put flushed by close()'));

      const store = await first.reopen();
      assert.deepEqual(await store.fetch(bob, 0, 100, Date.now()), [
        { id: ids[0], from: mallory, env: 'm1' },
        { id: ids[1], from: mallory, env: 'm2' },
        { id: ids[2], from: mallory, env: 'm3' },
        { id: ids[3], from: alice, env: 'a1' },
      ]);
      refused(await put(store, bob, mallory, 'm4'), SENDER_FULL, 'the share is counted from disk after reopening');
      const next = stored(await put(store, bob, alice, 'a2'), "alice's post after reopening");
      assert.ok(next > ids[3]!, 'ids keep increasing across a reopen');
      await store.close();
    },
  },
  {
    what: 'allow lists: replaced whole, kept per recipient, and durable across close and reopen',
    async run(b) {
      const { store, reopen } = await b.fresh();
      assert.equal(await store.isAllowed(bob, 'tag-a'), false, 'nothing is allowed before a list is set');
      await store.setAllowed(bob, ['tag-a', 'tag-b', 'tag-a']);
      await store.setAllowed(carol, ['tag-c']);
      assert.deepEqual([await store.isAllowed(bob, 'tag-a'), await store.isAllowed(bob, 'tag-b'), await store.isAllowed(bob, 'tag-c')], [true, true, false]);
      assert.equal(await store.isAllowed(carol, 'tag-a'), false, "one recipient's list is not another's");
      await store.setAllowed(bob, ['tag-b']); // bob removed a friend
      assert.deepEqual([await store.isAllowed(bob, 'tag-a'), await store.isAllowed(bob, 'tag-b')], [false, true]);
      await store.close();
      const again = await reopen();
      assert.deepEqual([await again.isAllowed(bob, 'tag-a'), await again.isAllowed(bob, 'tag-b'), await again.isAllowed(carol, 'tag-c')], [false, true, true]);
      await again.setAllowed(bob, []);
      assert.equal(await again.isAllowed(bob, 'tag-b'), false, 'an empty list allows no one');
      await again.close();
    },
  },
  {
    what: 'depth: unexpired rows across every mailbox, as the mailbox-depth metric reads it',
    async run(b) {
      const { store } = await b.fresh();
      assert.equal(await store.depth(Date.now()), 0);
      stored(await put(store, bob, alice, 'b1'), 'to bob');
      stored(await put(store, carol, alice, 'c1'), 'to carol');
      stored(await put(store, carol, eve, 'c2', Date.now() + 1000), 'to carol, expiring soon');
      assert.equal(await store.depth(Date.now()), 3);
      assert.equal(await store.depth(Date.now() + 2000), 2, 'an expired row no longer counts, purged or not');
      await store.ack(carol, (await store.fetch(carol, 0, 10, Date.now())).map((i) => i.id));
      assert.equal(await store.depth(Date.now()), 1, 'acknowledged rows are gone');
      await store.close();
    },
  },
];
