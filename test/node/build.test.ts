// The built client: index.html's SRI hashes match the files, SHA256SUMS holds, the relay URL is a setting, and a second build of the same sources is byte-identical.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { digestOf, sha256sums } from '../../tools/dist.js';
import { setRelay, sri } from '../../tools/page.js';
import { isBwError } from '../../shared/errors.js';

const DIST = 'dist';
const html = () => readFileSync(join(DIST, 'index.html'), 'utf8');

test('index.html loads only hashed files, each with a matching SRI hash, and has no inline script or style', () => {
  const page = html();
  const refs = [...page.matchAll(/(?:src|href)="\.\/([^"]+)" integrity="([^"]+)"/g)];
  assert.equal(refs.length, 2, 'the app script and the stylesheet');
  for (const [, name, integrity] of refs) {
    assert.match(name!, /^[a-z-]+\.[\w-]{8}\.(js|css)$/, 'content-hashed name');
    assert.equal(integrity, sri(readFileSync(join(DIST, name!))), `${name}: SRI must match the file's bytes`);
  }
  assert.doesNotMatch(page, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script');
  assert.doesNotMatch(page, /<style|style="/, 'no inline style');
  assert.match(page, /<meta http-equiv="Content-Security-Policy" content="[^"]*script-src 'self'/);
});

test('dist/SHA256SUMS lists every primary file with its hash', () => {
  assert.equal(readFileSync(join(DIST, 'SHA256SUMS'), 'utf8'), sha256sums(DIST));
  assert.ok(readdirSync(DIST).some((n) => /^bw-feed\.[\w-]{8}\.js$/.test(n)), 'a hashed embed bundle for SRI snippets');
});

test('setRelay points a built page at another relay and allows connecting to it alone', () => {
  const page = setRelay(html(), 'https://relay.example:8443/ignored/path');
  assert.match(page, /<meta name="bw-relay" content="https:\/\/relay\.example:8443"/);
  assert.match(page, /connect-src https:\/\/relay\.example:8443 wss:\/\/relay\.example:8443;/);
  assert.equal(setRelay(page, ''), html(), 'and back');
  for (const bad of ['ftp://relay.example', 'relay.example', 'javascript:alert(1)', 'https://"><script>']) {
    assert.throws(() => setRelay(html(), bad), (e) => isBwError(e, 'bad-frame'), bad);
  }
});

test('the build is reproducible: bundling the same sources again gives the same digest', { timeout: 120_000 }, () => {
  // Beside dist/ (source maps name their sources relative to the folder they are written to).
  const out = mkdtempSync('.dist-rebuild-');
  execFileSync(process.execPath, ['node_modules/rollup/dist/bin/rollup', '-c', '--silent'], { env: { ...process.env, BW_DIST_DIR: out }, stdio: 'inherit' });
  execFileSync(process.execPath, ['build/tools/dist.js', out], { stdio: 'ignore' });
  const a = sha256sums(DIST);
  const b = sha256sums(out);
  assert.equal(b, a, 'every file byte-identical');
  assert.equal(digestOf(b), digestOf(a));
  rmSync(out, { recursive: true, force: true });
});
