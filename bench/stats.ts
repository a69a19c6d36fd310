// Owns small statistics helpers for benchmarks: percentiles and a timing loop bounded in count and time.

export function percentile(xs: readonly number[], p: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

export const round = (x: number, digits = 3): number => Number(x.toFixed(digits));

/** Runs fn repeatedly for about `ms` (at least `min`, at most `max` runs); returns mean ms per run. */
export function timeIt(fn: () => void, { ms = 300, min = 5, max = 100_000 } = {}): number {
  for (let i = 0; i < Math.min(min, 3); i++) fn(); // warm up
  const t0 = performance.now();
  let n = 0;
  while (n < max && (n < min || performance.now() - t0 < ms)) {
    fn();
    n++;
  }
  return (performance.now() - t0) / n;
}
