// Owns link_device_ms: linking a new device to an identity with 100 friends and 1,000 posts, from the primary reading its code to the new device stored and online as itself, two client cores through a real relay process on loopback.
import { io } from 'socket.io-client';
import { toB64u } from '../shared/bytes.js';
import { generateIdentity, peerId } from '../shared/crypto/identity.js';
import { newItemId, signItem } from '../shared/crypto/content.js';
import { ClientCore } from '../client/core/client.js';
import { pairFields } from '../client/core/friends.js';
import { stateWaiter } from '../client/core/state-waiter.js';
import type { ClientState } from '../client/core/context.js';
import type { ClientStore } from '../client/core/ports.js';
import { connectRelay } from '../client/relay-connection.js';
import { memoryStore } from '../test/cases/memory-store.js';
import { startRelay } from '../test/e2e/relay-process.js';
import { percentile, round } from './stats.js';

const FRIENDS = 100;
const POSTS = 1000;
const RUNS = 3;
const quiet = { warn: () => {}, error: (...a: unknown[]) => console.error(...a) };

/** A store holding an identity with FRIENDS mutual friends (never online) and POSTS posts of its own, signed. */
async function primaryStore(): Promise<ClientStore> {
  const store = memoryStore();
  const me = generateIdentity('Ann');
  const mine = peerId(me.sigPub);
  const t0 = Date.now() - POSTS * 60_000;
  await store.putIdentity({ id: 'me', ...me, created: t0 });
  const friends = Array.from({ length: FRIENDS }, (_, i) => generateIdentity(`friend ${i}`));
  await store.putBatch({ friends: friends.map((f, i) => ({ key: peerId(f.sigPub), name: f.name, sigPub: f.sigPub, dhPub: f.dhPub, ...pairFields(me, f), status: 'mutual' as const, added: t0 + i })) });
  const to = friends.map((f) => peerId(f.sigPub));
  const items = Array.from({ length: POSTS }, (_, i) => {
    const ts = t0 + i * 60_000;
    const s = signItem(me, { kind: 'post', id: newItemId(), ts, text: `post ${i} `.padEnd(140, '·') });
    return { key: `${mine}:${s.item.id}`, author: mine, id: s.item.id, kind: 'post' as const, ts, text: s.item.kind === 'post' ? s.item.text : '', signed: toB64u(s.bytes), via: 'self' as const, received: ts, audience: { to } };
  });
  await store.putBatch({ items });
  return store;
}

function core(url: string, store: ClientStore): { core: ClientCore; until(p: (s: ClientState) => boolean): Promise<ClientState> } {
  const waiter = stateWaiter<ClientState>(() => c.state);
  const c = new ClientCore({ store, connectRelay: (me, on) => connectRelay(io, url, me, on), relayUrl: url, deviceName: 'Laptop', log: quiet, onChange: () => waiter.changed() });
  return { core: c, until: waiter.until };
}

export async function linkBench(): Promise<Record<string, number>> {
  const relay = await startRelay({ args: ['--static-dir', ''] });
  const open: ClientCore[] = [];
  try {
    const ann = core(relay.url, await primaryStore());
    open.push(ann.core);
    await ann.core.start();
    await ann.until((s) => s.relay === 'connected');
    await ann.core.idle();
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      // Each link starts as a user's would, not a moment after the last one sent its list to 100 friends (400 units of
      // the relay's 200/s per-key budget; a link waits for it to refill, see client/core/link.ts patiently).
      if (i) await new Promise((r) => setTimeout(r, 3000));
      const phone = core(relay.url, memoryStore());
      open.push(phone.core);
      await phone.core.start();
      const link = phone.core.startLink(`phone ${i}`);
      await link.ready; // the code is on the phone's screen
      const t0 = performance.now();
      const lap = (what: string) => process.env.BW_LINK_LAPS && console.error(`link ${i}: ${what} at ${Math.round(performance.now() - t0)} ms`);
      const answer = await ann.core.linkDevice(link.code);
      lap('short code on both');
      await Promise.all([answer.confirm().then(() => lap('primary done')), link.done.then(() => lap('stored'))]);
      const s = await phone.until((st) => st.relay === 'connected' && !!st.me);
      lap('online');
      times.push(performance.now() - t0);
      const feed = await phone.core.feed({ limit: 1 });
      if (s.friends.length !== FRIENDS || !feed.items.length) throw new Error(`link bench: the phone holds ${s.friends.length} friends and ${feed.items.length} posts`);
    }
    return { link_device_ms: round(percentile(times, 50)), link_device_friends: FRIENDS, link_device_posts: POSTS };
  } finally {
    for (const c of open) c.close();
    await relay.stop();
  }
}
