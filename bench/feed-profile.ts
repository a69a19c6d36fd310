// Owns the feed first paint's breakdown (not a figure in results.json): the bench's navigation with 100,000 posts, timed
// by stage from Navigation/Resource Timing, the core's stamps (client/core/trace.ts) and a Chromium trace.
// Run: npm run -s build && flock /tmp/bw-heavy.lock bash test/in-netns.sh node build/bench/feed-profile.js [runs]
import type { CDPSession, Page } from 'playwright-core';
import { reader, watchFirstPaint } from './feed.bench.js';

const RUNS = Number(process.argv[2] ?? 3);
const POSTS = 100_000;
/** `stamps`: no Chromium trace (it slows the page down about twofold): timings and the core's stamps only. */
const TRACE = process.argv[3] !== 'stamps';

type Win = Window & { __firstPost?: number; __bwTrace?: (s: string) => void; __bwStamps: [string, number][] };

/** Installed before the page's scripts: the core's stage stamps, in ms since navigation. */
const installStamps = () => {
  const w = window as unknown as Win;
  w.__bwStamps = [];
  w.__bwTrace = (s) => w.__bwStamps.push([s, performance.now()]);
};

interface TraceEvent {
  name: string;
  cat: string;
  ph: string;
  ts: number;
  dur?: number;
  tid: number;
  pid: number;
  args?: { data?: { url?: string; frame?: string } };
}

/** Collects one Chromium trace around `fn` (devtools.timeline: script, style, layout, paint on the renderer's main thread). */
async function traced(cdp: CDPSession, fn: () => Promise<void>): Promise<TraceEvent[]> {
  const events: TraceEvent[] = [];
  const onData = (e: { value: object[] }) => events.push(...(e.value as TraceEvent[]));
  cdp.on('Tracing.dataCollected', onData);
  await cdp.send('Tracing.start', {
    transferMode: 'ReportEvents',
    traceConfig: { includedCategories: ['devtools.timeline', 'v8.execute', 'blink.user_timing', 'loading', 'disabled-by-default-devtools.timeline', 'ServiceWorker', 'disabled-by-default-v8.cpu_profiler'] },
  });
  await fn();
  const done = new Promise<void>((r) => cdp.once('Tracing.tracingComplete', () => r()));
  await cdp.send('Tracing.end');
  await done;
  cdp.off('Tracing.dataCollected', onData);
  return events;
}

const KINDS = ['v8.evaluateModule', 'v8.compileModule', 'v8.compile', 'EvaluateScript', 'FunctionCall', 'ParseHTML', 'UpdateLayoutTree', 'Layout', 'Paint', 'PrePaint', 'Layerize', 'RunMicrotasks', 'TimerFire', 'FireAnimationFrame', 'EventDispatch', 'ParseAuthorStyleSheet', 'HitTest', 'Commit', 'v8.run', 'MajorGC', 'MinorGC', 'V8.GC_SCAVENGER'];

/** Renderer main-thread time by kind between t0 and t1 (µs): the outermost named event of each stretch counts; 'busy' is every task. */
function mainThread(events: TraceEvent[], t0: number, t1: number): Record<string, number> {
  const threads = new Set(events.filter((e) => e.ph === 'M' && (e as unknown as { args: { name: string } }).args?.name === 'CrRendererMain').map((e) => `${e.pid}:${e.tid}`));
  const on = events.filter((e) => e.ph === 'X' && threads.has(`${e.pid}:${e.tid}`) && e.ts >= t0 && e.ts < t1 && e.dur !== undefined).sort((a, b) => a.ts - b.ts);
  const kinds: Record<string, number> = {};
  let end = 0;
  for (const e of on.filter((e) => KINDS.includes(e.name))) {
    if (e.ts < end) continue;
    end = e.ts + e.dur!;
    kinds[e.name] = (kinds[e.name] ?? 0) + e.dur! / 1000;
  }
  end = 0;
  for (const e of on.filter((e) => e.name === 'RunTask' || e.name === 'ThreadControllerImpl::RunTask')) {
    if (e.ts < end) continue;
    end = e.ts + e.dur!;
    kinds.busy = (kinds.busy ?? 0) + e.dur! / 1000;
  }
  return kinds;
}

/** CPU samples (v8.cpu_profiler's ProfileChunk events) between t0 and t1: self time by function, in ms. */
function samples(events: TraceEvent[], t0: number, t1: number): [string, number][] {
  type Node = { id: number; parent?: number; callFrame: { functionName: string; url: string; lineNumber?: number } };
  const nodes = new Map<number, Node>();
  const self = new Map<string, number>();
  for (const e of events) {
    if (e.name !== 'ProfileChunk') continue;
    const d = (e.args as unknown as { data: { cpuProfile?: { nodes?: Node[]; samples?: number[] }; timeDeltas?: number[] } }).data;
    for (const n of d.cpuProfile?.nodes ?? []) nodes.set(n.id, n);
  }
  // Samples carry deltas from the profile's start (the 'Profile' event's startTime); per chunk they continue.
  const start = events.find((e) => e.name === 'Profile');
  let ts = (start?.args as unknown as { data?: { startTime?: number } })?.data?.startTime ?? 0;
  for (const e of events.filter((e) => e.name === 'ProfileChunk').sort((a, b) => a.ts - b.ts)) {
    const d = (e.args as unknown as { data: { cpuProfile?: { samples?: number[] }; timeDeltas?: number[] } }).data;
    const ids = d.cpuProfile?.samples ?? [];
    const deltas = d.timeDeltas ?? [];
    for (let i = 0; i < ids.length; i++) {
      const dt = deltas[i] ?? 0;
      ts += dt;
      if (ts < t0 || ts > t1) continue;
      const n = nodes.get(ids[i]!);
      const f = n?.callFrame;
      const key = f ? `${f.functionName || '(anon)'} ${(f.url ?? '').replace(/^.*\//, '')}:${f.lineNumber ?? ''}` : '?';
      self.set(key, (self.get(key) ?? 0) + (deltas[i + 1] ?? dt) / 1000);
    }
  }
  return [...self].sort((a, b) => b[1] - a[1]).slice(0, 25);
}

async function one(page: Page, cdp: CDPSession, url: string): Promise<void> {
  await page.goto('about:blank');
  const go = async () => {
    await page.goto(url);
    await page.waitForFunction(() => (window as unknown as Win).__firstPost !== undefined);
  };
  const events = TRACE ? await traced(cdp, go) : (await go(), []);
  const t = await page.evaluate(() => {
    const w = window as unknown as Win;
    const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
    const res = (performance.getEntriesByType('resource') as PerformanceResourceTiming[]).map((r) => [r.name.replace(location.origin, ''), r.startTime, r.responseEnd, r.workerStart] as const);
    return { nav: nav.toJSON() as Record<string, number>, res, stamps: w.__bwStamps, first: w.__firstPost!, origin: performance.timeOrigin };
  });
  const line = (label: string, ms: number) => console.log(`  ${ms.toFixed(1).padStart(7)}  ${label}`);
  console.log(`run: first post painted at ${t.first.toFixed(1)} ms`);
  for (const k of ['workerStart', 'fetchStart', 'requestStart', 'responseStart', 'responseEnd', 'domInteractive', 'domContentLoadedEventStart', 'domContentLoadedEventEnd'] as const) if (t.nav[k]) line(`nav.${k}`, t.nav[k]!);
  for (const [name, start, end, ws] of t.res) line(`res ${name} (start; worker ${ws ? ws.toFixed(1) : '-'}; end ${end.toFixed(1)})`, start);
  // The core's stamps in order (store.<call> and store.<call>.done), up to a little after the first post.
  for (const [name, at] of t.stamps) if (at <= t.first + 20) line(name, at);
  line('first post painted', t.first);
  if (!TRACE) return;
  // Main thread between navigation start and first paint.
  const navStart = events.find((e) => e.name === 'navigationStart' && e.cat.includes('blink.user_timing'));
  const t0 = navStart?.ts ?? Math.min(...events.filter((e) => e.ts > 0).map((e) => e.ts));
  const kinds = mainThread(events, t0, t0 + t.first * 1000);
  console.log('  main thread (ms) until first post:');
  for (const [k, v] of Object.entries(kinds).sort((a, b) => b[1] - a[1])) if (v >= 1) line(k, v);
  console.log('  CPU self time (ms) until first post, top functions:');
  for (const [k, v] of samples(events, t0, t0 + t.first * 1000)) if (v >= 2) line(k, v);
  // Script evaluation per URL.
  const evals = events.filter((e) => e.ph === 'X' && (e.name === 'v8.evaluateModule' || e.name === 'v8.compileModule' || e.name === 'EvaluateScript') && e.ts >= t0 && e.ts < t0 + t.first * 1000);
  for (const e of evals) if (e.dur! >= 1000) line(`${e.name} at ${((e.ts - t0) / 1000).toFixed(1)} ${e.args?.data?.url?.replace(/^.*\//, '') ?? ''}`, e.dur! / 1000);
}

async function main(): Promise<void> {
  const { relay, page, close } = await reader(POSTS);
  try {
    await page.context().addInitScript(watchFirstPaint);
    await page.context().addInitScript(installStamps);
    const cdp = await page.context().newCDPSession(page);
    for (let i = 0; i < RUNS; i++) {
      await one(page, cdp, relay.url);
      await page.locator('bw-feed[data-relay=connected]').waitFor();
    }
  } finally {
    await close();
  }
}

await main();
