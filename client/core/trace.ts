// Owns optional stage stamps for latency work: nothing happens unless a page (a bench) installs globalThis.__bwTrace.

type Tracer = (stage: string) => void;

/** Stamps `stage` now if a tracer is installed (bench/p2p.bench.ts prints the per-stage breakdown); else a no-op. */
export function stamp(stage: string): void {
  (globalThis as { __bwTrace?: Tracer }).__bwTrace?.(stage);
}

/** The store with each call stamped `store.<method>` and `store.<method>.done`, when a tracer is installed. */
export function tracedStore<S extends object>(store: S): S {
  if (!(globalThis as { __bwTrace?: Tracer }).__bwTrace) return store;
  return new Proxy(store, {
    get(target, prop, recv) {
      const v = Reflect.get(target, prop, recv) as unknown;
      if (typeof v !== 'function' || typeof prop !== 'string') return v;
      return (...args: unknown[]) => {
        stamp(`store.${prop}`);
        const r = (v as (...a: unknown[]) => unknown).apply(target, args);
        if (r instanceof Promise) void r.then(() => stamp(`store.${prop}.done`), () => stamp(`store.${prop}.done`));
        return r;
      };
    },
  });
}
