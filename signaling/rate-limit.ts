// Owns the per-connection token bucket: a pure step function over a small state record.

export interface Bucket {
  tokens: number;
  at: number;
}

/** Refills at `rate` per second up to `burst`, then takes one token. Returns whether the frame may pass. */
export function take(b: Bucket, now: number, rate: number, burst = rate * 2): boolean {
  b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * rate);
  b.at = now;
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}

export const fullBucket = (rate: number, now: number): Bucket => ({ tokens: rate * 2, at: now });
