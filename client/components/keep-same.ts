// Owns keeping view-model objects identical across updates when their data has not changed (so Lit skips those views).

/** Deep equality of plain data as view models hold it: primitives, arrays and plain objects (own enumerable keys). */
export function sameData(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => sameData(x, bb[i]));
  }
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  return ka.every((k) => Object.hasOwn(rb, k) && sameData(ra[k], rb[k]));
}

/**
 * `next` with each item replaced by the previous one of the same id when their data is equal, so a view bound to the
 * item by identity (Lit's property bindings) re-renders only the items that changed. Returns the items and the map
 * to pass as `prev` next time (ids no longer present are dropped). When nothing changed, `items` is `prevItems` itself.
 */
export function keepSame<T>(next: readonly T[], prev: ReadonlyMap<string, T>, id: (t: T) => string, prevItems?: readonly T[]): { items: T[]; byId: Map<string, T> } {
  const byId = new Map<string, T>();
  let unchanged = prevItems?.length === next.length;
  const items = next.map((n, i) => {
    const key = id(n);
    const old = prev.get(key);
    const kept = old !== undefined && sameData(old, n) ? old : n;
    byId.set(key, kept);
    if (unchanged && prevItems![i] !== kept) unchanged = false;
    return kept;
  });
  return { items: unchanged ? (prevItems as T[]) : items, byId };
}
