// Live delivery's store work: a send writes once before it leaves, a received post is stored once and shown without a state build, and nothing is acked before it is stored; what the data channel carries to a device being linked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClientStore } from '../../client/core/ports.js';
import type { Ctx } from '../../client/core/context.js';
import { sendChannel } from '../../client/core/delivery.js';
import { memoryStore } from '../cases/memory-store.js';
import { FakeRelay } from './fake-relay.js';
import { coreUser, online, type CoreUser as User } from './core-harness.js';

const WRITES = /^(put|edit|add|set|delete|revoke)/;

/** The store with every call logged by method name into `log` (while `log.on`); `hold` makes the named method wait for a release. */
function watched(store: ClientStore, log: string[] & { on?: boolean }, hold?: { methods: string[]; until: Promise<void> }): ClientStore {
  return new Proxy(store, {
    get(target, prop, recv) {
      const v = Reflect.get(target, prop, recv) as unknown;
      if (typeof v !== 'function' || typeof prop !== 'string') return v;
      return async (...args: unknown[]) => {
        if (log.on) log.push(prop);
        if (hold?.methods.includes(prop)) await hold.until;
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

const user = (relay: FakeRelay, store: ClientStore): User => coreUser(relay, { store });

/** Ann and Bob, friends both ways (Bob has taken one post of Ann's, so he holds her as mutual), everything settled. */
async function pair(relay: FakeRelay, annStore: ClientStore, bobStore: ClientStore): Promise<{ ann: User; bob: User }> {
  const ann = await online(user(relay, annStore), 'Ann');
  const bob = await online(user(relay, bobStore), 'Bob');
  const code = await ann.core.createInvite();
  await ann.core.idle();
  await bob.core.acceptInvite(code);
  await ann.until((s) => s.friends.some((f) => f.status === 'mutual'));
  await ann.core.post('warm-up');
  await bob.until((s) => s.friends[0]?.status === 'mutual' && s.posts.some((p) => p.body === 'warm-up'));
  await Promise.all([ann.core.idle(), bob.core.idle()]);
  return { ann, bob };
}

test('a send writes its numbers, row and item in one store call before it leaves; the item keeps its seq', async () => {
  const relay = new FakeRelay();
  const log: string[] & { on?: boolean } = [];
  const annStore = memoryStore();
  const { ann } = await pair(relay, watched(annStore, log), memoryStore());
  const put = relay.puts.push.bind(relay.puts);
  relay.puts.push = (...items) => (log.push('relay mailbox:put'), put(...items));
  log.on = true;
  const sent = await ann.core.post('one write, then out');
  log.on = false;
  const before = log.slice(0, log.indexOf('relay mailbox:put'));
  assert.ok(log.includes('relay mailbox:put'), `the post left: ${log.join(', ')}`);
  assert.deepEqual(before.filter((m) => WRITES.test(m)), ['putBatch'], `store writes before the post left: ${before.join(', ')}`);
  assert.equal((await annStore.getItem(sent.key))?.seq, sent.seq, 'the stored item carries its seq');
  assert.equal((await annStore.getPost(sent.author, sent.seq))?.item, sent.key, 'the send row is stored');
  const friend = (await annStore.listFriends())[0]!;
  assert.equal(friend.streamOut, sent.streams![friend.key], "the friend's stream number is stored");
  ann.core.close();
});

test('a received post is stored in one store call and is in the state when announced, with no state build over the store', async () => {
  const relay = new FakeRelay();
  const log: string[] & { on?: boolean } = [];
  const bobStore = memoryStore();
  const { ann, bob } = await pair(relay, memoryStore(), watched(bobStore, log));
  const unreadBefore = bob.core.state.unread;
  log.on = true;
  await ann.core.post('straight into the state');
  await bob.until(() => bob.received.some((p) => p.body === 'straight into the state'));
  const at = bob.received.findIndex((p) => p.body === 'straight into the state');
  assert.ok(at >= 0, 'announced');
  log.on = false;
  const writes = log.filter((m) => WRITES.test(m));
  assert.match(writes[0] ?? '', /^putBatch/, `the first write: ${writes.join(', ')}`);
  assert.ok(!writes.includes('putItem') && !writes.includes('putPost'), `one batch, not a call per row: ${writes.join(', ')}`);
  assert.ok(!log.includes('getItems') && !log.includes('getItem'), `what it refers to is read in the same transaction: ${log.join(', ')}`);
  const shown = bob.seen[at]!;
  assert.ok(shown.posts.some((p) => p.body === 'straight into the state' && p.authorName === 'Ann'), 'the state held it when it was announced');
  assert.equal(shown.unread, unreadBefore + 1, 'counted unread at once');
  assert.ok(!log.includes('recentPosts'), `no state build for a new post: ${log.join(', ')}`);
  await bob.core.idle();
  const me = bob.core.state.me!.key;
  assert.equal(bob.core.state.unread, await bobStore.countUnread(me, (await bobStore.getMeta('readUpTo')) ?? 0), 'the unread count is the store’s');
  ann.core.close();
  bob.core.close();
});

test('a received post is neither announced nor acknowledged at the relay before it is stored', async () => {
  const relay = new FakeRelay();
  let release!: () => void;
  const until = new Promise<void>((r) => (release = r));
  const log: string[] & { on?: boolean } = [];
  const hold = { methods: [] as string[], until };
  const { ann, bob } = await pair(relay, memoryStore(), watched(memoryStore(), log, hold));
  const bobKey = bob.core.state.me!.key;
  const stores = ['putBatch', 'putBatchWith', 'putItem', 'putPost'];
  hold.methods = stores;
  log.on = true;
  await ann.core.post('held at the store');
  await new Promise<void>((r) => {
    const check = () => (log.some((m) => stores.includes(m)) ? r() : setImmediate(check));
    check();
  });
  await new Promise((r) => setImmediate(r)); // give a wrong implementation its chance to ack or announce
  assert.equal(relay.mailboxes.get(bobKey)?.length, 1, 'still in the mailbox while the store has not written it');
  assert.ok(!bob.received.some((p) => p.body === 'held at the store'), 'not announced before it is stored');
  release();
  await bob.until((s) => s.posts.some((p) => p.body === 'held at the store'));
  await bob.core.idle();
  assert.equal(relay.mailboxes.get(bobKey)?.length, 0, 'acknowledged once stored');
  ann.core.close();
  bob.core.close();
});

test('a post taken in while a state build reads the store stays in the state, and the unread count settles on the store’s', async () => {
  const relay = new FakeRelay();
  const bobStore = memoryStore();
  let slow = false;
  const store: ClientStore = {
    ...bobStore,
    // A build that began before the post was stored answers late, without it.
    recentPosts: async (n) => {
      const rows = await bobStore.recentPosts(n);
      if (slow) for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
      return rows;
    },
  };
  const { ann, bob } = await pair(relay, memoryStore(), store);
  slow = true;
  for (let i = 0; i < 5; i++) {
    void bob.core.saveList({ name: `list ${i}`, members: [] }); // each change asks for a build
    await ann.core.post(`during a build ${i}`);
  }
  await bob.until((s) => s.posts.filter((p) => p.body.startsWith('during a build')).length === 5);
  await bob.core.idle();
  const me = bob.core.state.me!.key;
  assert.equal(bob.core.state.posts.filter((p) => p.body.startsWith('during a build')).length, 5, 'none lost from the state');
  assert.equal(bob.core.state.unread, await bobStore.countUnread(me, (await bobStore.getMeta('readUpTo')) ?? 0), 'the unread count is the store’s');
  ann.core.close();
  bob.core.close();
});

test('a device being linked gets only its link over our data channel: a post or a catch-up for it is not sent there', () => {
  const sent: string[] = [];
  const mesh = { send: (to: string, text: string) => (sent.push(`${to} ${text}`), true) };
  const ctx = { mesh, linking: new Map([['phone', () => {}]]) } as unknown as Ctx;
  assert.equal(sendChannel(ctx, 'phone', { t: 'post', env: 'e' }), false, 'a post: not over the channel (tryDeliver then uses the mailbox)');
  assert.equal(sendChannel(ctx, 'phone', { t: 'sync', since: 0 }), false, 'a catch-up: not sent');
  assert.deepEqual(sent, [], 'nothing went out');
  assert.equal(sendChannel(ctx, 'phone', { t: 'link', f: { kind: 'link-chunk', c: 'AA' } }), true, 'its link does');
  assert.equal(sendChannel(ctx, 'bob', { t: 'post', env: 'e' }), true, 'others are sent as usual');
  assert.equal(sent.length, 2);
});
