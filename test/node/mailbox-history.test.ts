// The mailbox checked the Jepsen way (issue 30): concurrent senders put numbered posts while faults are injected —
// relay kill -9 (SQLite); a PostgreSQL crash stop, a Redis restart and a dropped relay↔database link (two relay
// processes) — and test/cases/mailbox-history.ts reads the whole history after: no acknowledged post lost, none read
// again after its ack was confirmed, each sender's posts in order per recipient. The checker is first shown to fail.
import { after, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { generateIdentity, peerId, type Identity } from '../../shared/crypto/identity.js';
import { pairKeys } from '../../shared/crypto/pairwise.js';
import { sealPost } from '../../shared/crypto/envelope.js';
import { toB64u } from '../../shared/bytes.js';
import { checkMailboxHistory, countByKind, Recorder, type Copy, type Op, type Outcome, type Post } from '../cases/mailbox-history.js';
import { startPostgres, startRedis, type PostgresServer, type RedisServer } from '../db-servers.js';
import { startFaultProxy, type FaultProxy } from '../fault-proxy.js';
import { freePort, startRelay, type RelayProcess } from '../e2e/relay-process.js';
import { allow, capFor, connectLive, type LiveClient } from './relay-harness.js';

// ---- the checker on hand-made histories: each kind of anomaly found, and a clean history passes ----------------

const S = 'sender-s';
const R = 'recipient-r';
const p = (seq: number, sender = S, recipient = R): Post => ({ sender, recipient, seq });
/** Builds a history from steps in order, each its own invocation and completion on the clock. */
function history(steps: ((r: Recorder) => void)[]): Op[] {
  const rec = new Recorder();
  for (const s of steps) s(rec);
  return rec.ops;
}
const put = (post: Post, outcome: Outcome, id?: number) => (r: Recorder) => void r.end({ f: 'put', start: r.start(), post, outcome, ...(id !== undefined && { id }) });
const read = (items: Copy[], complete = true, recipient = R) => (r: Recorder) => void r.end({ f: 'read', start: r.start(), recipient, items, complete });
const ack = (items: Copy[], outcome: Outcome = 'ok') => (r: Recorder) => void r.end({ f: 'ack', start: r.start(), recipient: R, items, outcome });
const kinds = (ops: Op[]) => checkMailboxHistory(ops).map((a) => a.kind);

test('checker: a clean history, with a retried put stored twice and an ack whose answer was lost, has no anomaly', () => {
  const ops = history([
    put(p(1), 'ok', 1),
    put(p(2), 'info'), // stored as 2, answer lost
    put(p(2), 'ok', 3),
    read([{ id: 1, post: p(1) }, { id: 2, post: p(2) }, { id: 3, post: p(2) }]),
    ack([{ id: 1, post: p(1) }], 'info'), // may or may not have deleted it
    read([{ id: 1, post: p(1) }, { id: 2, post: p(2) }, { id: 3, post: p(2) }]),
    ack([{ id: 1, post: p(1) }, { id: 2, post: p(2) }, { id: 3, post: p(2) }]),
    put(p(3), 'fail'), // refused: never stored
    read([]),
  ]);
  assert.deepEqual(checkMailboxHistory(ops), []);
});

test('checker: lost — never read, or missing from a complete read while not acked away', () => {
  assert.deepEqual(kinds(history([put(p(1), 'ok', 1), read([])])), ['lost']);
  // Read once, not acked, then gone from a later complete read (a crash lost it).
  assert.deepEqual(kinds(history([put(p(1), 'ok', 1), read([{ id: 1, post: p(1) }]), read([])])), ['lost']);
  // An incomplete read may stop before it; an ack invoked before the read ends may have deleted it: neither is a loss.
  assert.deepEqual(kinds(history([put(p(1), 'ok', 1), read([], false), read([{ id: 1, post: p(1) }]), ack([{ id: 1, post: p(1) }], 'info'), read([])])), []);
  // A refused ack deleted nothing.
  assert.deepEqual(kinds(history([put(p(1), 'ok', 1), read([{ id: 1, post: p(1) }]), ack([{ id: 1, post: p(1) }], 'fail'), read([])])), ['lost']);
  // A put without an answer promised nothing.
  assert.deepEqual(kinds(history([put(p(1), 'info'), read([])])), []);
});

test('checker: redelivered — read again after its ack was confirmed', () => {
  const c = { id: 1, post: p(1) };
  assert.deepEqual(kinds(history([put(p(1), 'ok', 1), read([c]), ack([c]), read([c])])), ['redelivered']);
  // The same id holding other bytes later (SQLite may reuse a deleted id) is another item.
  assert.deepEqual(kinds(history([put(p(1), 'ok', 1), read([c]), ack([c]), put(p(2), 'ok', 1), read([{ id: 1, post: p(2) }])])), []);
});

test('checker: reordered — within one read, or first appearing after a later post of the same sender', () => {
  const [a, b] = [{ id: 2, post: p(1) }, { id: 1, post: p(2) }];
  assert.deepEqual(kinds(history([put(p(1), 'ok', 2), put(p(2), 'ok', 1), read([b, a])])), ['reordered', 'reordered']);
  assert.deepEqual(kinds(history([put(p(1), 'ok', 1), put(p(2), 'ok', 2), read([{ id: 2, post: p(2) }], false), read([{ id: 1, post: p(1) }, { id: 2, post: p(2) }])])), ['reordered']);
  // Other senders interleave freely; an unacknowledged copy of a retried put may stand anywhere.
  const t = p(9, 'sender-t');
  assert.deepEqual(kinds(history([put(p(1), 'info'), put(p(1), 'ok', 2), put(t, 'ok', 3), put(p(2), 'ok', 4), read([{ id: 3, post: t }, { id: 2, post: p(1) }, { id: 4, post: p(2) }, { id: 5, post: p(1) }])])), []);
});

test('checker: duplicated — a post put once stored under two ids', () => {
  assert.deepEqual(kinds(history([put(p(1), 'ok', 1), read([{ id: 1, post: p(1) }, { id: 2, post: p(1) }])])), ['duplicated']);
});

test('checker: phantom — bytes no put carried, a post for someone else, a post whose every put was refused', () => {
  assert.deepEqual(kinds(history([read([{ id: 1, post: undefined }])])), ['phantom']);
  assert.deepEqual(kinds(history([put(p(1, S, 'other'), 'ok', 1), read([{ id: 1, post: p(1, S, 'other') }]), read([{ id: 1, post: p(1, S, 'other') }], true, 'other')])), ['phantom']);
  assert.deepEqual(kinds(history([put(p(1), 'fail'), read([{ id: 1, post: p(1) }])])), ['phantom']);
});

// ---- real relays under faults ----------------------------------------------------------------------------------

const CALL_MS = 3000;
/** Refusals that happen before the relay does anything: the put certainly did not happen. */
const REFUSED = new Set(['not-friend', 'unauthenticated', 'rate-limited']);
const LOOSE = ['--rate-limit', '100000', '--key-rate-limit', '100000', '--static-dir', ''];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const relays: RelayProcess[] = [];
const cleanups: [string, () => Promise<unknown>][] = [];
/** Each step of the cleanup gets 10 s; one that hangs is named, and the rest still run (db-servers SIGKILLs at exit). */
after(async () => {
  const steps: [string, () => Promise<unknown>][] = [...relays.map((r) => [`relay ${r.url}`, () => r.stop('SIGKILL')] as [string, () => Promise<unknown>]), ...cleanups.reverse()];
  for (const [what, step] of steps) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const hung = new Promise((r) => (timer = setTimeout(() => r('hung'), 10_000)));
    if ((await Promise.race([step().catch(() => undefined), hung]).finally(() => clearTimeout(timer))) === 'hung') console.error(`cleanup: ${what} did not finish within 10 s`);
  }
  // Once in a few runs the process stayed alive (spinning) after every test had passed and reported, which would hold
  // `npm test` until CI's limit. Until that handle is found, a process still here 10 s after the cleanup ends itself,
  // keeping the exit code the results set. An unref'd timer: a process that exits normally never waits for it.
  setTimeout(() => {
    console.error('mailbox-history: still running 10 s after the cleanup; exiting (active handles:', (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles().map((h) => (h as object)?.constructor?.name).join(', '), ')');
    process.exit(process.exitCode ?? 0);
  }, 10_000).unref();
});
async function relay(args: string[], dataDir?: string): Promise<RelayProcess> {
  const r = await startRelay({ args: [...LOOSE, ...args], ...(dataDir && { dataDir }) });
  relays.push(r);
  return r;
}

interface Workload {
  /** One sender per entry, connected to that relay URL. */
  senderUrls: readonly string[];
  /** One recipient per entry, connected to that relay URL. */
  recipientUrls: readonly string[];
  postsPerSender: number;
  /** Injects the faults, pacing itself by `reach(fraction of all posts acknowledged)`. */
  faults(reach: (fraction: number) => Promise<void>): Promise<void>;
  /** Everything (puts, faults, the final reads) must be done by then. */
  budgetMs: number;
}

/**
 * Runs the workload and returns its history: each sender puts its posts one at a time (the next only once the last
 * was acknowledged), resending the same envelope after a refusal or no answer; each recipient reads its whole mailbox
 * and acks what it read, over and over; once every post is acknowledged and the faults are over, each recipient
 * reads until one read is complete, acks, and reads once more.
 */
async function runWorkload(w: Workload, t: TestContext) {
  const deadline = Date.now() + w.budgetMs;
  const inTime = (what: string) => assert.ok(Date.now() < deadline, `${what}: out of time (${w.budgetMs} ms)`);
  const senders = w.senderUrls.map((_, i) => generateIdentity(`sender${i}`));
  const recipients = w.recipientUrls.map((_, i) => generateIdentity(`recipient${i}`));
  // Each post sealed once; the envelope's bytes are how a read is mapped back to (sender, recipient, seq).
  const posts = new Map<string, Post>();
  const plan = senders.map((s, i) =>
    Array.from({ length: w.postsPerSender }, (_, k) => {
      const to = recipients[(i + k) % recipients.length]!;
      const [sealed] = sealPost(s, { seq: k + 1, ts: k, body: `post ${k + 1}` }, [{ sigPub: to.sigPub, wrapKey: pairKeys(s, to).wrap }]);
      const env = toB64u(sealed!.envelope);
      posts.set(env, { sender: peerId(s.sigPub), recipient: peerId(to.sigPub), seq: k + 1 });
      return { env, to };
    }),
  );
  const total = senders.length * w.postsPerSender;
  const rec = new Recorder();
  const codes = new Map<string, number>();
  const note = (code: string) => codes.set(code, (codes.get(code) ?? 0) + 1);
  const clients: LiveClient[] = [];
  let acked = 0;
  let sending = true;
  try {
    const inboxes = recipients.map((id, j) => {
      const c = connectLive(w.recipientUrls[j]!, id, (socket) => allow({ socket, id }, senders).then(() => true));
      clients.push(c);
      return { id, key: peerId(id.sigPub), c };
    });
    for (const inbox of inboxes) assert.ok(await inbox.c.loggedIn(10_000), 'each recipient logged in and allowed the senders before they put');

    /** One whole read of the mailbox from the start, then an ack of what it returned. */
    const readAndAck = async (inbox: (typeof inboxes)[number]) => {
      const start = rec.start();
      const items: Copy[] = [];
      let complete = false;
      for (let after = 0, page = 0; page < 1000; page++) {
        const res = await inbox.c.call('mailbox:fetch', { after, limit: 50 }, CALL_MS);
        if (!res?.ok) {
          note(`fetch ${res?.code ?? 'no answer'}`);
          break;
        }
        const got = res.items as { id: number; env: string }[];
        if (!got.length) {
          complete = true;
          break;
        }
        items.push(...got.map((it) => ({ id: it.id, post: posts.get(it.env) })));
        after = got.at(-1)!.id;
      }
      const r = rec.end({ f: 'read', start, recipient: inbox.key, items, complete });
      const ids = [...new Map(r.items.map((c) => [c.id, c])).values()];
      for (let i = 0; i < ids.length; i += 100) {
        const chunk = ids.slice(i, i + 100);
        const s = rec.start();
        const res = await inbox.c.call('mailbox:ack', { ids: chunk.map((c) => c.id) }, CALL_MS);
        if (!res?.ok) note(`ack ${res?.code ?? 'no answer'}`);
        rec.end({ f: 'ack', start: s, recipient: inbox.key, items: chunk, outcome: res?.ok ? 'ok' : res && REFUSED.has(res.code!) ? 'fail' : 'info' });
      }
      return complete;
    };

    const putting = senders.map(async (s, i) => {
      const c = connectLive(w.senderUrls[i]!, s);
      clients.push(c);
      for (const [k, { env, to }] of plan[i]!.entries()) {
        for (let attempt = 0; ; attempt++) {
          inTime(`sender ${i} post ${k + 1} (attempt ${attempt})`);
          const start = rec.start();
          const res = await c.call('mailbox:put', { to: peerId(to.sigPub), env, cap: capFor(s, to) }, CALL_MS);
          const outcome: Outcome = res?.ok ? 'ok' : res && REFUSED.has(res.code!) ? 'fail' : 'info';
          rec.end({ f: 'put', start, post: posts.get(env)!, outcome, ...(res?.ok && { id: res.id as number }) });
          if (res?.ok) break;
          note(`put ${res?.code ?? 'no answer'}`);
          await sleep(50);
        }
        acked++;
      }
    });
    const reading = inboxes.map(async (inbox) => {
      while (sending) {
        inTime('reading while the senders put');
        await readAndAck(inbox);
        await sleep(50);
      }
    });
    const reach = async (fraction: number) => {
      while (acked < fraction * total) {
        inTime(`waiting for ${fraction * 100}% of the posts to be acknowledged (${acked} of ${total})`);
        await sleep(20);
      }
    };
    const t0 = Date.now();
    await Promise.all([w.faults(reach), ...putting]);
    sending = false;
    await Promise.all(reading);
    for (const inbox of inboxes) {
      while (!(await readAndAck(inbox))) inTime('final read');
      assert.ok(await readAndAck(inbox), 'the read after the final acks is complete');
    }
    const ops = rec.ops;
    const stats = {
      ops: ops.length,
      puts: ops.filter((o) => o.f === 'put').length,
      reads: ops.filter((o) => o.f === 'read').length,
      acks: ops.filter((o) => o.f === 'ack').length,
      itemsRead: ops.reduce((n, o) => n + (o.f === 'read' ? o.items.length : 0), 0),
      posts: total,
      ms: Date.now() - t0,
      codes: Object.fromEntries(codes),
    };
    t.diagnostic(`history: ${JSON.stringify(stats)}`);
    return ops;
  } finally {
    sending = false;
    for (const c of clients) c.close();
  }
}

/** Checks the history, prints its size and the anomalies, and fails on any. */
function verdict(t: TestContext, name: string, ops: readonly Op[]) {
  const anomalies = checkMailboxHistory(ops);
  const line = `${name}: history of ${ops.length} operations, ${anomalies.length} anomalies ${JSON.stringify(countByKind(anomalies))}`;
  console.log(line);
  t.diagnostic(line);
  assert.deepEqual(anomalies.slice(0, 20), [], line);
}

test('SQLite, one relay, kill -9 three times mid-run: no acknowledged post lost, none read again after its ack, order kept', { timeout: 60_000 }, async (t) => {
  const started = Date.now();
  const port = await freePort();
  let r = await relay(['--port', String(port)]);
  const url = r.url;
  const ops = await runWorkload({
    senderUrls: [url, url, url, url],
    recipientUrls: [url, url],
    postsPerSender: 100,
    budgetMs: 45_000,
    async faults(reach) {
      for (const at of [0.25, 0.5, 0.75]) {
        await reach(at);
        await r.stop('SIGKILL');
        await sleep(200);
        r = await relay(['--port', String(port)], r.dataDir); // same address and data: clients reconnect by themselves
      }
    },
  }, t);
  verdict(t, 'sqlite', ops);
  t.diagnostic(`sqlite scenario: ${Date.now() - started} ms`);
});

test('PostgreSQL + Redis, two relays: a cut relay↔database link, a PostgreSQL crash stop, a Redis restart, a dropped link', { timeout: 60_000 }, async (t) => {
  const started = Date.now();
  let redis: RedisServer | undefined;
  let postgres: PostgresServer | undefined;
  let proxy: FaultProxy | undefined;
  cleanups.push(['postgres', async () => postgres?.stop()], ['redis', async () => redis?.stop()], ['fault proxy', async () => proxy?.close()]);
  [redis, postgres] = await Promise.all([startRedis(), startPostgres()]);
  const direct = await postgres.createDatabase('history');
  proxy = await startFaultProxy(postgres.port);
  const databaseUrl = direct.replace(`:${postgres.port}/`, `:${proxy.port}/`); // both relays reach it only through the proxy
  const [n1, n2] = await Promise.all([0, 1].map(() => relay(['--database-url', databaseUrl, '--redis-url', redis!.url])));
  const pg = postgres;
  const px = proxy;
  const rd = redis;
  const ops = await runWorkload({
    senderUrls: [n1!.url, n2!.url, n1!.url, n2!.url],
    recipientUrls: [n2!.url, n1!.url],
    postsPerSender: 100,
    budgetMs: 45_000,
    async faults(reach) {
      await reach(0.2);
      t.diagnostic(`cut: ${px.cut()} links reset`);
      await sleep(700);
      px.heal();
      await reach(0.4);
      await pg.crash();
      await sleep(300);
      await pg.start();
      await reach(0.6);
      await rd.stop();
      await sleep(300);
      await rd.start();
      await reach(0.8);
      t.diagnostic(`drop: ${px.drop()} links reset`);
      t.diagnostic(`proxy: ${JSON.stringify(px.stats)}`);
    },
  }, t);
  verdict(t, 'postgres+redis', ops);
  t.diagnostic(`postgres+redis scenario: ${Date.now() - started} ms`);
});
