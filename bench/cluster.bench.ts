// Owns the cluster benchmark (issue 13): signal round trips across two relay nodes joined by Redis against both ends
// on one node, and the PostgreSQL mailbox's stores/s against raw batched inserts into the same table — each pair in
// the same run, on throwaway servers on loopback. Skipped, with a note, when redis-server or PostgreSQL is missing.
import pg from 'pg';
import { DEFAULTS } from '../signaling/config.js';
import { openPostgresStore } from '../signaling/store/postgres.js';
import { startRelay, type RelayProcess } from '../test/e2e/relay-process.js';
import { call, connectAs, type ClientSocket } from '../test/node/relay-harness.js';
import { missingServers, startPostgres, startRedis, type PostgresServer, type RedisServer } from '../test/db-servers.js';
import { percentile, round } from './stats.js';

/** Ping-pong pairs at once: enough to queue a little, few enough that the driver (this process) is not the limit. */
const PAIRS = 20;
/** Same-node and cross-node take turns, this many windows each, so a burst of other load hits both alike. */
const SIGNAL_ROUNDS = 3;
const SIGNAL_WINDOW_MS = 2000;
/** Per pair and window, a second bound besides time. */
const SIGNAL_MAX_PINGS = 20_000;
const NO_RATE_LIMIT = '1000000';

const MAILBOX_ROWS = 5000;
/** putMany calls fired together (one group commit), and rows per raw INSERT transaction: the same, as bench/relay.bench.ts. */
const MAILBOX_WAVE = 100;
const MAILBOX_ROUNDS = 3;
const MAILBOX_CAP_MS = 20_000;

type Pair = { a: ClientSocket; b: ClientSocket; aKey: string; bKey: string };

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
  return { a: a.socket, b: b.socket, aKey: a.key, bKey: b.key };
}

/** Every pair pings its partner back to back for the window; returns each round trip in ms. */
async function pingWindow(pairs: readonly Pair[]): Promise<number[]> {
  const samples: number[] = [];
  const end = performance.now() + SIGNAL_WINDOW_MS;
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
        p.a.emit('signal:send', { to: p.bKey, data: { kind: 'ping', n } }, () => {});
        await pong;
        samples.push(performance.now() - t0);
      }
    }),
  );
  return samples;
}

async function signalBench(redis: RedisServer): Promise<Record<string, number>> {
  const nodes: RelayProcess[] = [];
  const sockets: ClientSocket[] = [];
  try {
    for (let i = 0; i < 2; i++) {
      nodes.push(await startRelay({ args: ['--redis-url', redis.url, '--static-dir', '', '--rate-limit', NO_RATE_LIMIT, '--key-rate-limit', NO_RATE_LIMIT] }));
    }
    const [n1, n2] = [nodes[0]!.url, nodes[1]!.url];
    const same: Pair[] = [];
    const cross: Pair[] = [];
    for (let i = 0; i < PAIRS; i++) same.push(await pair(n1, n1, i));
    for (let i = 0; i < PAIRS; i++) cross.push(await pair(n1, n2, PAIRS + i));
    for (const p of [...same, ...cross]) sockets.push(p.a, p.b);
    await pingWindow(same); // warm-up, both paths
    await pingWindow(cross);
    const s: number[] = [];
    const c: number[] = [];
    for (let r = 0; r < SIGNAL_ROUNDS; r++) {
      s.push(...(await pingWindow(same)));
      c.push(...(await pingWindow(cross)));
    }
    const [sP50, sP99, cP50, cP99] = [percentile(s, 50), percentile(s, 99), percentile(c, 50), percentile(c, 99)];
    return {
      cluster_signal_same_node_p50_ms: round(sP50, 2),
      cluster_signal_same_node_p99_ms: round(sP99, 2),
      cluster_signal_cross_node_p50_ms: round(cP50, 2),
      cluster_signal_cross_node_p99_ms: round(cP99, 2),
      cluster_signal_same_node_rtt_per_s: Math.round(s.length / ((SIGNAL_ROUNDS * SIGNAL_WINDOW_MS) / 1000)),
      cluster_signal_cross_node_rtt_per_s: Math.round(c.length / ((SIGNAL_ROUNDS * SIGNAL_WINDOW_MS) / 1000)),
      cluster_signal_p99_ratio: round(cP99 / sP99, 3),
    };
  } finally {
    for (const s of sockets) s.close();
    for (const n of nodes) await n.stop();
  }
}

type Row = { to: string; from: string; env: string; expires: number };
const key = (i: number) => `k${i}`.padEnd(42, 'x') + 'A';

function mailboxRows(): Row[] {
  const env = 'e'.repeat(600); // about a sealed post's size in base64url
  const expires = Date.now() + 24 * 3600_000;
  return Array.from({ length: MAILBOX_ROWS }, (_, i) => ({ to: key(i % 500), from: key(1000 + (i % 7)), env, expires }));
}

async function rowsPerSecond(rows: readonly Row[], run: (chunk: readonly Row[]) => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  let done = 0;
  while (done < rows.length && performance.now() - t0 < MAILBOX_CAP_MS) {
    const chunk = rows.slice(done, done + MAILBOX_WAVE);
    await run(chunk);
    done += chunk.length;
  }
  return done / ((performance.now() - t0) / 1000);
}

/** Our store as the relay uses it: one putMany per mailbox:put, a wave of them grouped into one commit. */
async function oursOnce(server: PostgresServer, rows: readonly Row[], n: number): Promise<number> {
  const store = await openPostgresStore({ databaseUrl: await server.createDatabase(`bench_ours_${n}`), queueQuota: DEFAULTS.queueQuota, senderQuota: DEFAULTS.senderQuota });
  try {
    return await rowsPerSecond(rows, async (wave) => {
      for (const [r] of await Promise.all(wave.map((row) => store.putMany([row])))) {
        if (!r || 'error' in r) throw new Error(`mailbox put refused: ${r && 'error' in r ? r.error.message : 'no result'}`);
      }
    });
  } finally {
    await store.close();
  }
}

/** Plain multi-row INSERTs, one transaction per wave, into the very table our store creates (made by opening it first). */
async function rawOnce(server: PostgresServer, rows: readonly Row[], n: number): Promise<number> {
  const databaseUrl = await server.createDatabase(`bench_raw_${n}`);
  await (await openPostgresStore({ databaseUrl, queueQuota: 1, senderQuota: 1 })).close();
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    return await rowsPerSecond(rows, async (chunk) => {
      await c.query('BEGIN');
      await c.query('INSERT INTO mailbox (recipient, sender, env, expires) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[])', [
        chunk.map((r) => r.to), chunk.map((r) => r.from), chunk.map((r) => r.env), chunk.map((r) => r.expires),
      ]);
      await c.query('COMMIT');
    });
  } finally {
    await c.end();
  }
}

async function pgMailboxBench(server: PostgresServer): Promise<Record<string, number>> {
  const rows = mailboxRows();
  let ours = 0;
  let raw = 0;
  for (let r = 0; r < MAILBOX_ROUNDS; r++) {
    ours = Math.max(ours, await oursOnce(server, rows, r));
    raw = Math.max(raw, await rawOnce(server, rows, r));
  }
  return { pg_mailbox_stores_per_s: Math.round(ours), pg_raw_batched_inserts_per_s: Math.round(raw), pg_mailbox_store_ratio: round(ours / raw, 3) };
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
