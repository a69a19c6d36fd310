// Owns the delivery benchmarks in real Chromium on loopback: data channel open time and post → feed latency, direct and via relay.
import type { Page } from 'playwright-core';
import { launchChromium } from '../test/e2e/browser.js';
import { startRelay } from '../test/e2e/relay-process.js';
import { acceptInvite, befriend, createIdentity, makeInvite, post, reopen } from '../test/e2e/flow.js';
import { percentile, round } from './stats.js';
import { writeFileSync } from 'node:fs';

const POSTS = 40;
const REOPENS = 5;

type Win = Window & { __bw: { lat: number[]; status: { t: number; relay: string; direct: number }[] } };

/** Records, in the page, each friend post's latency (arrival − author's timestamp) and each status change. */
const recorder = () => {
  const w = window as unknown as Win;
  w.__bw = { lat: [], status: [] };
  document.addEventListener('bw-post', (e) => w.__bw.lat.push(Date.now() - (e as CustomEvent<{ ts: number }>).detail.ts));
  document.addEventListener('bw-status', (e) => w.__bw.status.push({ t: performance.now(), ...(e as CustomEvent<{ relay: string; direct: number }>).detail }));
};

const latencies = (p: Page) => p.evaluate(() => (window as unknown as Win).__bw.lat);

/** BW_TRACE=1: every page stamps the stages of client/core/trace.ts; the run prints a per-stage breakdown. */
const TRACE = process.env.BW_TRACE === '1';
/** BW_PROFILE=<prefix>: a CPU profile of each reader during the posts, written to <prefix>-<name>.cpuprofile. */
const PROFILE = process.env.BW_PROFILE;
const GAP = Number(process.env.BW_TRACE_GAP ?? 0);
type Stamps = [string, number][];
type TWin = Window & { __bwTrace?: (s: string) => void; __bwStamps: Stamps };
const tracer = () => {
  const w = window as unknown as TWin;
  w.__bwStamps = [];
  w.__bwTrace = (s) => w.__bwStamps.push([s, performance.timeOrigin + performance.now()]);
};
const takeStamps = (p: Page): Promise<Stamps> => p.evaluate(() => (window as unknown as TWin).__bwStamps.splice(0));

/** Per page: stage → offsets (ms after the author's ts stamp) of its first stamp in each post; store calls and time. */
function breakdown(runs: Record<string, Stamps>[]): void {
  const first = new Map<string, number[]>();
  const add = (k: string, v: number) => first.set(k, [...(first.get(k) ?? []), v]);
  for (const run of runs) {
    const t0 = run.Alice!.find(([s]) => s === 'post.ts')?.[1];
    const cut = run.Alice!.find(([s]) => s === 'compose')?.[1];
    if (t0 === undefined || cut === undefined) continue;
    for (const [page, stamps] of Object.entries(run)) {
      const seen = new Set<string>();
      const open = new Map<string, number[]>();
      let calls = 0;
      let busy = 0;
      for (const [st, t] of stamps) {
        const s = t < cut ? `(prev) ${st}` : st; // still busy with the post before
        if (!seen.has(s)) {
          seen.add(s);
          add(`${page} ${s}`, t - t0);
        }
        if (s.startsWith('store.') && !s.endsWith('.done')) {
          calls++;
          open.set(s, [...(open.get(s) ?? []), t]);
        } else if (s.endsWith('.done')) {
          const st = open.get(s.slice(0, -5))?.shift();
          if (st !== undefined) busy += t - st;
        }
      }
      add(`${page} #store-calls`, calls);
      add(`${page} #store-ms(sum)`, busy);
    }
  }
  const rows = [...first].map(([k, v]) => [k, percentile(v, 50), percentile(v, 99), v.length] as const);
  rows.sort((a, b) => a[0].split(' ')[0]!.localeCompare(b[0].split(' ')[0]!) || a[1] - b[1]);
  console.log('\nstage (first stamp per post; ms after the author\'s ts)        p50      p99     n');
  for (const [k, p50, p99, n] of rows) console.log(`${k.padEnd(58)} ${p50.toFixed(1).padStart(8)} ${p99.toFixed(1).padStart(8)} ${String(n).padStart(5)}`);
}

/** Self time by function in a CPU profile, top `n`. */
function topSelf(profile: { nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[]; samples: number[]; timeDeltas: number[] }, n = 25): string {
  const byId = new Map(profile.nodes.map((x) => [x.id, x]));
  const self = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const f = byId.get(id)!.callFrame;
    const k = `${f.functionName || '(anon)'} ${f.url.split('/').pop()}:${f.lineNumber + 1}`;
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    total += dt;
    self.set(k, (self.get(k) ?? 0) + dt);
  });
  return [...self].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => `${v.toFixed(1).padStart(8)} ms ${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`).join('\n') + `\n total ${total.toFixed(0)} ms`;
}

export async function p2pBench(): Promise<Record<string, number>> {
  const relay = await startRelay();
  const browser = await launchChromium();
  try {
    const openUser = async (url: string, name: string) => {
      const ctx = await browser.newContext();
      if (TRACE) await ctx.addInitScript(tracer);
      return createIdentity(await reopen(ctx, url, name), name);
    };
    const alice = await openUser(relay.url, 'Alice');
    const bob = await openUser(relay.url, 'Bob');
    const carol = await openUser(`${relay.url}/?direct=off`, 'Carol'); // relay-only friend
    await befriend(alice, bob, 'Alice', 'Bob');
    await acceptInvite(carol, await makeInvite(alice));
    await alice.locator('bw-feed ul[part=friends] li').nth(1).waitFor({ state: 'attached' });
    for (const p of [bob, carol]) await p.evaluate(recorder);

    const pages = { Alice: alice, Bob: bob, Carol: carol };
    const cdps = PROFILE ? await Promise.all([bob, carol].map(async (p) => {
      const cdp = await p.context().newCDPSession(p);
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
      await cdp.send('Profiler.start');
      return cdp;
    })) : [];
    const runs: Record<string, Stamps>[] = [];
    if (TRACE) for (const p of Object.values(pages)) await takeStamps(p);
    for (let i = 0; i < POSTS; i++) {
      await post(alice, `bench post ${i}`);
      await Promise.all([bob, carol].map((p) => p.waitForFunction((n) => (window as unknown as Win).__bw.lat.length >= n, i + 1)));
      if (TRACE) {
        if (GAP) await new Promise((r) => setTimeout(r, GAP)); // BW_TRACE_GAP: idle between posts (stamps only)
        runs.push(Object.fromEntries(await Promise.all(Object.entries(pages).map(async ([k, p]) => [k, await takeStamps(p)] as const))));
      }
    }
    for (const [i, cdp] of cdps.entries()) {
      const { profile } = await cdp.send('Profiler.stop');
      const name = ['bob', 'carol'][i]!;
      writeFileSync(`${PROFILE}-${name}.cpuprofile`, JSON.stringify(profile));
      console.log(`\nCPU profile of ${name} (self time):\n${topSelf(profile as never)}`);
    }
    if (TRACE) breakdown(runs);
    const direct = await latencies(bob);
    const viaRelay = await latencies(carol);

    // Channel open: Bob's page reopens; from relay login to the channel with Alice being open.
    await bob.context().addInitScript(recorder);
    const opens: number[] = [];
    for (let i = 0; i < REOPENS; i++) {
      await bob.reload();
      await bob.waitForFunction(() => (window as unknown as Win).__bw.status.some((s) => s.direct >= 1));
      opens.push(await bob.evaluate(() => {
        const st = (window as unknown as Win).__bw.status;
        return st.find((s) => s.direct >= 1)!.t - st.find((s) => s.relay === 'connected')!.t;
      }));
    }
    return {
      channel_open_ms: round(percentile(opens, 50), 1),
      post_latency_p2p_p50_ms: percentile(direct, 50),
      post_latency_p2p_p99_ms: percentile(direct, 99),
      post_latency_relay_p50_ms: percentile(viaRelay, 50),
      post_latency_relay_p99_ms: percentile(viaRelay, 99),
    };
  } finally {
    await browser.close();
    await relay.stop();
  }
}
