// The SIGTERM drain of the real relay process, as the README describes it: prompt exit, nothing acknowledged lost, clients come back.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { io } from 'socket.io-client';
import { generateIdentity, peerId } from '../../shared/crypto/identity.js';
import { pairKeys } from '../../shared/crypto/pairwise.js';
import { sealPost } from '../../shared/crypto/envelope.js';
import { toB64u } from '../../shared/bytes.js';
import { startRelay, type RelayProcess } from '../e2e/relay-process.js';
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
