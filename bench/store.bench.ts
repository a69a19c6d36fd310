// Owns the 100,000-post figures for the terminal's store: a feed page, a deep page, a search and the unread count (SQLite).
import { rmSync } from 'node:fs';
import { openSqliteStore } from '../cli/sqlite-store.js';
import { buildFeed } from '../client/core/feed.js';
import type { ItemRow } from '../client/core/types.js';
import { tempDir } from '../test/temp.js';
import { percentile, round } from './stats.js';

const POSTS = 100_000;
const PAGE = 50;
const RUNS = 30;
const WORDS = ['coffee', 'train', 'garden', 'music', 'rain', 'book', 'cat', 'river', 'bread', 'cloud'];

async function median(fn: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return round(percentile(times, 50), 2);
}

export async function storeBench(): Promise<Record<string, number>> {
  const dir = tempDir('bw-store-bench');
  const store = openSqliteStore({ dataDir: dir, passphrase: () => 'bench' });
  try {
    const authors = Array.from({ length: 50 }, (_, i) => `friend${i}`.padEnd(42, 'x') + 'A');
    const t0 = Date.UTC(2026, 0, 1);
    const fillStart = performance.now();
    // One reply and one reaction under every tenth post; a rare word in one post of 10,000.
    const rows: ItemRow[] = [];
    for (let i = 0; i < POSTS; i++) {
      const author = authors[i % authors.length]!;
      const ts = t0 + i * 60_000;
      const text = `${WORDS[i % WORDS.length]} ${WORDS[(i * 7) % WORDS.length]} post ${i}${i % 10_000 === 1 ? ' zeppelin' : ''}`;
      rows.push({ key: `${author}:p${i}`, author, id: `p${i}`, kind: 'post', ts, text, via: 'relay', received: ts });
      if (i % 10 === 0) {
        rows.push({ key: `${authors[(i + 1) % 50]}:r${i}`, author: authors[(i + 1) % 50]!, id: `r${i}`, kind: 'reply', parent: `${author}:p${i}`, ts: ts + 1, text: 'a reply', via: 'relay', received: ts + 1 });
        rows.push({ key: `${authors[(i + 2) % 50]}:reaction:${author}:p${i}`, author: authors[(i + 2) % 50]!, id: `x${i}`, kind: 'reaction', parent: `${author}:p${i}`, ts: ts + 2, emoji: '👍', via: 'relay', received: ts + 2 });
      }
    }
    await store.putItems(rows);
    const fill_ms = performance.now() - fillStart;
    const middle = t0 + (POSTS / 2) * 60_000;
    const page = async (before?: number) => {
      const posts = await store.pagePosts(before, PAGE);
      const children = await store.itemsByParent(posts.map((p) => p.key));
      return buildFeed({ me: 'me', myName: 'Me', posts, children, profiles: new Map(), friends: new Map(), readUpTo: 0, delivery: new Map() });
    };
    return {
      store_fill_100k_s: round(fill_ms / 1000, 1),
      feed_page_100k_ms: await median(() => page()),
      feed_deep_page_100k_ms: await median(() => page(middle)),
      search_rare_100k_ms: await median(() => store.searchPosts('zeppelin', PAGE)),
      search_common_100k_ms: await median(() => store.searchPosts('coffee train', PAGE)),
      unread_count_100k_ms: await median(() => store.countUnread('me', middle)),
    };
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
