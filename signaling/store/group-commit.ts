// Owns the group commit both mailbox backends share: every put that arrives in one turn of the event loop is written as one batch.

export interface GroupCommit<R, T> {
  /** Queues `rows` for the next batch; resolves with their results, in order, once the batch is written. */
  put(rows: readonly R[]): Promise<T[]>;
  /** Writes what is queued now, and waits for every batch still being written (before closing the database). */
  drain(): Promise<void>;
}

/** `write` takes the rows of a whole batch and returns one result per row (synchronously, or as a promise). */
export function groupCommit<R, T>(write: (rows: R[]) => T[] | Promise<T[]>): GroupCommit<R, T> {
  let queue: { rows: readonly R[]; resolve: (r: T[]) => void; reject: (e: unknown) => void }[] = [];
  let scheduled = false;
  const inflight = new Set<Promise<void>>();
  const flush = () => {
    scheduled = false;
    const batch = queue;
    queue = [];
    if (!batch.length) return;
    const fail = (e: unknown) => {
      for (const b of batch) b.reject(e);
    };
    let written: T[] | Promise<T[]>;
    try {
      written = write(batch.flatMap((b) => b.rows)); // a synchronous writer has committed when this returns
    } catch (e) {
      return fail(e);
    }
    const p = Promise.resolve(written).then((results) => {
      let at = 0;
      for (const b of batch) {
        b.resolve(results.slice(at, at + b.rows.length));
        at += b.rows.length;
      }
    }, fail);
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
  };
  return {
    put: (rows) =>
      new Promise((resolve, reject) => {
        queue.push({ rows, resolve, reject });
        if (!scheduled) {
          scheduled = true;
          setImmediate(flush); // collect every put that arrives in this turn of the event loop
        }
      }),
    async drain() {
      flush();
      await Promise.allSettled([...inflight]);
    },
  };
}
