// Owns the relay's token buckets: pure step functions over small state records, one per connection and one per key.

export interface Bucket {
  tokens: number;
  at: number;
}

/** Refills at `rate` per second up to `burst`, then takes `cost` tokens. Returns whether the frame may pass. */
export function take(b: Bucket, now: number, rate: number, burst = rate * 2, cost = 1): boolean {
  b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * rate);
  b.at = now;
  if (b.tokens < cost) return false;
  b.tokens -= cost;
  return true;
}

/**
 * Charges `cost` for work already done, refilling first as take() does. Unlike take() it never refuses: the bucket may
 * go below zero, and the owner's next frames are refused until it has paid the debt back at its rate.
 */
export function charge(b: Bucket, now: number, rate: number, burst = rate * 2, cost = 1): void {
  b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * rate) - cost;
  b.at = now;
}

export const fullBucket = (rate: number, now: number): Bucket => ({ tokens: rate * 2, at: now });

/** Whether a bucket would be full by `now`: nothing to remember about its owner any more. */
export const isFull = (b: Bucket, now: number, rate: number, burst = rate * 2): boolean => b.tokens + ((now - b.at) / 1000) * rate >= burst;

/**
 * What a frame costs its key, in frames: the work it makes the relay do on its one thread. A signal is a parse and a
 * write; a put reads the envelope header, hashes a capability, looks it up and joins a group commit; an allow list or a
 * watch list replaces up to 1,000 entries (a database write, or the presence indexes).
 */
export const EVENT_COST = {
  'auth:prove': 1,
  'signal:send': 1,
  'presence:watch': 20,
  'mailbox:allow': 50,
  'mailbox:put': 4,
  'mailbox:fetch': 2,
  'mailbox:ack': 2,
  // A put hashes and looks up one capability per recipient (up to 400); a chunk copies up to 48 KB, a get reads as much.
  'blob:put': 20,
  'blob:chunk': 2,
  'blob:get': 2,
  'blob:ack': 2,
} as const satisfies Record<string, number>;

/**
 * Presence index entries (signaling/presence.ts: a watched key filed or unfiled, an invite-tag match counted) that cost
 * one unit, charged after a watch on top of its flat cost, with one unit per presence note it sends. A watch of 1,000
 * friends replacing another of 1,000 touches 2,000 entries: 40 units more, so a key's budget (200 a second) allows a few
 * such watches a second, and a watch that touches many tag matches pays for each one.
 */
export const PRESENCE_WORK_PER_UNIT = 50;

/**
 * Refused frames a connection or key may collect in a burst (a second of its rate, at least 100), refilling at a tenth
 * of its rate, before the relay stops answering and disconnects it. A client coming online signals every online friend
 * at once and may be refused some of those; a flood of thousands per second runs out within a fraction of a second.
 */
export const strikeBurst = (rate: number): number => Math.max(100, rate);
export const strikeRate = (rate: number): number => rate / 10;
/** A strike bucket with no refusals counted yet. */
export const noStrikes = (rate: number, now: number): Bucket => ({ tokens: strikeBurst(rate), at: now });
/** Whether a strike bucket has forgiven every refusal by `now`. */
export const strikesForgiven = (b: Bucket, now: number, rate: number): boolean => isFull(b, now, strikeRate(rate), strikeBurst(rate));

/**
 * How long a key disconnected for flooding is refused at auth:prove, before its signature is even checked (the check
 * is the costly part of a login, and only that key, proven when it flooded, is refused). Honest clients never get here.
 */
export const FLOOD_COOLDOWN_MS = 10_000;

/** A key's shared state across all of its connections: its cost bucket and its refusals. */
export interface KeyLimit {
  cost: Bucket;
  strikes: Bucket;
  sockets: number;
  /** Until when auth:prove for this key is refused (0: not in a cooldown). */
  cooldownUntil: number;
}

export const freshKeyLimit = (rate: number, now: number): KeyLimit => ({
  cost: fullBucket(rate, now),
  strikes: noStrikes(rate, now),
  sockets: 0,
  cooldownUntil: 0,
});

/** Counts one refusal against `b`; returns false once the refusals are over their burst (time to disconnect). */
export const strike = (b: Bucket, now: number, rate: number): boolean => take(b, now, strikeRate(rate), strikeBurst(rate));
