// Owns the flood benchmark's clients: honest friends that measure round trips, and attacker keys that flood the relay
// with every event kind (valid, costly, refused, malformed and deep frames) and a friend that never reads.
// Runs inside bench/relay-load-driver.ts: the honest clients and the attackers each in their own driver process.
import { randomBytes } from 'node:crypto';
import { io, type Socket } from 'socket.io-client';
import { toB64u, fromB64u } from '../shared/bytes.js';
import { generateIdentity, peerId, sign, type Identity } from '../shared/crypto/identity.js';
import { sealPost } from '../shared/crypto/envelope.js';
import { LABEL, signedMessage } from '../shared/crypto/kdf.js';
import { mailboxAllowTag, pairKeys } from '../shared/crypto/pairwise.js';
import { LIMITS } from '../shared/protocol.js';
import { percentile, round } from './stats.js';

export interface ProbeStats {
  samples: number;
  p50Ms: number;
  p99Ms: number;
  failures: number;
}

export interface FloodStats {
  framesSent: number;
  /** Times the relay disconnected an attacker connection (each one reconnected and went on). */
  disconnects: number;
  /** Answers the attackers read, by code ('ok' for a success). */
  answers: Record<string, number>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface Conn {
  socket: Socket;
  id: Identity;
  key: string;
}

/** Connects and proves `id` (auth:challenge → auth:prove); rejects on refusal or after 15 s. */
export async function connect(url: string, id: Identity): Promise<Conn> {
  const socket = io(url, { transports: ['websocket'], reconnection: false, forceNew: true, timeout: 15_000 });
  const challenge = await new Promise<{ nonce: string }>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no auth:challenge in 15 s')), 15_000);
    socket.once('auth:challenge', (c: { nonce: string }) => (clearTimeout(t), resolve(c)));
    socket.once('connect_error', (e) => (clearTimeout(t), reject(e)));
  });
  const sig = sign(signedMessage(LABEL.authSig, fromB64u(challenge.nonce, 'nonce')), id.sigSecret);
  const res = (await socket.timeout(15_000).emitWithAck('auth:prove', { key: peerId(id.sigPub), sig: toB64u(sig) })) as { ok: boolean; code?: string };
  if (!res.ok) {
    socket.disconnect();
    throw new Error(`auth:prove refused: ${res.code}`);
  }
  return { socket, id, key: peerId(id.sigPub) };
}

export const ask = async (c: Conn, event: string, msg: unknown): Promise<{ ok: boolean; code?: string }> =>
  (await c.socket.timeout(15_000).emitWithAck(event, msg)) as { ok: boolean; code?: string };

/** Two keys that are friends as the client makes them: each watches the other and allows the other's posts. */
export async function befriend(a: Conn, b: Conn): Promise<void> {
  for (const [me, them] of [[a, b], [b, a]] as const) {
    const w = await ask(me, 'presence:watch', { keys: [them.key] });
    const al = await ask(me, 'mailbox:allow', { tags: [mailboxAllowTag(pairKeys(me.id, them.id).mailboxIn, them.id.sigPub)] });
    if (!w.ok || !al.ok) throw new Error(`befriending refused: ${w.code ?? al.code}`);
  }
}

// ---- honest clients ------------------------------------------------------------------------------------------

let honest: Conn[] = [];

/** `pairs` pairs of friends, connected and befriended; kept for the probes that follow. */
export async function honestConnect(url: string, pairs: number): Promise<number> {
  const made: Conn[] = [];
  for (let i = 0; i < pairs; i++) {
    const [a, b] = await Promise.all([connect(url, generateIdentity(`honest-a${i}`)), connect(url, generateIdentity(`honest-b${i}`))]);
    await befriend(a, b);
    made.push(a, b);
  }
  honest = made;
  return made.length;
}

/**
 * For `ms`, every honest client in turn sends its friend a signal (timed to its arrival) and fetches its mailbox
 * (timed to the ack), pausing `pauseMs` between rounds as a person's client does, not as fast as it can.
 */
export async function honestProbe(ms: number, pauseMs: number): Promise<ProbeStats> {
  const lat: number[] = [];
  let failures = 0;
  const until = performance.now() + ms;
  const sdp = { type: 'offer', sdp: 'v=0\r\n'.padEnd(1500, 'a') };
  await Promise.all(honest.map(async (c, i) => {
    const partner = honest[i ^ 1]!;
    while (performance.now() < until) {
      const n = Math.random();
      const t0 = performance.now();
      let on: (m: { data: { n?: number } }) => void = () => {};
      const arrived = new Promise<void>((resolve) => {
        on = (m) => m.data.n === n && resolve();
        partner.socket.on('signal:recv', on);
      });
      const res = await ask(c, 'signal:send', { to: partner.key, data: { kind: 'sdp', signal: sdp, n } }).catch(() => ({ ok: false }));
      if (res.ok) {
        await arrived;
        lat.push(performance.now() - t0);
      } else failures++;
      partner.socket.off('signal:recv', on);
      const t1 = performance.now();
      const f = await ask(c, 'mailbox:fetch', { after: 0, limit: 10 }).catch(() => ({ ok: false }));
      if (f.ok) lat.push(performance.now() - t1);
      else failures++;
      await sleep(pauseMs);
    }
  }));
  return { samples: lat.length, p50Ms: round(percentile(lat, 50), 2), p99Ms: round(percentile(lat, 99), 2), failures };
}

export function honestClose(): number {
  for (const c of honest) c.socket.disconnect();
  const n = honest.length;
  honest = [];
  return n;
}

// ---- attackers -------------------------------------------------------------------------------------------------

/** Bytes an attacker lets queue on its own socket before it waits: as fast as the relay reads, no faster. */
const ATTACKER_BUFFER = 256 * 1024;

/** Wait before a new login after the relay refused one (socket.io-client's reconnectionDelay). */
const RETRY_MS = 1000;
/** A paced attacker's pause after each refusal: its refusals stay under the rate at which its strikes come back. */
const PACED_PAUSE_MS = 500;
/** Frames a paced attacker keeps unanswered at once: enough to use its whole budget, few enough to hear a refusal in time. */
const PACED_IN_FLIGHT = 4;

const randomTags = (n: number) => Array.from({ length: n }, () => toB64u(randomBytes(32)));

/**
 * Every kind of frame, as Socket.IO EVENT packets written straight to the engine (the client library could not even
 * encode the deep one). Each carries an ack id, so the relay answers it, except the last kind, which has none.
 */
function attackFrames(a: Identity, target: Identity): string[] {
  const to = peerId(target.sigPub);
  const cap = toB64u(pairKeys(a, target).mailboxOut);
  const wrapKey = pairKeys(a, target).wrap;
  const env = (seq: number) => toB64u(sealPost(a, { seq, ts: seq, body: 'flood '.repeat(40) }, [{ sigPub: target.sigPub, wrapKey }])[0]!.envelope);
  const deep = 30_000;
  const kinds: [string, unknown][] = [
    ['signal:send', { to, data: { kind: 'sdp', signal: { type: 'offer', sdp: 'v=0\r\n'.padEnd(2000, 'a') } } }],
    ['signal:send', { to, data: { kind: 'sdp', signal: { type: 'offer', sdp: 'a'.repeat(LIMITS.maxSignalChars * 2) } } }],
    ['mailbox:put', { to, env: env(1), cap }],
    ['mailbox:put', { to, env: env(2), cap }],
    ['mailbox:fetch', { after: 0, limit: LIMITS.maxFetchPage }],
    ['mailbox:ack', { ids: Array.from({ length: LIMITS.maxFetchPage }, (_, i) => i + 1) }],
    ['presence:watch', { keys: Array.from({ length: LIMITS.maxWatchKeys }, () => toB64u(randomBytes(32))) }],
    ['auth:prove', { key: peerId(a.sigPub), sig: 'x' }],
    ['no:such-event', { x: 1 }],
    ['mailbox:fetch', { after: 'x', limit: -1 }],
  ];
  const frames = kinds.map(([e, m], i) => `2${i}${JSON.stringify([e, m])}`);
  // New allow lists every time: each one a rewrite, as the flood did.
  for (let i = 0; i < 8; i++) frames.push(`2${100 + i}${JSON.stringify(['mailbox:allow', { tags: randomTags(LIMITS.maxWatchKeys) }])}`);
  frames.push(`2999["signal:send",{"to":"${to}","data":{"kind":"sdp","signal":${'['.repeat(deep)}${']'.repeat(deep)}}}]`);
  frames.push(JSON.stringify(['mailbox:fetch', { after: 0, limit: 1 }]).replace(/^/, '2')); // no ack id
  return frames;
}

/**
 * `keys` attacker keys, each with a friend that connects once and then never reads, flood for `ms` over
 * `connsPerKey` connections each, reconnecting at once whenever the relay disconnects them. Half the keys flood blindly
 * (and are cut off); the other half pause PACED_PAUSE_MS whenever refused, so they stay connected and keep spending
 * their whole budget on the costliest events for the whole window.
 */
export async function flood(url: string, keys: number, connsPerKey: number, ms: number): Promise<FloodStats> {
  const stats: FloodStats = { framesSent: 0, disconnects: 0, answers: {} };
  const silent: Conn[] = [];
  const open = new Set<Socket>();
  let running = true;
  const answered = (code: string) => (stats.answers[code] = (stats.answers[code] ?? 0) + 1);
  try {
    const attackers = await Promise.all(Array.from({ length: keys }, async (_, k) => {
      const a = generateIdentity(`attacker${k}`);
      const target = generateIdentity(`silent${k}`);
      const [ca, ct] = await Promise.all([connect(url, a), connect(url, target)]);
      await befriend(ca, ct);
      ca.socket.disconnect();
      // The silent friend stops reading its socket: whatever the relay sends it piles up on the relay's side.
      (ct.socket.io as unknown as { engine: { transport: { ws: { _socket: { pause(): void } } } } }).engine.transport.ws._socket.pause();
      silent.push(ct);
      return { a, frames: attackFrames(a, target) };
    }));
    const until = performance.now() + ms;
    const runConn = async (a: Identity, frames: readonly string[], paced: boolean) => {
      let pausedUntil = 0;
      let unanswered = 0;
      let next = Math.floor(Math.random() * frames.length);
      while (running && performance.now() < until) {
        let c: Conn;
        try {
          c = await connect(url, a);
        } catch {
          // Refused (a key in its cooldown): retry after socket.io-client's default reconnection delay. A flood of new
          // connections is a per-address problem (a proxy's), not what this bench measures.
          await sleep(RETRY_MS);
          continue;
        }
        open.add(c.socket);
        const engine = (c.socket.io as unknown as { engine: { write(d: string): void; writeBuffer: unknown[]; transport: { ws: { bufferedAmount: number } } } }).engine;
        unanswered = 0;
        const heard = (code: string) => {
          answered(code);
          unanswered--;
          if (paced && code === 'rate-limited') pausedUntil = performance.now() + PACED_PAUSE_MS;
        };
        c.socket.on('relay:error', (f: { code: string }) => heard(f.code));
        // Acks to hand-written ids are not in the client's table; read them off the raw packets instead.
        c.socket.io.on('packet', (p: { type: number; data?: unknown }) => {
          if (p.type === 3 && Array.isArray(p.data)) heard((p.data[0] as { ok?: boolean; code?: string })?.ok ? 'ok' : ((p.data[0] as { code?: string })?.code ?? '?'));
        });
        await new Promise<void>((resolve) => {
          c.socket.once('disconnect', () => {
            if (running && performance.now() < until) stats.disconnects++; // the relay's doing, not our own at the end
            resolve();
          });
          const pump = () => {
            if (!running || performance.now() >= until || !c.socket.connected) return void (c.socket.connected && c.socket.disconnect());
            // engine.io-client queues writes until its transport drains (next tick): bound that queue too.
            let wrote = 0;
            while (c.socket.connected && performance.now() >= pausedUntil && (!paced || unanswered < PACED_IN_FLIGHT) && engine.writeBuffer.length < 64 && engine.transport.ws.bufferedAmount < ATTACKER_BUFFER) {
              engine.write(frames[next++ % frames.length]!);
              stats.framesSent++;
              unanswered++;
              wrote++;
            }
            // The relay is not reading: wait a little rather than spin, so the attackers' own CPU (on the relay's
            // machine only in this bench) does not slow the honest clients down by itself.
            if (wrote) setImmediate(pump);
            else setTimeout(pump, 2);
          };
          pump();
        });
        open.delete(c.socket);
      }
    };
    await Promise.all(attackers.flatMap(({ a, frames }, k) => Array.from({ length: connsPerKey }, () => runConn(a, frames, k % 2 === 1))));
  } finally {
    running = false;
    for (const s of open) s.disconnect();
    for (const c of silent) c.socket.disconnect();
  }
  return stats;
}
