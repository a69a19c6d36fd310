// Owns the sealing benchmark's two runs: in this Node process, and the same code bundled into Chromium.
import { runInChromium } from './in-chromium.js';
import { runSealBench } from './seal-core.js';

export async function sealBench(): Promise<Record<string, number>> {
  const node = runSealBench();
  const chromium = await runInChromium<Record<string, number>>(new URL('./seal-core.js', import.meta.url), 'runSealBench', [[100]]);
  return {
    seal_1_friends_ms: node.seal_1_friends_ms!,
    seal_10_friends_ms: node.seal_10_friends_ms!,
    seal_100_friends_ms: node.seal_100_friends_ms!,
    seal_1000_friends_ms: node.seal_1000_friends_ms!,
    seal_100_friends_ops_per_s: node.seal_100_friends_ops_per_s!,
    seal_100_friends_baseline_ms: node.seal_100_friends_baseline_ms!,
    seal_100_friends_ratio: node.seal_100_friends_ratio!,
    seal_1000_friends_ratio: node.seal_1000_friends_ratio!,
    open_post_ms: node.open_post_ms!,
    seal_100_friends_ms_chromium: chromium.seal_100_friends_ms!,
    seal_100_friends_ratio_chromium: chromium.seal_100_friends_ratio!,
    open_post_ms_chromium: chromium.open_post_ms!,
  };
}
