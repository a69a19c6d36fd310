// The SIGTERM drain of the real relay process, as the README describes it: prompt exit, nothing acknowledged lost, clients come back.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import pg from 'pg';
import { io } from 'socket.io-client';
import { generateIdentity, peerId } from '../../shared/crypto/identity.js';
import { pairKeys } from '../../shared/crypto/pairwise.js';
import { sealPost } from '../../shared/crypto/envelope.js';
import { toB64u } from '../../shared/bytes.js';
import { startRelay, type RelayProcess } from '../e2e/relay-process.js';
import { startPostgres } from '../db-servers.js';
import { closeWithin, SHUTDOWN_DEADLINE_MS } from '../../signaling/shutdown.js';
import type { Logger } from '../../signaling/log.js';
import { allow, call, capFor, connectAs } from './relay-harness.js';

const running: RelayProcess[] = [];
after(async () => {
  for (const r of running) await r.stop('SIGKILL');
});
/** once() for socket.io-client sockets, which are not Node EventEmitters. */
const event = (s: { once(e: string, f: (...a: unknown[]) => void): unknown }, name: string) => new Promise<unknown>((r) => s.once(name, r));
const start = async (opts: Parameters<typeof startRelay>[0] = {}) => {
  const r = await startRelay(opts);
  running.push(r);
  return r;
};

// Without the fix this took 30 s: ws waits that long for a close-handshake answer from a peer that is gone.
test('SIGTERM does not wait for a client that stopped answering', { timeout: 20_000 }, async () => {
  const relay = await start();
  // A client process that connects over WebSocket and is then frozen (SIGSTOP): a laptop lid closed, a phone in a tunnel.
  const clientModule = createRequire(import.meta.url).resolve('socket.io-client');
  const frozen = spawn(process.execPath, ['-e', `
    const { io } = require(${JSON.stringify(clientModule)});
    io(${JSON.stringify(relay.url)}, { transports: ['websocket'] }).on('auth:challenge', () => console.log('connected'));
  `], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await once(frozen.stdout!, 'data');
    frozen.kill('SIGSTOP');
    const awake = await connectAs(relay.url, 'awake');
    const gone = event(awake.socket, 'disconnect');
    relay.child.kill('SIGTERM');
    const [code] = await once(relay.child, 'exit');
    assert.equal(code, 0);
    await gone;
  } finally {
    frozen.kill('SIGKILL');
  }
});

test('after a SIGTERM restart: acknowledged puts are there, and a reconnecting client logs in again by itself', { timeout: 30_000 }, async () => {
  const relay = await start({ args: ['--rate-limit', '100000'] });
  const alice = await connectAs(relay.url, 'alice');
  const bob = generateIdentity('bob');
  const bobOnline = await connectAs(relay.url, bob);
  await allow(bobOnline, [alice.id]);
  bobOnline.socket.close();
  // Reconnection on, as in client/relay-connection.ts: it must come back after the restart without help.
  const browser = io(relay.url, { transports: ['websocket'], reconnectionDelay: 100, reconnectionDelayMax: 500 });
  await event(browser, 'auth:challenge');
  const cap = capFor(alice.id, bob);
  const acked: number[] = [];
  let sent = 0;
  const puts: Promise<unknown>[] = [];
  // Keep putting until the relay stops answering: SIGTERM goes out after the 20th acknowledgement.
  await new Promise<void>((stopped) => {
    alice.socket.once('disconnect', () => stopped());
    const next = () => {
      if (!alice.socket.connected) return;
      const [s] = sealPost(alice.id, { seq: ++sent, ts: sent, body: `p${sent}` }, [{ sigPub: bob.sigPub, wrapKey: pairKeys(alice.id, bob).wrap }]);
      puts.push(call(alice.socket, 'mailbox:put', { to: peerId(bob.sigPub), env: toB64u(s!.envelope), cap }).then(
        (res) => {
          if (!res.ok) return;
          acked.push(res.id as number);
          if (acked.length === 20) relay.child.kill('SIGTERM');
        },
        () => undefined, // unanswered: no promise was made
      ));
      setImmediate(next);
    };
    next();
  });
  await Promise.all(puts);
  const [code] = relay.child.exitCode === null ? await once(relay.child, 'exit') : [relay.child.exitCode];
  assert.equal(code, 0);
  assert.ok(acked.length >= 20);

  const challengeAgain = event(browser, 'auth:challenge');
  const again = await start({ dataDir: relay.dataDir, args: ['--port', new URL(relay.url).port] });
  await challengeAgain; // the socket.io client reconnected to the new process on its own
  browser.close();
  const b = await connectAs(again.url, bob);
  const got = new Set<number>();
  for (let afterId = 0; ; ) {
    const page = await call(b.socket, 'mailbox:fetch', { after: afterId, limit: 100 });
    const items = page.items as { id: number }[];
    if (!items.length) break;
    for (const it of items) got.add(it.id);
    afterId = items.at(-1)!.id;
  }
  for (const id of acked) assert.ok(got.has(id), `acknowledged post ${id} survives the SIGTERM restart`);
  b.socket.close();
  alice.socket.close();
});

// Without the fix the relay never exited: each log write to the closed stdout failed (EPIPE), the failure came back
// as an uncaught exception, and logging that failed again, a loop at 100% CPU that starved the SIGTERM handler.
test('a relay whose log reader went away still stops on SIGTERM', { timeout: 20_000 }, async () => {
  const relay = await start();
  relay.child.stdout!.destroy();
  relay.child.kill('SIGTERM');
  const [code] = await once(relay.child, 'exit');
  assert.equal(code, 0);
});

// Without the fix the relay never exited: relay.close() waited on the group commit, which waited on the database, with
// no deadline (and a close() that rejected was not caught either: the drain ended with no exit at all).
test('SIGTERM with the database stuck mid-commit: the drain gives up at its deadline, says why, and exits 1', { timeout: 60_000 }, async () => {
  const db = await startPostgres();
  const databaseUrl = await db.createDatabase('stuck');
  const holder = new pg.Client({ connectionString: databaseUrl });
  holder.on('error', () => {});
  try {
    const relay = await start({ args: ['--database-url', databaseUrl, '--rate-limit', '100000'] });
    const alice = await connectAs(relay.url, 'alice');
    const bob = generateIdentity('bob');
    const bobOnline = await connectAs(relay.url, bob);
    await allow(bobOnline, [alice.id]);
    // The put's commit waits on bob's advisory lock (signaling/store/postgres.ts), held here: a database that stopped
    // answering, as a lock wait, a full disk or a cut link makes it.
    await holder.connect();
    await holder.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [peerId(bob.sigPub)]);
    const [s] = sealPost(alice.id, { seq: 1, ts: 1, body: 'stuck' }, [{ sigPub: bob.sigPub, wrapKey: pairKeys(alice.id, bob).wrap }]);
    void call(alice.socket, 'mailbox:put', { to: peerId(bob.sigPub), env: toB64u(s!.envelope), cap: capFor(alice.id, bob) }).catch(() => undefined);
    let waiting = 0;
    for (let i = 0; i < 100 && !waiting; i++) {
      waiting = Number((await holder.query("SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")).rows[0].n);
      if (!waiting) await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(waiting, 1, 'the put is waiting inside its commit');
    const t0 = Date.now();
    relay.child.kill('SIGTERM');
    const [code] = await once(relay.child, 'exit');
    const took = Date.now() - t0;
    assert.equal(code, 1, 'a drain that did not finish is not a clean exit');
    assert.ok(took >= SHUTDOWN_DEADLINE_MS - 200 && took < SHUTDOWN_DEADLINE_MS + 5_000, `exited after ${took} ms, deadline ${SHUTDOWN_DEADLINE_MS} ms`);
    await relay.waitFor(/"level":"error","msg":"shutdown did not finish/);
    alice.socket.close();
    bobOnline.socket.close();
  } finally {
    await holder.end().catch(() => {});
    await db.stop();
  }
});

describe('closeWithin: the end of the drain, bounded', () => {
  /** A logger that keeps its lines, and an exit that records its codes instead of ending the test process. */
  const harness = () => {
    const lines: { level: string; msg: string; fields?: Record<string, unknown> }[] = [];
    const at = (level: string) => (msg: string, fields?: Record<string, unknown>) => void lines.push({ level, msg, ...(fields && { fields }) });
    const log: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
    const exits: number[] = [];
    return { lines, log, exits, exit: (c: number) => void exits.push(c) };
  };

  test('a close that resolves in time exits 0 after logging closed', async () => {
    const h = harness();
    assert.equal(await closeWithin(async () => {}, 1_000, h.log, h.exit), 0);
    assert.deepEqual(h.exits, [0]);
    assert.deepEqual(h.lines.map((l) => l.msg), ['closed']);
  });

  test('a close that rejects is logged with its reason and exits 1 at once, not at the deadline', async () => {
    const h = harness();
    const t0 = Date.now();
    assert.equal(await closeWithin(() => Promise.reject(new Error('pool ended twice')), 5_000, h.log, h.exit), 1);
    assert.ok(Date.now() - t0 < 1_000);
    assert.deepEqual(h.exits, [1]);
    assert.equal(h.lines.length, 1);
    assert.equal(h.lines[0]!.level, 'error');
    assert.match(h.lines[0]!.msg, /^shutdown failed/);
    assert.match(String(h.lines[0]!.fields?.err), /pool ended twice/);
  });

  test('a close that throws before returning a promise is treated as one that rejects', async () => {
    const h = harness();
    const close = (): Promise<void> => {
      throw new Error('sync');
    };
    assert.equal(await closeWithin(close, 5_000, h.log, h.exit), 1);
    assert.match(String(h.lines[0]!.fields?.err), /sync/);
  });

  test('a close that never settles exits 1 at the deadline, once, even if it settles later', async () => {
    const h = harness();
    let late = () => {};
    const t0 = Date.now();
    assert.equal(await closeWithin(() => new Promise<void>((r) => (late = r)), 200, h.log, h.exit), 1);
    assert.ok(Date.now() - t0 >= 190, 'not before the deadline');
    assert.equal(h.lines[0]!.level, 'error');
    assert.match(h.lines[0]!.msg, /^shutdown did not finish within its deadline/);
    assert.equal(h.lines[0]!.fields?.deadlineMs, 200);
    late();
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(h.exits, [1], 'exit is called once');
    assert.equal(h.lines.length, 1, 'and nothing more is logged');
  });
});
