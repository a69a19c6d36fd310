// Owns catch-up arithmetic between two friends: cursors from stored sequences and which posts to resend. Pure.

/**
 * The highest n such that every post of the author that was meant for me, 1..n, is held.
 * Sequence numbers the author never sealed for me are unknowable here, so the cursor is the
 * contiguous prefix of what I hold; the author resends only posts it actually sealed for me.
 */
export function contiguousCursor(heldSeqs: Iterable<number>): number {
  const held = new Set(heldSeqs);
  let n = 0;
  while (held.has(n + 1)) n++;
  return n;
}

export interface OwnPost {
  seq: number;
  delivery?: Record<string, string>;
  /** Envelope v2: per friend, the number this send has in my stream to them. */
  streams?: Record<string, number>;
}

/** The number a send of mine has in what `friend` holds of me: its stream number (v2), else my own seq (v1). */
export const streamOf = (p: OwnPost, friend: string): number => p.streams?.[friend] ?? p.seq;

/** My posts to resend to `friend` whose cursor is `since`: those I sealed for them and they may lack. */
export function postsToResend<P extends OwnPost>(mine: readonly P[], friend: string, since: number): P[] {
  return mine.filter((p) => p.delivery !== undefined && friend in p.delivery && streamOf(p, friend) > since);
}

/** After a friend's cursor arrives: which of my posts can now be marked delivered to them. */
export function deliveredBy<P extends OwnPost>(mine: readonly P[], friend: string, since: number): P[] {
  return mine.filter((p) => streamOf(p, friend) <= since && p.delivery?.[friend] !== undefined && p.delivery[friend] !== 'delivered');
}
