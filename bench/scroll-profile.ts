// Owns the scroll profile (not a bench figure): what the slow frames of feed.bench's scroll are made of, from a CDP trace.
// Run: npm run -s build && flock /tmp/bw-heavy.lock bash test/in-netns.sh node build/bench/scroll-profile.js [posts]
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { TraceMap, originalPositionFor } from '@jridgewell/trace-mapping';
import { reader, scrollFrames, CARD_COUNT } from './feed.bench.js';
import { percentile, round } from './stats.js';
import { statCpuSeconds, statName } from './proc-cpu.js';

interface Ev { name: string; cat: string; ph: string; ts: number; dur?: number; pid: number; tid: number; args?: Record<string, any> }

// BW_TRACE_FILE=path: analyse a saved trace instead of running; BW_TRACE_OUT=path: save the trace taken.
// BW_EXPERIMENT: a function body run in the page before the scroll, traced or plain (to try a change without a rebuild).
const mapCache = new Map<string, TraceMap | undefined>();
const POSTS = Number(process.argv[2] ?? 100_000);
// BW_TRACE_CATS: other categories (e.g. the compositor's and raster's: devtools.timeline,disabled-by-default-devtools.timeline,cc,viz,blink.user_timing;
// add disabled-by-default-blink.invalidation for what Blink invalidated, see rasterAndInvalidations).
const CATS = process.env.BW_TRACE_CATS?.split(',') ?? ['devtools.timeline', 'disabled-by-default-devtools.timeline.frame', 'blink.user_timing', 'v8.execute', 'disabled-by-default-v8.cpu_profiler'];

if (process.env.BW_TRACE_FILE) {
  const { events, frames } = JSON.parse(readFileSync(process.env.BW_TRACE_FILE, 'utf8')) as { events: Ev[]; frames: number[] };
  analyse(events, frames);
  process.exit(0);
}
const { relay, browser, page, close } = await reader(POSTS);
try {
  await page.goto('about:blank');
  await page.goto(relay.url);
  await page.locator('bw-feed[data-relay=connected]').waitFor();
  await page.waitForTimeout(1500); // idle work after start-up (warm relative time) out of the trace
  if (process.env.BW_PLAIN) await plain(page);
  else await traced(browser, page);
} finally {
  await close();
}

/** Runs BW_EXPERIMENT, if set, in the page (before the scroll, traced or plain). */
async function experiment(page: import('playwright-core').Page): Promise<void> {
  if (process.env.BW_EXPERIMENT) await page.evaluate((src) => new Function(src)(), process.env.BW_EXPERIMENT);
}

/** The scroll under a trace (CATS), saved to BW_TRACE_OUT if set, then analysed. */
async function traced(browser: import('playwright-core').Browser, page: import('playwright-core').Page): Promise<void> {
  // The change tried goes in before the trace starts, so its own style work is not in it.
  await experiment(page);
  // The browser's session traces every process (the renderer, and the GPU process that composites and draws).
  const cdp = await browser.newBrowserCDPSession();
  const events: Ev[] = [];
  cdp.on('Tracing.dataCollected', (d) => { for (const e of d.value as unknown as Ev[]) events.push(e); });
  const done = new Promise<void>((r) => cdp.once('Tracing.tracingComplete', () => r()));
  await cdp.send('Tracing.start', { traceConfig: { includedCategories: CATS, excludedCategories: ['*'] }, transferMode: 'ReportEvents' } as never);
  await page.evaluate(() => performance.mark('scroll-start'));
  const frames = await scrollFrames(page, true);
  await cdp.send('Tracing.end');
  await done;
  console.log(`frames ${frames.length}, p50 ${round(percentile(frames, 50), 1)}, p95 ${round(percentile(frames, 95), 1)}, max ${round(Math.max(...frames), 1)}, cards ${await page.evaluate((src) => (new Function(`return (${src})()`) as () => number)(), CARD_COUNT.toString())}`);
  if (process.env.BW_TRACE_OUT) writeFileSync(process.env.BW_TRACE_OUT, JSON.stringify({ events, frames }));
  analyse(events, frames);
}

/**
 * The scroll without a trace, each frame tagged with the cards added in it and whether a page was asked for (bw-more):
 * frame times per kind of frame, to see which kind makes the p95.
 */
async function plain(page: import('playwright-core').Page): Promise<void> {
  for (let run = 0; run < Number(process.env.BW_PLAIN); run++) {
    if (run) {
      await page.goto('about:blank');
      await page.goto(relay.url);
      await page.locator('bw-feed[data-relay=connected]').waitFor();
      await page.waitForTimeout(1500);
    }
    await experiment(page);
    const cpu0 = chromiumCpu();
    const rows = await Promise.race([stalled(), page.evaluate(([want, cardsSrc]) => new Promise<[number, number, number, number][]>((resolve) => {
      const cards = new Function(`return (${cardsSrc})()`) as () => number;
      const rows: [number, number, number, number][] = [];
      let more = 0;
      document.addEventListener('bw-more', () => more++, true);
      let last = performance.now();
      let had = cards();
      const t0 = last;
      const tick = (t: number) => {
        const n = cards();
        const s0 = performance.now();
        window.scrollBy(0, 240);
        rows.push([t - last, n - had, more, performance.now() - s0]);
        had = n;
        more = 0;
        last = t;
        if (n >= want || t - t0 > 120_000) resolve(rows.slice(2));
        else requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    }), [2000, CARD_COUNT.toString()] as const)]);
    const all = rows.map((r) => r[0]);
    printCpu(cpu0, chromiumCpu(), rows.reduce((n, r) => n + r[1], 0));
    const sb = rows.map((r) => r[3]);
    console.log(`  scrollBy (forced style+layout): p50 ${round(percentile(sb, 50), 2)}, p90 ${round(percentile(sb, 90), 2)}, p95 ${round(percentile(sb, 95), 2)}, total ${round(sb.reduce((a, b) => a + b, 0), 0)} ms`);
    console.log(`run ${run}: frames ${rows.length}, p50 ${round(percentile(all, 50), 1)}, p90 ${round(percentile(all, 90), 1)}, p95 ${round(percentile(all, 95), 1)}, p99 ${round(percentile(all, 99), 1)}`);
    const p95 = percentile(all, 95);
    // By quarter of the scroll: whether frames grow slower as cards pile up behind the reader.
    const q = Math.ceil(all.length / 4);
    console.log(`  by quarter p95: ${[0, 1, 2, 3].map((i) => round(percentile(all.slice(i * q, (i + 1) * q), 95), 1)).join(', ')}`);
    const groups = new Map<string, [number, number][]>();
    for (const [d, added, more, sb] of rows) {
      const k = `${more ? 'more ' : ''}+${Math.min(added, 9)}`;
      groups.set(k, [...(groups.get(k) ?? []), [d, sb]]);
    }
    for (const [k, g] of [...groups].sort()) {
      const ds = g.map((x) => x[0]);
      const sbs = g.map((x) => x[1]);
      console.log(`  ${k.padEnd(8)} n ${String(ds.length).padStart(5)}  p50 ${round(percentile(ds, 50), 1)}  p95 ${round(percentile(ds, 95), 1)}  ≥p95: ${String(ds.filter((d) => d >= p95).length).padStart(3)}   scrollBy p50 ${round(percentile(sbs, 50), 2)} p95 ${round(percentile(sbs, 95), 2)}`);
    }
    // The sequence of the slow frames' kinds, with the two frames before each.
    const slowAt = rows.map((r, i) => (r[0] >= p95 ? i : -1)).filter((i) => i >= 2).slice(0, 12);
    console.log('  slow frames in context (dur/+cards/scrollBy):', slowAt.map((i) => rows.slice(i - 2, i + 1).map((r) => `${round(r[0], 0)}/+${r[1]}${r[2] ? 'M' : ''}/${round(r[3], 1)}`).join(' ')).join(' | '));
  }
}

/**
 * CPU time (ms) each Chromium thread has used so far, keyed by process type and thread name ("renderer/Compositor",
 * "gpu-process/VizCompositorTh"; a process's main thread carries the process name, "renderer/chromium"), from /proc
 * (Linux). A scroll-through's CPU per card moves with the machine's load as its frame times do, but as a mean rather than
 * a tail it is steadier between runs close in time, and it says which thread a change moved: compare two versions of
 * a card by it in alternating runs.
 */
function chromiumCpu(): Map<string, number> {
  const out = new Map<string, number>();
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (!cmd.includes('chromium')) continue;
      const type = /--type=([\w-]+)/.exec(cmd)?.[1] ?? 'browser';
      for (const tid of readdirSync(`/proc/${pid}/task`)) {
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        const key = `${type}/${statName(stat).replace(/\d+$/, '')}`;
        out.set(key, (out.get(key) ?? 0) + statCpuSeconds(stat) * 1000);
      }
    } catch {
      // the process or thread ended while being read
    }
  }
  return out;
}

/** CPU per card each thread (type/name) used between two chromiumCpu readings, busiest first, and the total. */
function printCpu(before: Map<string, number>, after: Map<string, number>, cards: number): void {
  const used = [...after].map(([k, v]) => [k, v - (before.get(k) ?? 0)] as const).filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1]);
  const total = used.reduce((n, [, v]) => n + v, 0);
  console.log(`cpu per card ${round(total / cards, 2)} ms (${round(total, 0)} ms, ${cards} cards): ${used.slice(0, 6).map(([k, v]) => `${k} ${round(v / cards, 2)}`).join(', ')}`);
}

/**
 * Fails a plain scroll-through still running after 3 minutes (one takes 15-30 s): Chromium has stopped drawing the
 * page (feed.bench.ts, STALL), and the loop inside it would wait forever. The browser is closed on the way out.
 */
function stalled(): Promise<never> {
  return new Promise((_, reject) => setTimeout(() => reject(new Error('scroll: no frame for minutes; Chromium stopped drawing the page (see STALL in feed.bench.ts); run again')), 180_000).unref());
}

/**
 * What the compositor rastered and what Blink invalidated between `from` and `to`, per frame, when the trace has them:
 * RasterTask (in disabled-by-default-devtools.timeline) counts tiles by layer, InvalidateDisplayItemClient (in
 * disabled-by-default-blink.invalidation) counts invalidated objects by reason. The floor rasters about 4 tiles a frame
 * (one layer); more is content rastered again after an invalidation, or layers made and dropped.
 */
function rasterAndInvalidations(events: Ev[], from: number, to: number, frames: number): void {
  const within = (e: Ev) => e.ts >= from && e.ts < to;
  const tiles = new Map<number, number>();
  let rasterMs = 0;
  for (const e of events) {
    if (e.name !== 'RasterTask' || !within(e)) continue;
    const layer = Number(e.args?.tileData?.layerId);
    tiles.set(layer, (tiles.get(layer) ?? 0) + 1);
    rasterMs += e.dur! / 1000;
  }
  if (tiles.size) {
    const n = [...tiles.values()].reduce((a, b) => a + b, 0);
    const top = [...tiles].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([l, t]) => `layer ${l}: ${t}`).join(', ');
    console.log(`raster: ${round(n / frames, 2)} tiles and ${round(rasterMs / frames, 2)} ms a frame, in ${tiles.size} layers (${top})`);
  }
  const invalidated = new Map<string, number>();
  for (const e of events) {
    if (e.name !== 'InvalidateDisplayItemClient' || !within(e)) continue;
    const k = `${e.args?.reason} ${String(e.args?.client).replace(/ id='[^']*'/, '')}`;
    invalidated.set(k, (invalidated.get(k) ?? 0) + 1);
  }
  if (invalidated.size) {
    console.log('invalidated per frame (reason, object):');
    for (const [k, v] of [...invalidated].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`  ${round(v / frames, 2).toString().padStart(6)}  ${k}`);
  }
}

/** Maps a bundle position to its TypeScript source through the bundle's and tsc's source maps. */
function sourceOf(url: string, line: number, col: number): string {
  try {
    const file = new URL(url).pathname.replace(/^\//, '');
    const map = maps(`dist/${file}.map`);
    const p = originalPositionFor(map, { line: line + 1, column: col });
    if (!p.source) return `${file}:${line}`;
    const src = p.source.replace(/^(\.\.\/)+/, '');
    const m2 = src.startsWith('build/') && src.endsWith('.js') ? maps(`${src}.map`, true) : undefined;
    if (m2) {
      const q = originalPositionFor(m2, { line: p.line!, column: p.column! });
      if (q.source) return `${q.source.replace(/^(\.\.\/)+/, '')}:${q.line}${p.name ? ` ${p.name}` : ''}`;
    }
    return `${src}:${p.line}${p.name ? ` ${p.name}` : ''}`;
  } catch (e) {
    console.error(e);
    return `${url}:${line}`;
  }
}
function maps(path: string, optional = false): TraceMap {
  if (!mapCache.has(path)) {
    try {
      mapCache.set(path, new TraceMap(readFileSync(path, 'utf8')));
    } catch (e) {
      if (!optional) throw e;
      mapCache.set(path, undefined);
    }
  }
  return mapCache.get(path)!;
}

function analyse(events: Ev[], frames: number[]): void {
  const marks = events.filter((e) => e.name.startsWith('frame:') && e.cat.includes('user_timing')).sort((a, b) => a.ts - b.ts);
  const mainPid = marks[0]!.pid;
  const mainTid = events.find((e) => e.name === 'ThreadName' && e.pid === mainPid && e.args?.name === 'CrRendererMain')?.tid ?? marks[0]!.tid;
  const main = events.filter((e) => e.pid === mainPid && e.tid === mainTid && e.ph === 'X' && e.dur !== undefined).sort((a, b) => a.ts - b.ts);
  // Frame i (as scrollFrames records it, after dropping the first two) spans marks i+1 .. i+2.
  const spans = marks.slice(1).map((m, i) => ({ from: marks[i]!.ts, to: m.ts, dur: (m.ts - marks[i]!.ts) / 1000 }));
  const p95 = percentile(spans.map((s) => s.dur), 95);
  const slow = spans.filter((s) => s.dur >= p95);
  console.log(`trace frames ${spans.length} (page said ${frames.length}), p95 ${round(p95, 1)} ms; ${slow.length} frames at or above it`);
  const CLASS: [RegExp, string][] = [
    [/^(UpdateLayoutTree|RecalculateStyles|ScheduleStyleRecalculation|ParseAuthorStyleSheet)$/, 'style'],
    [/^(Layout|UpdateLayout|InvalidateLayout)$/, 'layout'],
    [/^(PrePaint|Paint|PaintImage|UpdateLayer|UpdateLayerTree|Layerize|CompositeLayers|Commit|PaintSetup|RasterTask|Decode.*|ImageDecodeTask)$/, 'paint/composite'],
    [/^(MinorGC|MajorGC|V8\.GC.*|BlinkGC.*|ThreadState::.*|GCEvent)$/, 'gc'],
    [/^(FunctionCall|EvaluateScript|TimerFire|FireAnimationFrame|RunMicrotasks|EventDispatch|FireIdleCallback|v8\.run|V8\.Execute|XHRReadyStateChange|v8\.callFunction|ResizeObserverCallback|IntersectionObserverController::computeIntersections|UpdateIntersectionObservations)$/, 'script'],
    [/^(HitTest|ScrollLayer|ComputeIntersections|IntersectionObserverController.*)$/, 'other-known'],
  ];
  const classOf = (n: string) => CLASS.find(([r]) => r.test(n))?.[1];
  // Self time by event name on the main thread within the slow frames (nested events subtract from their parent).
  const self = new Map<string, number>();
  const counts = new Map<string, number>();
  const styleEls: number[] = [];
  let total = 0;
  for (const s of slow) {
    total += s.dur;
    const inside = main.filter((e) => e.ts >= s.from && e.ts < s.to);
    const stack: Ev[] = [];
    for (const e of inside) {
      while (stack.length && stack.at(-1)!.ts + stack.at(-1)!.dur! <= e.ts) stack.pop();
      const parent = stack.at(-1);
      const d = Math.min(e.dur!, s.to - e.ts) / 1000;
      self.set(e.name, (self.get(e.name) ?? 0) + d);
      counts.set(e.name, (counts.get(e.name) ?? 0) + 1);
      if (parent) self.set(parent.name, (self.get(parent.name) ?? 0) - d);
      stack.push(e);
      if (e.name === 'UpdateLayoutTree' && e.args?.elementCount !== undefined) styleEls.push(e.args.elementCount);
      if (e.name === 'UpdateLayoutTree' && e.args?.data?.elementCount !== undefined) styleEls.push(e.args.data.elementCount);
    }
  }
  console.log(`\nslow frames: ${round(total / slow.length, 1)} ms each on average; main-thread self time per slow frame by event:`);
  const rows = [...self].filter(([, v]) => v / slow.length > 0.05).sort((a, b) => b[1] - a[1]);
  const byClass = new Map<string, number>();
  for (const [n, v] of rows) {
    console.log(`  ${n.padEnd(44)} ${round(v / slow.length, 2).toString().padStart(7)} ms  (${counts.get(n)} events)`);
    const c = classOf(n) ?? 'other';
    byClass.set(c, (byClass.get(c) ?? 0) + v);
  }
  console.log('by class per slow frame:', Object.fromEntries([...byClass].map(([k, v]) => [k, round(v / slow.length, 2)])));
  if (styleEls.length) console.log(`style recalc element counts in slow frames: p50 ${percentile(styleEls, 50)}, max ${Math.max(...styleEls)}, n ${styleEls.length}`);
  // All frames, for comparison.
  const allSelf = new Map<string, number>();
  for (const e of main) {
    if (e.ts < spans[0]!.from || e.ts >= spans.at(-1)!.to) continue;
    allSelf.set(classOf(e.name) ?? 'other', (allSelf.get(classOf(e.name) ?? 'other') ?? 0) + e.dur! / 1000);
  }
  console.log('all frames, inclusive top-ish by class per frame:', Object.fromEntries([...allSelf].map(([k, v]) => [k, round(v / spans.length, 2)])));
  rasterAndInvalidations(events, spans[0]!.from, spans.at(-1)!.to, spans.length);
  // JS samples inside slow frames, by source function (self), from the trace's CPU profile chunks.
  const nodes = new Map<number, { fn: string; url: string; line: number; col: number; parent?: number }>();
  const samples: { ts: number; id: number }[] = [];
  let t = 0;
  for (const e of events.filter((x) => x.pid === mainPid && (x.name === 'Profile' || x.name === 'ProfileChunk')).sort((a, b) => a.ts - b.ts)) {
    if (e.name === 'Profile') t = e.args!.data.startTime;
    const cp = e.args?.data?.cpuProfile;
    for (const n of cp?.nodes ?? []) nodes.set(n.id, { fn: n.callFrame.functionName, url: n.callFrame.url, line: n.callFrame.lineNumber, col: n.callFrame.columnNumber, parent: n.parent });
    const deltas: number[] = e.args?.data?.timeDeltas ?? [];
    (cp?.samples ?? []).forEach((id: number, i: number) => {
      t += deltas[i] ?? 0;
      samples.push({ ts: t, id });
    });
  }
  const inSlow = (ts: number) => slow.some((s) => ts >= s.from && ts < s.to);
  const fnSelf = new Map<string, number>();
  const fnTotal = new Map<string, number>();
  let n = 0;
  const label = (id: number) => {
    const x = nodes.get(id)!;
    return x.url ? `${sourceOf(x.url, x.line, x.col)} (${x.fn || 'anon'})` : `(${x.fn || 'native'})`;
  };
  for (const s of samples) {
    if (!inSlow(s.ts)) continue;
    n++;
    fnSelf.set(label(s.id), (fnSelf.get(label(s.id)) ?? 0) + 1);
    const seen = new Set<string>();
    for (let id: number | undefined = s.id; id !== undefined; ) {
      const l = label(id);
      if (!seen.has(l)) fnTotal.set(l, (fnTotal.get(l) ?? 0) + 1), seen.add(l);
      id = nodes.get(id)!.parent;
    }
  }
  console.log(`\nJS samples in slow frames: ${n}; top self:`);
  for (const [k, v] of [...fnSelf].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`  ${round((100 * v) / n, 1).toString().padStart(5)}%  ${k}`);
  console.log('top total (inclusive):');
  for (const [k, v] of [...fnTotal].sort((a, b) => b[1] - a[1]).slice(0, 40)) console.log(`  ${round((100 * v) / n, 1).toString().padStart(5)}%  ${k}`);
  // What each of the 10 slowest frames held, in order.
  console.log('\nslowest frames:');
  for (const s of [...spans].sort((a, b) => b.dur - a.dur).slice(0, 10)) {
    const inside = main.filter((e) => e.ts >= s.from && e.ts < s.to && ['FunctionCall', 'FireAnimationFrame', 'RunMicrotasks', 'TimerFire', 'UpdateLayoutTree', 'Layout', 'PrePaint', 'Paint', 'Layerize', 'Commit', 'MinorGC', 'MajorGC', 'EventDispatch', 'FireIdleCallback', 'IntersectionObserverController::computeIntersections', 'HitTest', 'ParseHTML', 'UpdateLayer', 'UpdateLayerTree'].includes(e.name));
    console.log(`  ${round(s.dur, 1)} ms @${round((s.from - spans[0]!.from) / 1000, 0)}: ${inside.map((e) => `${e.name}${e.name === 'UpdateLayoutTree' ? `[${e.args?.elementCount ?? ''}]` : ''} ${round(e.dur! / 1000, 1)}`).join(', ')}`);
  }
}
