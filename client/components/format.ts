// Owns the small pure formatting rules the components share: relative times, initials, avatar colours, counts.
import type { Delivery } from '../core/types.js';

/** Posts and replies are at most this many code points (the envelope's limit). */
export const MAX_CHARS = 280;
/** A profile bio is at most this many code points. */
export const MAX_BIO = 160;

/** Code points, as the limit counts them ("👋" is one). */
export const countChars = (s: string): number => [...s].length;

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 86_400_000],
  ['month', 30 * 86_400_000],
  ['week', 7 * 86_400_000],
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
];
let rtf: Intl.RelativeTimeFormat | undefined;
const SHORT: Partial<Record<Intl.RelativeTimeFormatUnit, string>> = { year: 'y', month: 'mo', week: 'w', day: 'd', hour: 'h', minute: 'min' };

/**
 * Makes the page's Intl.RelativeTimeFormat. Its first use loads locale data (~100 ms on a slow machine), so the feed
 * calls this after its first paint; until then relativeTime answers in a short neutral form ("3 min").
 */
export function warmRelativeTime(): void {
  rtf ??= new Intl.RelativeTimeFormat(undefined, { numeric: 'auto', style: 'short' });
}

/** "now", "3 min. ago", "yesterday", "2 wk. ago": the largest whole unit, in the page's language. */
export function relativeTime(ts: number, now: number): string {
  const diff = ts - now;
  if (Math.abs(diff) < 45_000) return 'now';
  for (const [unit, ms] of UNITS) {
    if (Math.abs(diff) < ms && unit !== 'minute') continue;
    const n = Math.round(diff / ms);
    return rtf ? rtf.format(n, unit) : `${Math.abs(n)} ${SHORT[unit]}`;
  }
  return 'now';
}

const pad = (n: number) => String(n).padStart(2, '0');

/**
 * The full local date and time, for a title: "2026-11-27 15:09". Built by hand: the first Intl.DateTimeFormat of a
 * page loads locale data (~100 ms here), which the first paint of the feed cannot afford.
 */
export function fullTime(ts: number): string {
  const d = new Date(ts);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** Up to two letters for an avatar without a picture. */
export function initials(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  const first = (w: string | undefined) => (w ? [...w][0]!.toUpperCase() : '');
  return (words.length > 1 ? first(words[0]) + first(words[words.length - 1]) : first(words[0])) || '?';
}

/** One of 8 avatar colours, stable for a key. */
export function hueOf(key: string): number {
  let h = 0;
  for (let i = 0; i < key.length; i++) h = (h * 31 + key.charCodeAt(i)) >>> 0;
  return h % 8;
}

const DELIVERY: Record<Delivery, string> = { direct: 'sent directly', relay: 'waiting on relay', queued: 'queued on this device', delivered: 'delivered' };

/** How my post left, per state with counts: "sent directly ×1, waiting on relay ×1"; one friend: no count. */
/** `recipients`: how many the post was sealed for; while none has a delivery state yet, it is still being sent. */
export function deliveryText(d: Record<string, Delivery> | undefined, recipients = 0): string {
  const vals = Object.values(d ?? {});
  if (!vals.length) return recipients ? 'sending…' : 'only you (no friends yet)';
  const counts = new Map<string, number>();
  for (const v of vals) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${DELIVERY[k as Delivery] ?? k}${vals.length > 1 ? ` ×${n}` : ''}`).join(', ');
}

/** "Ada", "Ada and Bo", "Ada, Bo and 3 others". */
export function namesText(names: string[]): string {
  if (names.length <= 2) return names.join(' and ');
  return `${names.slice(0, 2).join(', ')} and ${names.length - 2} other${names.length === 3 ? '' : 's'}`;
}

/** Plural helper: "1 reply", "3 replies". */
export const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;
