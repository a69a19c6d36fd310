// Owns `npm run bench`: runs every benchmark, prints a table, writes bench/results.json (flat named numbers).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { sealBench } from './seal.bench.js';
import { p2pBench } from './p2p.bench.js';
import { bundleBench } from './bundle.bench.js';
import { feedBench } from './feed.bench.js';

const BENCHES: [string, () => Promise<Record<string, number>>][] = [
  ['seal', sealBench],
  ['p2p', p2pBench],
  ['feed', feedBench],
  ['bundle', bundleBench],
];

/** What each figure is held against, for the table (the JSON carries numbers only). */
const TARGETS: Record<string, string> = {
  seal_100_friends_ratio: '≤ 1.25 × bare primitives',
  channel_open_ms: '< 500 ms',
  post_latency_p2p_p50_ms: '< 20 ms',
  post_latency_relay_p50_ms: '< 50 ms',
  bw_feed_bundle_gzip_kb: '≤ 100 KB',
  feed_first_paint_10k_ms: '< 200 ms',
};

const only = process.argv.slice(2);
const results: Record<string, number> = {};
for (const [name, run] of BENCHES) {
  if (only.length && !only.includes(name)) continue;
  const t0 = performance.now();
  process.stderr.write(`bench: ${name}…\n`);
  Object.assign(results, await run());
  process.stderr.write(`bench: ${name} done in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
}

const width = Math.max(...Object.keys(results).map((k) => k.length));
console.log(`\n${'figure'.padEnd(width)}  ${'value'.padStart(10)}  target`);
for (const [k, v] of Object.entries(results)) console.log(`${k.padEnd(width)}  ${String(v).padStart(10)}  ${TARGETS[k] ?? ''}`);
const out = fileURLToPath(new URL('../../bench/results.json', import.meta.url));
writeFileSync(out, JSON.stringify(results, null, 2) + '\n');
console.log(`\nwrote ${out}`);
