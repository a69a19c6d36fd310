// Owns the bundle-size figures: gzip size of the <bw-feed> embed's initial load (the hashed entry an embed snippet
// names, plus what it imports statically) and of everything it can load (its lazy chunks too), as a browser downloads them.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));

/** The sibling files a built ES module names: static imports, and dynamic import() chunks. */
export function importsOf(code: string): { static: string[]; dynamic: string[] } {
  const at = (re: RegExp) => [...code.matchAll(re)].map((m) => m[1]!.slice(2));
  return {
    static: at(/(?:^|[;}\n])\s*(?:import|export)\s*(?:[\w$*{}\s,]+from\s*)?["'](\.\/[^"']+\.js)["']/g),
    dynamic: at(/\bimport\(\s*["'](\.\/[^"']+\.js)["']\s*\)/g),
  };
}

/** `entry` and the files it reaches (statically only, or also through import()), each once. */
export function closure(dir: string, entry: string, dynamic: boolean): string[] {
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    const refs = importsOf(readFileSync(join(dir, name), 'utf8'));
    for (const n of [...refs.static, ...(dynamic ? refs.dynamic : [])]) visit(n);
  };
  visit(entry);
  return [...seen];
}

const kb = (n: number) => Number((n / 1024).toFixed(1));
const sizes = (files: string[]) => {
  const bytes = files.map((f) => readFileSync(join(DIST, f)));
  return { raw: kb(bytes.reduce((s, b) => s + b.length, 0)), gzip: kb(bytes.reduce((s, b) => s + gzipSync(b, { level: 9 }).length, 0)) };
};

export async function bundleBench(): Promise<Record<string, number>> {
  const entry = readdirSync(DIST).find((n) => /^bw-feed\.[\w-]{8,}\.js$/.test(n));
  if (!entry) throw new Error(`no hashed bw-feed.<hash>.js in ${DIST}: run npm run build`);
  const initial = closure(DIST, entry, false);
  const all = closure(DIST, entry, true);
  process.stderr.write(`  initial: ${initial.join(' ')}\n  total: ${all.join(' ')}\n`);
  const first = sizes(initial);
  const total = sizes(all);
  return {
    bw_feed_bundle_kb: first.raw,
    bw_feed_bundle_gzip_kb: first.gzip,
    bw_feed_total_gzip_kb: total.gzip,
  };
}
