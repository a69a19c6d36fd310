// Owns the relay-abuse attacks of issue 30, as clients: presence amplification through shared invite tags, one key's
// many connections that never read while a friend floods it with signals, and uploads announced and then trickled;
// and the honest photo uploads measured against the last. Run by bench/abuse.bench.ts and test/node/relay-abuse.test.ts,
// each in a driver process of its own (bench/relay-load-driver.ts). Loopback only; every loop ends by its deadline.
import { randomBytes } from 'node:crypto';
import { generateIdentity, peerId, type Identity } from '../shared/crypto/identity.js';
import { blobId } from '../shared/crypto/blob.js';
import { pairKeys } from '../shared/crypto/pairwise.js';
import { toB64u } from '../shared/bytes.js';
import { LIMITS } from '../shared/protocol.js';
import { ask, befriend, connect, type Conn } from './flood-clients.js';

export type AttackKind = 'presence' | 'sink' | 'upload';

export interface AttackStats {
  /** Frames the attack sent (logins included). */
  sent: number;
  /** Answers it read, by code ('ok' for a success; 'login:CODE' for a refused login). */
  answers: Record<string, number>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const randomKeys = (n: number) => Array.from({ length: n }, () => toB64u(randomBytes(32)));
const randomTags = (n: number) => Array.from({ length: n }, () => toB64u(randomBytes(16)));

/** A tally of answers that also survives a login refused by the relay (a key over its connections, say). */
function tally() {
  const stats: AttackStats = { sent: 0, answers: {} };
  const note = (code: string) => (stats.answers[code] = (stats.answers[code] ?? 0) + 1);
  const send = async (c: Conn, event: string, msg: unknown) => {
    stats.sent++;
    const r = await ask(c, event, msg).catch(() => ({ ok: false, code: 'timeout' }));
    note(r.ok ? 'ok' : (r.code ?? '?'));
    return r;
  };
  const login = async (url: string, id: Identity): Promise<Conn | undefined> => {
    stats.sent++;
    try {
      return await connect(url, id);
    } catch (e) {
      note(`login:${/refused: (\S+)/.exec(String(e))?.[1] ?? String(e).slice(0, 60)}`);
      return undefined;
    }
  };
  return { stats, send, login };
}

/**
 * About 33 free keys and 300 connections (issue 30, finding 1): 100 connections watching 1,000 keys each and accepting
 * the same 100 invite tags, 200 presenting those tags, then three keys toggling `present` between all the tags and none
 * at 6.4 frames a second in all, for `ms`.
 */
async function presenceAttack(url: string): Promise<Armed> {
  const { stats, send, login } = tally();
  const tags = randomTags(LIMITS.maxInviteTags);
  const keys = Array.from({ length: 30 }, (_, i) => generateIdentity(`presence-attacker${i}`));
  const conns: Conn[] = [];
  const close = () => conns.forEach((c) => c.socket.disconnect());
  try {
    const connectAll = async (n: number, first: number, list: (i: number) => object) => {
      for (let i = 0; i < n; i += 20) {
        await Promise.all(Array.from({ length: Math.min(20, n - i) }, async (_, j) => {
          const c = await login(url, keys[(first + i + j) % keys.length]!);
          if (!c) return;
          conns.push(c);
          await send(c, 'presence:watch', list(i + j));
        }));
      }
    };
    await connectAll(100, 0, () => ({ keys: randomKeys(LIMITS.maxWatchKeys), accept: tags }));
    await connectAll(200, 7, () => ({ keys: [], present: tags }));
    const togglers = (await Promise.all([0, 1, 2].map((i) => login(url, generateIdentity(`presence-toggler${i}`))))).filter((c) => c !== undefined);
    conns.push(...togglers);
    const run = async (ms: number) => {
      const until = performance.now() + ms;
      let on = false;
      while (performance.now() < until) {
        on = !on;
        await Promise.all(togglers.map((c) => send(c, 'presence:watch', { keys: [], present: on ? tags : [] })));
        await sleep(3000 / 6.4);
      }
    };
    return { stats, run, close };
  } catch (e) {
    close();
    throw e;
  }
}

/**
 * A friend of the attacker opens 200 connections that watch the attacker and then never read (finding 2); the attacker
 * sends it large signals as fast as its answers come, for `ms`.
 */
async function sinkAttack(url: string): Promise<Armed> {
  const { stats, send, login } = tally();
  const attacker = generateIdentity('sink-attacker');
  const sink = generateIdentity('sink');
  const a = await login(url, attacker);
  if (!a) throw new Error('the attacker could not log in');
  const sinks: Conn[] = [];
  const close = () => [a, ...sinks].forEach((c) => c.socket.disconnect());
  try {
    for (let i = 0; i < 200; i += 20) {
      await Promise.all(Array.from({ length: 20 }, async () => {
        const c = await login(url, sink);
        if (!c) return;
        sinks.push(c);
        await send(c, 'presence:watch', { keys: [a.key] });
        (c.socket.io as unknown as { engine: { transport: { ws: { _socket: { pause(): void } } } } }).engine.transport.ws._socket.pause();
      }));
    }
    const data = { kind: 'sdp', signal: { type: 'offer', sdp: 'v=0\r\n'.padEnd(LIMITS.maxSignalChars - 200, 'a') } };
    // A few in flight at once, each answered before the next: what the relay accepts is what it holds.
    const run = (ms: number) => {
      const until = performance.now() + ms;
      return Promise.all(Array.from({ length: 4 }, async () => {
        while (performance.now() < until) {
          const r = await send(a, 'signal:send', { to: peerId(sink.sigPub), data });
          if (!r.ok) await sleep(r.code === 'rate-limited' ? 200 : 20);
        }
      })).then(() => undefined);
    };
    return { stats, run, close };
  } catch (e) {
    close();
    throw e;
  }
}

/** A key that `from` may leave blobs for: a recipient who allows it (they are friends). */
async function recipientFor(url: string, from: Conn): Promise<Conn> {
  const r = await connect(url, generateIdentity('upload-recipient'));
  await befriend(from, r);
  return r;
}

/**
 * 17 free keys each announce uploads up to their share (4 MiB: eight 500 KB photos) and then trickle one byte per upload
 * every `trickleMs` (20 s in finding 3), for `ms`. Each upload announced again as soon as the relay drops it.
 */
async function uploadAttack(url: string, trickleMs = 20_000): Promise<Armed> {
  const { stats, send, login } = tally();
  const held: Conn[] = [];
  const close = () => held.forEach((c) => c.socket.disconnect());
  const pairs: { a: Conn; to: { to: string; cap: string }[] }[] = [];
  try {
    await Promise.all(Array.from({ length: 17 }, async (_, k) => {
      const a = await login(url, generateIdentity(`upload-attacker${k}`));
      if (!a) return;
      held.push(a);
      const r = await recipientFor(url, a);
      held.push(r);
      pairs.push({ a, to: [{ to: r.key, cap: toB64u(pairKeys(a.id, r.id).mailboxOut) }] });
    }));
  } catch (e) {
    close();
    throw e;
  }
  const run = async (ms: number) => {
    const until = performance.now() + ms;
    await Promise.all(pairs.map(({ a, to }) =>
      Promise.all(Array.from({ length: 8 }, async () => {
        while (performance.now() < until) {
          const id = blobId(randomBytes(32));
          const put = await send(a, 'blob:put', { id, bytes: 500_000, to });
          if (!put.ok) {
            await sleep(1000);
            continue;
          }
          for (let at = 0; performance.now() < until; at++) {
            const r = await send(a, 'blob:chunk', { id, at, data: new Uint8Array(1) });
            if (!r.ok) break; // dropped by the relay: announce another
            await sleep(Math.min(trickleMs, until - performance.now()));
          }
        }
      }))));
  };
  return { stats, run, close };
}

/** An attack connected and ready: `run` attacks for `ms`; `close` disconnects all it holds. */
export interface Armed {
  stats: AttackStats;
  run(ms: number): Promise<void>;
  close(): void;
}

/** Connects an attack's clients (logins, watch lists, befriending), ready to run. */
export function arm(kind: AttackKind, url: string, trickleMs?: number): Promise<Armed> {
  switch (kind) {
    case 'presence':
      return presenceAttack(url);
    case 'sink':
      return sinkAttack(url);
    case 'upload':
      return uploadAttack(url, trickleMs);
  }
}

/** Honest photo uploads (300 KB each, one after another, a pause between) for `ms`: how many were tried, how many stored. */
export async function honestUploads(url: string, ms: number): Promise<{ tried: number; stored: number; refusals: Record<string, number> }> {
  const me = await connect(url, generateIdentity('honest-uploader'));
  const friend = await recipientFor(url, me);
  const to = [{ to: friend.key, cap: toB64u(pairKeys(me.id, friend.id).mailboxOut) }];
  let tried = 0;
  let stored = 0;
  const refusals: Record<string, number> = {};
  try {
    const until = performance.now() + ms;
    while (performance.now() < until) {
      tried++;
      const data = randomBytes(300_000);
      const id = blobId(data);
      let r = await ask(me, 'blob:put', { id, bytes: data.length, to }).catch(() => ({ ok: false, code: 'timeout' }));
      for (let at = 0; r.ok && at < data.length; at += LIMITS.blobChunkBytes) {
        r = await ask(me, 'blob:chunk', { id, at, data: data.subarray(at, at + LIMITS.blobChunkBytes) }).catch(() => ({ ok: false, code: 'timeout' }));
      }
      if (r.ok) stored++;
      else refusals[r.code ?? '?'] = (refusals[r.code ?? '?'] ?? 0) + 1;
      await sleep(500);
    }
  } finally {
    me.socket.disconnect();
    friend.socket.disconnect();
  }
  return { tried, stored, refusals };
}
