// Owns the cluster benchmark (issue 13): signal round trips across two relay nodes joined by Redis against both ends
// on one node (latency under a paced load, and capacity flat out), the same latency ratio for bare Socket.IO processes
// on plain Redis pub/sub (the floor those hops set on this machine), and the PostgreSQL mailbox's stores/s against raw
// batched inserts into the same table — each pair in the same run, by turns, on throwaway servers on loopback.
// Skipped, with a note, when redis-server or PostgreSQL is missing.
import pg from 'pg';
import { fileURLToPath } from 'node:url';
import { io } from 'socket.io-client';
import { DEFAULTS } from '../signaling/config.js';
import { openPostgresStore } from '../signaling/store/postgres.js';
import { startRelay, type RelayProcess } from '../test/e2e/relay-process.js';
import { call, connectAs, type ClientSocket } from '../test/node/relay-harness.js';
import { missingServers, startPostgres, startRedis, type PostgresServer, type RedisServer } from '../test/db-servers.js';
import { percentile, round } from './stats.js';
import { startServer, type ServerProc } from './relay.bench.js';

/** Pairs of users, each pair watching each other; the pings go round them. */
const PAIRS = 20;
/** Closed-loop windows of each kind, same-node and cross-node taking turns. */
const SIGNAL_ROUNDS = 3;
/**
 * Paced windows, ours and the bare pair's by turns. Eight, not three: with 3,000 samples a case, a p99 is its 30th
 * slowest round trip, and the ratio of two of them swung 1.35–2.0 between quiet runs of the same code.
 */
const PACED_ROUNDS = 8;
const SIGNAL_WINDOW_MS = 2000;
/** Closed loop (capacity): per pair and window, a second bound besides time. */
const SIGNAL_MAX_PINGS = 20_000;
/**
 * Open loop (latency): round trips started per second, in all, at an even pace whatever comes back, half of them
 * cross-node — well under what the two nodes carry flat out on a quiet 2-core machine (about 4,000 same-node and
 * 3,000 cross-node round trips/s, `cluster_signal_*_rtt_per_s`), so the p99 is the path's and not the queue of a
 * machine run flat out. With the windows it bounds the samples: 8,000 per case.
 */
const SIGNAL_RATE = 1000;
/** A pong not back this long after the window closed is lost: the run fails rather than hang or drop it silently. */
const SIGNAL_DRAIN_MS = 10_000;
const NO_RATE_LIMIT = '1000000';

const MAILBOX_ROWS = 5000;
/** putMany calls fired together (one group commit), and rows per raw INSERT transaction: the same, as bench/relay.bench.ts. */
const MAILBOX_WAVE = 100;
const MAILBOX_ROUNDS = 3;
/** Rounds stop being started after this long (a slow machine still finishes the round it is in). */
const MAILBOX_CAP_MS = 60_000;

const BARE_MAIN = fileURLToPath(new URL('./bare-cluster-relay.js', import.meta.url));

/** `a` pings its partner through `ping` (a `signal:send` to it, however the server addresses it); `b` answers. */
type Pair = { a: ClientSocket; b: ClientSocket; ping(data: { kind: 'ping'; n: number }): void };

/** Two users who watch each other (so each may signal the other), `a` on one relay and `b` on another (or the same). */
async function pair(urlA: string, urlB: string, i: number): Promise<Pair> {
  const a = await connectAs(urlA, `a${i}`);
  const b = await connectAs(urlB, `b${i}`);
  await call(a.socket, 'presence:watch', { keys: [b.key] });
  await call(b.socket, 'presence:watch', { keys: [a.key] });
  // b answers every ping with a pong.
  b.socket.on('signal:recv', (m) => void b.socket.emit('signal:send', { to: m.from, data: { kind: 'pong', n: (m.data as { n: number }).n } }, () => {}));
  // Until the other node's replica has heard of both watch lists, signals are answered 'offline': wait for a round trip.
  for (;;) {
    const res = await call(a.socket, 'signal:send', { to: b.key, data: { kind: 'ping', n: -1 } });
    if (res.ok) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return { a: a.socket, b: b.socket, ping: (data) => void a.socket.emit('signal:send', { to: b.key, data }, () => {}) };
}

/**
 * The same pair on bare cluster relays (bench/bare-cluster-relay.ts), `a` at `urlA` and `b` at `urlB` (the process named
 * `nodeB`): addressed by socket id and process name, which the bare relay takes as given.
 */
async function barePair(urlA: string, urlB: string, nodeB: string): Promise<Pair> {
  const connect = (url: string) =>
    new Promise<ClientSocket>((resolve, reject) => {
      const s = io(url, { transports: ['websocket'], reconnection: false, forceNew: true }) as unknown as ClientSocket;
      s.once('connect', () => resolve(s));
      s.once('connect_error', reject);
    });
  const [a, b] = [await connect(urlA), await connect(urlB)];
  const send = (s: ClientSocket, msg: { to: string; node: string; data: unknown }) => void (s.emit as (e: string, m: unknown, ack: () => void) => void)('signal:send', msg, () => {});
  b.on('signal:recv', (m) => send(b, { to: m.from, node: (m as unknown as { node: string }).node, data: { kind: 'pong', n: (m.data as { n: number }).n } }));
  const pair: Pair = { a, b, ping: (data) => send(a, { to: b.id!, node: nodeB, data }) };
  await pingWindow([pair], 100); // a bare relay subscribes before it listens: a ping finds its way at once
  return pair;
}

/** Every pair pings its partner back to back for the window; returns each round trip in ms. */
async function pingWindow(pairs: readonly Pair[], ms = SIGNAL_WINDOW_MS): Promise<number[]> {
  const samples: number[] = [];
  const end = performance.now() + ms;
  await Promise.all(
    pairs.map(async (p) => {
      for (let n = 0; n < SIGNAL_MAX_PINGS && performance.now() < end; n++) {
        const t0 = performance.now();
        const pong = new Promise<void>((resolve) => {
          const on = (m: { data: unknown }) => {
            if ((m.data as { n?: number }).n !== n) return;
            p.a.off('signal:recv', on);
            resolve();
          };
          p.a.on('signal:recv', on);
        });
        p.ping({ kind: 'ping', n });
        await pong;
        samples.push(performance.now() - t0);
      }
    }),
  );
  return samples;
}

/**
 * Starts round trips at SIGNAL_RATE per second for the window without waiting for the answers (an open loop: a slow
 * answer does not slow the load down, as with real users), same-node and cross-node by turns, pair after pair, so both
 * cases meet the same load at the same moments. Returns each case's round trips in ms, timed from the moment the ping
 * was handed to the socket.
 */
async function pacedWindow(same: readonly Pair[], cross: readonly Pair[]): Promise<{ same: number[]; cross: number[] }> {
  const out = { same: [] as number[], cross: [] as number[] };
  /** Ping number → when it left, and which case it belongs to. */
  const started = new Map<number, { t0: number; into: number[] }>();
  let next = 0;
  let done!: () => void;
  const allBack = new Promise<void>((r) => (done = r));
  let closed = false;
  const on = (m: { data: unknown }) => {
    const n = (m.data as { n?: number }).n;
    const s = n === undefined ? undefined : started.get(n);
    if (!s) return;
    s.into.push(performance.now() - s.t0);
    started.delete(n!);
    if (closed && !started.size) done();
  };
  const all = [...same, ...cross];
  for (const p of all) p.a.on('signal:recv', on);
  const total = Math.round((SIGNAL_RATE * SIGNAL_WINDOW_MS) / 1000);
  const t0 = performance.now();
  try {
    await new Promise<void>((resolve) => {
      const tick = () => {
        // Every ping due by now goes out; a timer that fired late sends what it owes, so the rate holds on average.
        const due = Math.min(total, Math.floor(((performance.now() - t0) * SIGNAL_RATE) / 1000) + 1);
        for (; next < due; next++) {
          const [pairs, into] = next % 2 ? [cross, out.cross] : [same, out.same];
          const p = pairs[(next >> 1) % pairs.length]!;
          started.set(next, { t0: performance.now(), into });
          p.ping({ kind: 'ping', n: next });
        }
        if (next < total) setTimeout(tick, 1);
        else resolve();
      };
      tick();
    });
    closed = true;
    if (started.size) {
      const timer = setTimeout(done, SIGNAL_DRAIN_MS);
      await allBack;
      clearTimeout(timer);
    }
    if (started.size) throw new Error(`cluster bench: ${started.size} of ${total} pings got no pong within ${SIGNAL_DRAIN_MS} ms`);
    return out;
  } finally {
    for (const p of all) p.a.off('signal:recv', on);
  }
}

async function signalBench(redis: RedisServer): Promise<Record<string, number>> {
  const nodes: RelayProcess[] = [];
  const bare: ServerProc[] = [];
  const sockets: ClientSocket[] = [];
  try {
    for (let i = 0; i < 2; i++) {
      nodes.push(await startRelay({ args: ['--redis-url', redis.url, '--static-dir', '', '--rate-limit', NO_RATE_LIMIT, '--key-rate-limit', NO_RATE_LIMIT] }));
      bare.push(await startServer(BARE_MAIN, [redis.url, `n${i + 1}`]));
    }
    const [n1, n2] = [nodes[0]!.url, nodes[1]!.url];
    const same: Pair[] = [];
    const cross: Pair[] = [];
    for (let i = 0; i < PAIRS; i++) same.push(await pair(n1, n1, i));
    for (let i = 0; i < PAIRS; i++) cross.push(await pair(n1, n2, PAIRS + i));
    const bareSame: Pair[] = [];
    const bareCross: Pair[] = [];
    for (let i = 0; i < PAIRS; i++) bareSame.push(await barePair(bare[0]!.url, bare[0]!.url, 'n1'));
    for (let i = 0; i < PAIRS; i++) bareCross.push(await barePair(bare[0]!.url, bare[1]!.url, 'n2'));
    for (const p of [...same, ...cross, ...bareSame, ...bareCross]) sockets.push(p.a, p.b);
    await pingWindow(same); // warm-up, both paths
    await pingWindow(cross);
    // Capacity: every pair pings back to back (closed loop), which runs both cores flat out.
    let sN = 0;
    let cN = 0;
    for (let r = 0; r < SIGNAL_ROUNDS; r++) {
      sN += (await pingWindow(same)).length;
      cN += (await pingWindow(cross)).length;
    }
    // Latency: the same pings at a fixed rate the machine carries with room to spare (open loop), both cases mixed;
    // ours and the bare baseline take turns window by window, so a burst of other load meets both alike.
    await pacedWindow(bareSame, bareCross); // warm-up of the bare processes (ours had the windows above)
    const s: number[] = [];
    const c: number[] = [];
    const bs: number[] = [];
    const bc: number[] = [];
    for (let r = 0; r < PACED_ROUNDS; r++) {
      const w = await pacedWindow(same, cross);
      s.push(...w.same);
      c.push(...w.cross);
      const b = await pacedWindow(bareSame, bareCross);
      bs.push(...b.same);
      bc.push(...b.cross);
    }
    const [sP50, sP99, cP50, cP99] = [percentile(s, 50), percentile(s, 99), percentile(c, 50), percentile(c, 99)];
    const [bsP99, bcP99] = [percentile(bs, 99), percentile(bc, 99)];
    const seconds = (SIGNAL_ROUNDS * SIGNAL_WINDOW_MS) / 1000;
    return {
      cluster_signal_rate_per_s: SIGNAL_RATE,
      cluster_signal_same_node_p50_ms: round(sP50, 2),
      cluster_signal_same_node_p99_ms: round(sP99, 2),
      cluster_signal_cross_node_p50_ms: round(cP50, 2),
      cluster_signal_cross_node_p99_ms: round(cP99, 2),
      cluster_signal_same_node_rtt_per_s: Math.round(sN / seconds),
      cluster_signal_cross_node_rtt_per_s: Math.round(cN / seconds),
      cluster_signal_p99_ratio: round(cP99 / sP99, 3),
      cluster_bare_same_node_p99_ms: round(bsP99, 2),
      cluster_bare_cross_node_p99_ms: round(bcP99, 2),
      cluster_bare_p99_ratio: round(bcP99 / bsP99, 3),
    };
  } finally {
    for (const s of sockets) s.close();
    for (const n of nodes) await n.stop();
    for (const b of bare) await b.stop();
  }
}

type Row = { to: string; from: string; env: string; expires: number };
const key = (i: number) => `k${i}`.padEnd(42, 'x') + 'A';

function mailboxRows(): Row[] {
  const env = 'e'.repeat(600); // about a sealed post's size in base64url
  const expires = Date.now() + 24 * 3600_000;
  return Array.from({ length: MAILBOX_ROWS }, (_, i) => ({ to: key(i % 500), from: key(1000 + (i % 7)), env, expires }));
}

/** One wave's worth of work, and the time spent on waves so far. */
type Writer = { wave(chunk: readonly Row[]): Promise<unknown>; close(): Promise<void>; ms: number; rows: number };

/** Our store as the relay uses it: one putMany per mailbox:put, a wave of them grouped into one commit. */
async function ours(server: PostgresServer, n: number): Promise<Writer> {
  const store = await openPostgresStore({ databaseUrl: await server.createDatabase(`bench_ours_${n}`), queueQuota: DEFAULTS.queueQuota, senderQuota: DEFAULTS.senderQuota });
  return {
    ms: 0,
    rows: 0,
    async wave(chunk) {
      for (const [r] of await Promise.all(chunk.map((row) => store.putMany([row])))) {
        if (!r || 'error' in r) throw new Error(`mailbox put refused: ${r && 'error' in r ? r.error.message : 'no result'}`);
      }
    },
    close: () => store.close(),
  };
}

/**
 * Plain multi-row INSERTs, one per wave, into the very table our store creates (made by opening it first). Each is its
 * own transaction (autocommit), one round trip, as a group commit of ours is: the baseline is the fastest plain way.
 */
async function raw(server: PostgresServer, n: number): Promise<Writer> {
  const databaseUrl = await server.createDatabase(`bench_raw_${n}`);
  await (await openPostgresStore({ databaseUrl, queueQuota: 1, senderQuota: 1 })).close();
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  return {
    ms: 0,
    rows: 0,
    async wave(chunk) {
      await c.query('INSERT INTO mailbox (recipient, sender, env, expires) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[])', [
        chunk.map((r) => r.to), chunk.map((r) => r.from), chunk.map((r) => r.env), chunk.map((r) => r.expires),
      ]);
    },
    close: () => c.end(),
  };
}

/**
 * Both write the same rows into their own fresh database, wave by wave by turns, so a burst of other load on the
 * machine slows both alike; each is timed over its own waves only.
 */
async function pgMailboxBench(server: PostgresServer): Promise<Record<string, number>> {
  const rows = mailboxRows();
  const time = { ours: 0, raw: 0, rows: 0 };
  const t0 = performance.now();
  for (let r = 0; r < MAILBOX_ROUNDS && performance.now() - t0 < MAILBOX_CAP_MS; r++) {
    const writers = [await ours(server, r), await raw(server, r)] as const;
    try {
      for (let at = 0; at < rows.length; at += MAILBOX_WAVE) {
        const chunk = rows.slice(at, at + MAILBOX_WAVE);
        for (const w of writers) {
          const t = performance.now();
          await w.wave(chunk);
          w.ms += performance.now() - t;
          w.rows += chunk.length;
        }
      }
    } finally {
      for (const w of writers) await w.close();
    }
    time.ours += writers[0].ms;
    time.raw += writers[1].ms;
    time.rows += writers[0].rows;
  }
  const [ourRate, rawRate] = [time.rows / (time.ours / 1000), time.rows / (time.raw / 1000)];
  return { pg_mailbox_stores_per_s: Math.round(ourRate), pg_raw_batched_inserts_per_s: Math.round(rawRate), pg_mailbox_store_ratio: round(ourRate / rawRate, 3) };
}

export async function clusterBench(): Promise<Record<string, number>> {
  const missing = missingServers();
  if (missing) {
    process.stderr.write(`bench: cluster skipped: ${missing}\n`);
    return {};
  }
  const [redis, postgres] = await Promise.all([startRedis(), startPostgres()]);
  try {
    return { ...(await signalBench(redis)), ...(await pgMailboxBench(postgres)) };
  } finally {
    await redis.stop();
    await postgres.stop();
  }
}
