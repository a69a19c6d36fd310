// Owns the relay-abuse benchmark (issue 30): for each attack in bench/abuse-clients.ts, against a real relay with its
// default limits, what honest clients see before and during it (round-trip p50, photo uploads stored) and the relay's
// peak RSS. Attackers and honest clients run in driver processes of their own. Loopback only, every phase bounded.
import { rmSync } from 'node:fs';
import { RELAY_MAIN, startDriver, startServer, type Driver, type ServerProc } from './relay.bench.js';
import type { AttackKind, AttackStats } from './abuse-clients.js';
import type { ProbeStats } from './flood-clients.js';
import { round } from './stats.js';
import { tempDir } from '../test/temp.js';

const HONEST_PAIRS = 10;
const HONEST_PAUSE_MS = 20;
const PROBE_MS = 4000;
const ATTACK_MS = 8000;
/** The probe starts this long into the attack, once it has reached its pace, and ends before it does. */
const WARMUP_MS = 1500;
/** Honest uploads are tried for this long, without and then with the upload attack running (its trickle's grace included). */
const UPLOADS_MS = 14_000;
const RSS_SAMPLE_MS = 100;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface AttackRun {
  before: ProbeStats;
  during: ProbeStats;
  rssPeakMb: number;
  stats: AttackStats;
}

/** A relay with `args` on loopback, an honest driver and an attack driver; `fn` runs with them, all stopped after. */
export async function withRelay<T>(args: string[], fn: (url: string, relay: ServerProc, honest: Driver, attacker: Driver) => Promise<T>): Promise<T> {
  const dataDir = tempDir('bw-abuse');
  let relay: ServerProc | undefined;
  const drivers: Driver[] = [];
  try {
    relay = await startServer(RELAY_MAIN, ['--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir, '--static-dir', '', '--log-level', 'info', '--metrics-port', 'off', ...args]);
    drivers.push(startDriver(), startDriver());
    return await fn(relay.url, relay, drivers[0]!, drivers[1]!);
  } finally {
    for (const d of drivers) await d.stop();
    await relay?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Honest round trips before and during one attack, with the relay's peak RSS while it runs. */
export async function runAttack(kind: AttackKind, url: string, relay: ServerProc, honest: Driver, attacker: Driver, ms = ATTACK_MS): Promise<AttackRun> {
  await honest.ask({ op: 'honest', url, pairs: HONEST_PAIRS }, 'honest-ready', 60_000);
  const before = (await honest.ask({ op: 'probe', ms: PROBE_MS, pauseMs: HONEST_PAUSE_MS }, 'probed', PROBE_MS + 30_000)).stats;
  await attacker.ask({ op: 'arm', kind, url }, 'armed', 120_000);
  let peak = relay.rssBytes();
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      peak = Math.max(peak, relay.rssBytes());
      await sleep(RSS_SAMPLE_MS);
    }
  })();
  try {
    const attacked = attacker.ask({ op: 'attack', ms }, 'attacked', ms + 60_000);
    await sleep(WARMUP_MS);
    const during = (await honest.ask({ op: 'probe', ms: Math.min(PROBE_MS, ms - WARMUP_MS), pauseMs: HONEST_PAUSE_MS }, 'probed', ms + 30_000)).stats;
    const { stats } = await attacked;
    return { before, during, rssPeakMb: round(peak / 2 ** 20, 1), stats };
  } finally {
    sampling = false;
    await sampler;
  }
}

/** Honest uploads without the upload attack, then with it: how many of those tried were stored, each time. */
export async function runUploads(url: string, honest: Driver, attacker: Driver, ms = UPLOADS_MS, trickleMs?: number) {
  const alone = await honest.ask({ op: 'uploads', url, ms }, 'uploaded', ms + 60_000);
  await attacker.ask({ op: 'arm', kind: 'upload', url, ...(trickleMs && { trickleMs }) }, 'armed', 120_000);
  const attacked = attacker.ask({ op: 'attack', ms: ms + 2000 }, 'attacked', ms + 60_000);
  await sleep(1000); // every attacker has announced its uploads
  const during = await honest.ask({ op: 'uploads', url, ms }, 'uploaded', ms + 60_000);
  const { stats } = await attacked;
  return { alone, during, stats };
}

const say = (kind: string, r: AttackRun) =>
  process.stderr.write(
    `bench: abuse: ${kind}: honest p50 ${r.before.p50Ms} → ${r.during.p50Ms} ms, p99 ${r.before.p99Ms} → ${r.during.p99Ms} ms ` +
      `(${r.during.failures} failed); relay RSS peak ${r.rssPeakMb} MiB; attack answers ${JSON.stringify(r.stats.answers)}\n`,
  );

export async function abuseBench(): Promise<Record<string, number>> {
  const presence = await withRelay([], (url, relay, h, a) => runAttack('presence', url, relay, h, a));
  say('presence', presence);
  const sink = await withRelay([], (url, relay, h, a) => runAttack('sink', url, relay, h, a));
  say('sink', sink);
  const uploads = await withRelay([], (url, _relay, h, a) => runUploads(url, h, a));
  process.stderr.write(
    `bench: abuse: upload: honest stored ${uploads.alone.stored}/${uploads.alone.tried} alone, ${uploads.during.stored}/${uploads.during.tried} during the attack ` +
      `(refusals ${JSON.stringify(uploads.during.refusals)}); attack answers ${JSON.stringify(uploads.stats.answers)}\n`,
  );
  const share = (u: { tried: number; stored: number }) => (u.tried ? u.stored / u.tried : 0);
  return {
    presence_attack_honest_p50_ratio: round(presence.during.p50Ms / presence.before.p50Ms, 3),
    presence_attack_rss_mb: presence.rssPeakMb,
    sink_conns_attack_rss_mb: sink.rssPeakMb,
    sink_conns_attack_honest_p50_ratio: round(sink.during.p50Ms / sink.before.p50Ms, 3),
    upload_attack_honest_success_ratio: round(share(uploads.during) / share(uploads.alone), 3),
  };
}
