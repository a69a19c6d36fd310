// Owns the relay's image uploads in flight: what each open upload holds in memory, by key and in all, the bounds on
// both, and when a slow or stalled upload is dropped. Pure bookkeeping; the relay (signaling/server.ts) keeps the
// timers and the bytes.
//
// What counts against the relay-wide bound is bytes actually received, not bytes announced: announcing a large upload
// and then sending nothing holds nothing. An upload must keep up a minimum average rate after a short grace, so it
// finishes within the grace plus the time its size takes at that rate; a trickle (one byte every few seconds) is
// dropped within the grace, and a key cannot hold a share of the bound by sending slowly. The per-key bound (on bytes
// announced) is each key's share.
import { BwError } from '../shared/errors.js';

export interface UploadRules {
  /** Bytes of unfinished uploads one key may have announced (all of its connections): its share of the relay. */
  readonly perKeyBytes: number;
  /** Bytes of unfinished uploads the relay holds in memory, received so far, in all. */
  readonly totalBytes: number;
  /** The slowest average an upload may keep after its grace, bytes per second. */
  readonly minRate: number;
  /** Time an upload has before the minimum rate applies (a connection's first round trips, a slow start). */
  readonly graceMs: number;
  /** The longest gap between two pieces, whatever the average so far. */
  readonly idleMs: number;
}

export interface UploadClock {
  /** When it was announced. */
  readonly start: number;
  /** Bytes received so far. */
  readonly got: number;
}

/**
 * When an upload that has received `got` bytes is dropped unless more arrive: after the next idle gap, or when its
 * average falls under the minimum rate, whichever comes first. Since `got` never passes the size, this also bounds
 * its whole life: the grace plus the time its size takes at the minimum rate.
 */
export function dueBy(u: UploadClock, r: UploadRules, now: number): number {
  const atRate = u.start + r.graceMs + (u.got / r.minRate) * 1000;
  return Math.min(now + r.idleMs, atRate);
}

/** The relay's counts of open uploads: bytes announced per key, bytes received in all. */
export interface UploadLedger {
  /** Checks a new upload of `size` by `key` against its share and the relay's bound; throws 'busy' if it does not fit. */
  open(key: string, size: number): void;
  /** Counts `n` more bytes received for one of `key`'s uploads; throws 'busy' (counting nothing) over the relay's bound. */
  receive(n: number): void;
  /** An upload of `size` that had received `got` bytes was finished or dropped: frees both. */
  close(key: string, size: number, got: number): void;
  /** Bytes of unfinished uploads `key` has announced. */
  announced(key: string): number;
}

export function createUploadLedger(r: UploadRules): UploadLedger {
  const announced = new Map<string, number>();
  let held = 0;
  const add = (key: string, n: number) => {
    const left = (announced.get(key) ?? 0) + n;
    if (left > 0) announced.set(key, left);
    else announced.delete(key);
  };
  return {
    open(key, size) {
      const mine = announced.get(key) ?? 0;
      if (mine + size > r.perKeyBytes) throw new BwError('busy', `you have ${mine} bytes of unfinished uploads; finish them first (at most ${r.perKeyBytes})`);
      if (held >= r.totalBytes) throw new BwError('busy', 'the relay is receiving too many images at once; try again soon');
      add(key, size);
    },
    receive(n) {
      if (held + n > r.totalBytes) throw new BwError('busy', 'the relay is receiving too many images at once; send this piece again soon');
      held += n;
    },
    close(key, size, got) {
      add(key, -size);
      held -= got;
    },
    announced: (key) => announced.get(key) ?? 0,
  };
}
