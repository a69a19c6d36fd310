// Owns the flood benchmark: honest clients' round-trip p50 before and during a flood of every event kind by a few
// attacker keys (same relay, same run, its default limits), and the relay's peak RSS meanwhile. Loopback only.
import { rmSync } from 'node:fs';
import { RELAY_MAIN, startDriver, startServer, type Driver, type ServerProc } from './relay.bench.js';
import { round } from './stats.js';
import { tempDir } from '../test/temp.js';

/** Honest friend pairs, each client a signal and a mailbox fetch per round, a pause between rounds. */
const HONEST_PAIRS = 10;
const HONEST_PAUSE_MS = 20;
const BASELINE_MS = 3000;
/** Attacker keys, each on this many connections, each key with a friend that never reads. */
const ATTACK_KEYS = 4;
const CONNS_PER_KEY = 4;
const FLOOD_MS = 9000;
/** The honest probe starts this long into the flood (the flood has reached its pace) and ends before it does. */
const FLOOD_WARMUP_MS = 1500;
const PROBE_DURING_MS = 6000;
const RSS_SAMPLE_MS = 100;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function floodBench(): Promise<Record<string, number>> {
  const dataDir = tempDir('bw-bench-flood');
  let relay: ServerProc | undefined;
  const drivers: Driver[] = [];
  try {
    // Default limits: the point is what they hold off.
    relay = await startServer(RELAY_MAIN, ['--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir, '--static-dir', '', '--log-level', 'info', '--metrics-port', '0']);
    // Honest clients and attackers in separate processes, so the attackers' own CPU does not delay the honest ones' timers.
    const honest = startDriver();
    const attack = startDriver();
    drivers.push(honest, attack);
    await honest.ask({ op: 'honest', url: relay.url, pairs: HONEST_PAIRS }, 'honest-ready', 60_000);
    const rss0 = relay.rssBytes();
    const before = (await honest.ask({ op: 'probe', ms: BASELINE_MS, pauseMs: HONEST_PAUSE_MS }, 'probed', BASELINE_MS + 30_000)).stats;

    let peak = relay.rssBytes();
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peak = Math.max(peak, relay!.rssBytes());
        await sleep(RSS_SAMPLE_MS);
      }
    })();
    const flooded = attack.ask({ op: 'flood', url: relay.url, keys: ATTACK_KEYS, connsPerKey: CONNS_PER_KEY, ms: FLOOD_MS }, 'flooded', FLOOD_MS + 60_000);
    await sleep(FLOOD_WARMUP_MS);
    const during = (await honest.ask({ op: 'probe', ms: PROBE_DURING_MS, pauseMs: HONEST_PAUSE_MS }, 'probed', PROBE_DURING_MS + 30_000)).stats;
    const { stats: attackStats } = await flooded;
    sampling = false;
    await sampler;

    process.stderr.write(
      `bench: flood: honest p50 ${before.p50Ms} → ${during.p50Ms} ms, p99 ${before.p99Ms} → ${during.p99Ms} ms ` +
        `(${before.samples} / ${during.samples} samples, ${before.failures} / ${during.failures} failed); relay RSS ${(rss0 / 2 ** 20).toFixed(0)} → peak ${(peak / 2 ** 20).toFixed(0)} MiB; ` +
        `attackers sent ${attackStats.framesSent} frames, were disconnected ${attackStats.disconnects} times, answers ${JSON.stringify(attackStats.answers)}\n`,
    );
    return {
      flood_honest_p50_ms_before: before.p50Ms,
      flood_honest_p50_ms_during: during.p50Ms,
      flood_honest_p50_ratio: round(during.p50Ms / before.p50Ms, 3),
      flood_honest_p99_ms_during: during.p99Ms,
      flood_honest_failures: during.failures,
      flood_relay_rss_mb: round(peak / 2 ** 20, 1),
      flood_attack_frames: attackStats.framesSent,
      flood_attack_disconnects: attackStats.disconnects,
    };
  } finally {
    for (const d of drivers) await d.stop();
    await relay?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
