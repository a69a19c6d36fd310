// Owns the Jepsen-style mailbox checker: a recorded history of puts, reads and acks in, the anomalies it holds out.
// Pure (no I/O, no clock of its own): test/node/mailbox-history.test.ts records histories against real relays.

/** A numbered post: the test maps the envelope bytes it put back to this. */
export interface Post {
  sender: string;
  recipient: string;
  seq: number;
}

/** An item a read returned (or an ack named): its mailbox id and the post its bytes are, undefined when no put carried them. */
export interface Copy {
  id: number;
  post: Post | undefined;
}

/** 'ok': it happened. 'fail': it certainly did not (refused before any effect). 'info': unknown (no answer, or an error after it may have). */
export type Outcome = 'ok' | 'fail' | 'info';

/**
 * One operation, as an invocation and a completion on one logical clock (`start` < `end`; see Recorder). A read is a
 * whole scan of a recipient's mailbox from the start, page by page; `complete` when it ran to an empty page, else
 * `items` is what it got before it stopped.
 */
export type Op =
  | { f: 'put'; start: number; end: number; post: Post; outcome: Outcome; id?: number }
  | { f: 'read'; start: number; end: number; recipient: string; items: Copy[]; complete: boolean }
  | { f: 'ack'; start: number; end: number; recipient: string; items: Copy[]; outcome: Outcome };

export type AnomalyKind = 'lost' | 'redelivered' | 'reordered' | 'duplicated' | 'phantom';
export interface Anomaly {
  kind: AnomalyKind;
  detail: string;
}

/** An operation before its completion is stamped. */
export type Invoked = Op extends infer O ? (O extends Op ? Omit<O, 'end'> : never) : never;

/** A logical clock and the history it stamps: `start()` before invoking, `end(op)` once it completed (or timed out). */
export class Recorder {
  private clock = 0;
  readonly ops: Op[] = [];
  start(): number {
    return ++this.clock;
  }
  end<I extends Invoked>(op: I): I & { end: number } {
    const done = { ...op, end: ++this.clock };
    this.ops.push(done as Op);
    return done;
  }
}

const postKey = (p: Post) => `${p.sender}>${p.recipient}#${p.seq}`;
const copyKey = (c: { id: number; post: Post }) => `${c.id}:${postKey(c.post)}`;
const show = (p: Post) => `post ${p.seq} of ${p.sender.slice(0, 8)} to ${p.recipient.slice(0, 8)}`;

/**
 * What the history breaks, each broken promise once:
 * - lost: a post whose put was acknowledged (with id i) is in no read, or is missing from a complete read invoked after
 *   that acknowledgement while no ack naming (i, post) had been invoked (and not refused) before the read completed;
 * - redelivered: a read invoked after an ack of (i, post) was confirmed returns (i, post) again;
 * - reordered: a recipient sees two acknowledged posts of one sender against their put order, within one read or in
 *   the order they first appeared (a sender puts one post at a time, so put order is real-time order);
 * - duplicated: a post put once (one attempt) appears under two ids (a retried put may be stored twice: the first
 *   attempt's acknowledgement can be what was lost, so only single attempts count);
 * - phantom: a read returns bytes no put carried, a post for another recipient, or a post whose every put was refused.
 * The history must end with a complete read of each recipient after every put completed, or a lost post can hide.
 */
export function checkMailboxHistory(ops: readonly Op[]): Anomaly[] {
  const anomalies: Anomaly[] = [];
  const puts = ops.filter((o): o is Extract<Op, { f: 'put' }> => o.f === 'put');
  const reads = ops.filter((o): o is Extract<Op, { f: 'read' }> => o.f === 'read').sort((a, b) => a.start - b.start);
  const acks = ops.filter((o): o is Extract<Op, { f: 'ack' }> => o.f === 'ack');
  const putsOf = new Map<string, (typeof puts)[number][]>();
  for (const p of puts) putsOf.set(postKey(p.post), [...(putsOf.get(postKey(p.post)) ?? []), p]);
  const known = (c: Copy): c is { id: number; post: Post } => c.post !== undefined;
  const readKeys = reads.map((r) => new Set(r.items.filter(known).map(copyKey)));

  // phantom
  for (const r of reads) {
    for (const c of r.items) {
      if (!known(c)) anomalies.push({ kind: 'phantom', detail: `item ${c.id} read by ${r.recipient.slice(0, 8)} (clock ${r.start}) is bytes no put carried` });
      else if (c.post.recipient !== r.recipient) anomalies.push({ kind: 'phantom', detail: `${show(c.post)} read by ${r.recipient.slice(0, 8)} as item ${c.id}` });
      else if ((putsOf.get(postKey(c.post)) ?? []).every((p) => p.outcome === 'fail')) {
        anomalies.push({ kind: 'phantom', detail: `${show(c.post)} read as item ${c.id}, but every put of it was refused` });
      }
    }
  }

  // lost
  const ackStarts = new Map<string, number>(); // copy → when an ack naming it was first invoked
  for (const a of acks) if (a.outcome !== 'fail') for (const c of a.items.filter(known)) ackStarts.set(copyKey(c), Math.min(ackStarts.get(copyKey(c)) ?? Infinity, a.start));
  const acknowledged = new Map<string, Post>(); // copy → post, for every put acknowledged with an id
  for (const p of puts) {
    if (p.outcome !== 'ok' || p.id === undefined) continue;
    const k = copyKey({ id: p.id, post: p.post });
    acknowledged.set(k, p.post);
    const everRead = readKeys.some((s) => s.has(k));
    const missing = reads.findIndex((r, i) => r.complete && r.recipient === p.post.recipient && r.start > p.end && !readKeys[i]!.has(k) && !((ackStarts.get(k) ?? Infinity) < r.end));
    if (!everRead) anomalies.push({ kind: 'lost', detail: `${show(p.post)}, acknowledged as item ${p.id} (clock ${p.end}), is in no read` });
    else if (missing >= 0) anomalies.push({ kind: 'lost', detail: `${show(p.post)}, acknowledged as item ${p.id} (clock ${p.end}) and never acked away, is missing from the complete read at clock ${reads[missing]!.start}` });
  }

  // redelivered
  const confirmed = new Map<string, number>(); // copy → when its ack was first confirmed
  for (const a of acks) if (a.outcome === 'ok') for (const c of a.items.filter(known)) confirmed.set(copyKey(c), Math.min(confirmed.get(copyKey(c)) ?? Infinity, a.end));
  for (const [k, at] of confirmed) {
    const again = reads.findIndex((r, i) => r.start > at && readKeys[i]!.has(k));
    if (again >= 0) anomalies.push({ kind: 'redelivered', detail: `item ${k} was read again at clock ${reads[again]!.start}, after its ack was confirmed at clock ${at}` });
  }

  // reordered: only the acknowledged copy of each post counts (a retried put's earlier copy may stand anywhere)
  const firstSeen = new Map<string, number>(); // `${recipient} ${sender}` → highest seq among first appearances so far
  const seen = new Set<string>();
  for (const r of reads) {
    const inRead = new Map<string, number>();
    for (const c of r.items.filter(known)) {
      const k = copyKey(c);
      if (!acknowledged.has(k) || c.post.recipient !== r.recipient) continue;
      const pair = `${r.recipient} ${c.post.sender}`;
      if ((inRead.get(pair) ?? -Infinity) >= c.post.seq) anomalies.push({ kind: 'reordered', detail: `${show(c.post)} comes after post ${inRead.get(pair)} of the same sender in the read at clock ${r.start}` });
      inRead.set(pair, Math.max(inRead.get(pair) ?? -Infinity, c.post.seq));
      if (seen.has(k)) continue;
      seen.add(k);
      if ((firstSeen.get(pair) ?? -Infinity) > c.post.seq) anomalies.push({ kind: 'reordered', detail: `${show(c.post)} first appeared (read at clock ${r.start}) after post ${firstSeen.get(pair)} of the same sender had` });
      firstSeen.set(pair, Math.max(firstSeen.get(pair) ?? -Infinity, c.post.seq));
    }
  }

  // duplicated
  const idsOf = new Map<string, Set<number>>();
  for (const r of reads) for (const c of r.items.filter(known)) idsOf.set(postKey(c.post), (idsOf.get(postKey(c.post)) ?? new Set()).add(c.id));
  for (const [k, ids] of idsOf) {
    const attempts = putsOf.get(k) ?? [];
    if (attempts.length === 1 && ids.size > 1) anomalies.push({ kind: 'duplicated', detail: `${show(attempts[0]!.post)} was put once and stored as items ${[...ids].join(', ')}` });
  }
  return anomalies;
}

/** The anomalies counted by kind, every kind present (zeros included), for a one-line report. */
export function countByKind(anomalies: readonly Anomaly[]): Record<AnomalyKind, number> {
  const counts: Record<AnomalyKind, number> = { lost: 0, redelivered: 0, reordered: 0, duplicated: 0, phantom: 0 };
  for (const a of anomalies) counts[a.kind]++;
  return counts;
}
