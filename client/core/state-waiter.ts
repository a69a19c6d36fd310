// Owns waiting on a client's state from outside the core: a promise that settles once a predicate holds, re-checked on every change.

export interface StateWaiter<S> {
  /** Call from the core's onChange: re-checks every pending wait. */
  changed(): void;
  /** Resolves with the state once `pred` holds (checked now and on every change). */
  until(pred: (s: S) => boolean): Promise<S>;
}

export function stateWaiter<S>(state: () => S): StateWaiter<S> {
  const waiters = new Set<() => void>();
  return {
    changed: () => waiters.forEach((w) => w()),
    until: (pred) =>
      new Promise<S>((resolve) => {
        const check = () => {
          if (!pred(state())) return;
          waiters.delete(check);
          resolve(state());
        };
        waiters.add(check);
        check();
      }),
  };
}
