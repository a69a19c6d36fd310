// Owns the bundle-size figure: gzip size of the built <bw-feed> embed (dist/bw-feed.js), as a browser would download it.
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

export async function bundleBench(): Promise<Record<string, number>> {
  const file = fileURLToPath(new URL('../../dist/bw-feed.js', import.meta.url));
  const code = readFileSync(file);
  return {
    bw_feed_bundle_kb: Number((code.length / 1024).toFixed(1)),
    bw_feed_bundle_gzip_kb: Number((gzipSync(code, { level: 9 }).length / 1024).toFixed(1)),
  };
}
