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
 * The runs for `items` given the runs last shown (`prev`), each unchanged run kept as the same object, so a view can skip
 * it by identity. When `items` are the items of `prev` with more after them (the list growing at its end while the
 * reader scrolls: the common case), only the last run and the new ones are built, so the cost follows the cards added,
 * not the cards shown; the answer is the one cardRuns gives. Anything else goes through cardRuns.
 */
export function nextRuns<T>(items: readonly T[], id: (t: T) => string, prev: readonly Run<T>[], size: number): Run<T>[] {
  const had = appendedAt(items, prev);
  if (had === undefined) {
    const { runs } = cardRuns(items, id, new Map(prev.flatMap((r) => r.items.map((t) => [id(t), r.key] as const))), size);
    const byKey = new Map(prev.map((r) => [r.key, r]));
    // A run with the same key and the same items is kept whole (its object too, not only its items).
    return runs.map((r) => {
      const old = byKey.get(r.key);
      return old && old.items.length === r.items.length && old.items.every((x, i) => x === r.items[i]) ? old : r;
    });
  }
  if (had === items.length) return prev as Run<T>[];
  const last = prev.at(-1)!;
  // The last run grows if it has room (a new object: the old one stays as it was), then new runs follow it.
  const grows = last.items.length < size;
  const runs = grows ? prev.slice(0, -1) : prev.slice();
  let run: Run<T> = grows ? { key: last.key, items: last.items.slice() } : { key: last.key + 1, items: [] };
  for (let i = had; i < items.length; i++) {
    if (run.items.length >= size) {
      runs.push(run);
      run = { key: run.key + 1, items: [] };
    }
    run.items.push(items[i]!);
  }
  runs.push(run);
  return runs;
}

/** How many of `items` are `prev`'s items, in order and the same objects, when `items` begins with all of them; else undefined. */
function appendedAt<T>(items: readonly T[], prev: readonly Run<T>[]): number | undefined {
  if (!prev.length) return undefined;
  let i = 0;
  for (const r of prev) for (const x of r.items) if (items[i++] !== x) return undefined;
  return i;
}
