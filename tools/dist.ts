// Owns finishing dist/ after Rollup: precompressed copies for the relay and static hosts, SHA256SUMS, and the printed build digest and embed snippet.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { sri } from './page.js';

const COMPRESSIBLE = /\.(html|js|css|svg|json|webmanifest)$/;
/** Files that are derived from others here (not part of the digest: zlib/brotli output may differ between Node versions). */
export const isDerived = (name: string): boolean => /\.(br|gz)$/.test(name) || name === 'SHA256SUMS';

/** `sha256sum`-compatible lines over every primary file of a built dist/, sorted by name. */
export function sha256sums(dir: string): string {
  return readdirSync(dir)
    .filter((n) => !isDerived(n))
    .sort()
    .map((n) => `${createHash('sha256').update(readFileSync(join(dir, n))).digest('hex')}  ${n}\n`)
    .join('');
}

/** The one number to compare between two builds of the same commit. */
export const digestOf = (sums: string): string => createHash('sha256').update(sums).digest('hex');

function main(dir: string): void {
  for (const name of readdirSync(dir)) {
    if (!COMPRESSIBLE.test(name) || isDerived(name)) continue;
    const body = readFileSync(join(dir, name));
    writeFileSync(join(dir, `${name}.br`), brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: body.length } }));
    writeFileSync(join(dir, `${name}.gz`), gzipSync(body, { level: 9 }));
  }
  const sums = sha256sums(dir);
  writeFileSync(join(dir, 'SHA256SUMS'), sums);
  const embed = readdirSync(dir).find((n) => /^bw-feed\.[\w-]+\.js$/.test(n));
  const lines = [
    `dist/ digest: sha256:${digestOf(sums)} (over dist/SHA256SUMS; rebuild the same commit with \`npm ci && npm run build\`` +
      `${process.env.BW_RELAY_URL ? ` and BW_RELAY_URL=${process.env.BW_RELAY_URL}` : ' and no BW_RELAY_URL'} to compare)`,
  ];
  if (embed) {
    lines.push(
      'embed snippet (replace RELAY with your relay origin):',
      `  <script type="module" src="RELAY/${embed}" integrity="${sri(readFileSync(join(dir, embed)))}" crossorigin="anonymous"></script>`,
      '  <bw-feed relay="RELAY"></bw-feed>',
    );
  }
  process.stdout.write(lines.join('\n') + '\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main(process.argv[2] ?? 'dist');
