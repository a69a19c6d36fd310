// Owns grouping the feed's cards into runs (the unit that skips layout and paint off screen), each card keeping its run.

/** A run of consecutive cards, keyed by a number that stays while the run is on the page. */
export interface Run<T> {
  key: number;
  items: T[];
}

/**
 * Splits `items` (in list order) into runs of about `size`. An id keeps the run it was first put in, so a card never
 * moves to another run (which would re-create it and lose its open thread, draft or focus): items appended at the end
 * fill the last run and then start new ones, items put before the first known one get runs of their own above it, and
 * one that turns up between known items joins the run of the item before it (that run grows past `size`).
 * `prev` is the last call's `runOf`; ids no longer present are dropped from the answer's.
 */
export function cardRuns<T>(items: readonly T[], id: (t: T) => string, prev: ReadonlyMap<string, number>, size: number): { runs: Run<T>[]; runOf: Map<string, number> } {
  const ids = items.map(id);
  const known = ids.map((i) => prev.get(i));
  // A known run earlier in the list than one before it (items reordered): start over rather than repeat a key.
  let last = -Infinity;
  for (const k of known) {
    if (k === undefined) continue;
    if (k < last) return cardRuns(items, id, new Map(), size);
    last = k;
  }
  const first = known.findIndex((k) => k !== undefined);
  let lastKnown = known.length - 1;
  while (lastKnown >= 0 && known[lastKnown] === undefined) lastKnown--;
  const filled = new Map<number, number>();
  for (const k of known) if (k !== undefined) filled.set(k, (filled.get(k) ?? 0) + 1);
  const keys: number[] = [];
  for (let i = 0; i < ids.length; i++) {
    const k = known[i];
    if (k !== undefined) keys.push(k);
    else if (first === -1 || i < first) {
      // Above everything known (or nothing known yet): runs counted up from the top, ending just above the first known.
      const lead = first === -1 ? ids.length : first;
      const base = first === -1 ? 0 : known[first]! - Math.ceil(lead / size);
      keys.push(base + Math.floor(i / size));
    } else if (i < lastKnown) keys.push(keys[i - 1]!);
    else {
      let run = keys[i - 1]!;
      if ((filled.get(run) ?? 0) >= size) run += 1;
      filled.set(run, (filled.get(run) ?? 0) + 1);
      keys.push(run);
    }
  }
  const runs: Run<T>[] = [];
  const runOf = new Map<string, number>();
  items.forEach((item, i) => {
    const key = keys[i]!;
    runOf.set(ids[i]!, key);
    if (runs.at(-1)?.key === key) runs.at(-1)!.items.push(item);
    else runs.push({ key, items: [item] });
  });
  return { runs, runOf };
}

/**
 * `runs` with each run's `items` array replaced by the previous one of the same key when it holds the same items, so a
 * view can skip an unchanged run by identity (Lit's guard) instead of walking its cards. Returns the map to pass next time.
 */
export function keepRunItems<T>(runs: Run<T>[], prev: ReadonlyMap<number, T[]>): Map<number, T[]> {
  const next = new Map<number, T[]>();
  for (const r of runs) {
    const old = prev.get(r.key);
    if (old && old.length === r.items.length && old.every((x, i) => x === r.items[i])) r.items = old;
    next.set(r.key, r.items);
  }
  return next;
}
