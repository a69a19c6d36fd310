// @ts-check
// Bundles the client (compiled by tsc into build/) into dist/: the page's app.js and the embeddable bw-feed.js.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import commonjs from '@rollup/plugin-commonjs';
import terser from '@rollup/plugin-terser';

/** @type {Record<string, string>} */
const SUBSTITUTES = {
  debug: 'client/vendor/debug-stub.js',
  'readable-stream': 'client/vendor/duplex-shim.js',
  buffer: 'client/vendor/buffer-shim.js',
  randombytes: 'client/vendor/randombytes-shim.js',
  dexie: 'node_modules/dexie/dist/dexie.mjs',
};

/** simple-peer is CommonJS written for browserify: it expects Node's `events` (the npm port) and `global`. */
const plugins = () => [
  {
    // simple-peer was written for browserify: it logs through `debug` (never enabled here) and subclasses a Node
    // stream built on Buffer and process shims the product never uses (≈20 KB gzip together). client/vendor/
    // holds the few calls simple-peer 9.11 makes of them. Dexie's `import` entry wraps its UMD build; take its ESM.
    name: 'substitutes',
    resolveId: (id) => (id in SUBSTITUTES ? fileURLToPath(new URL(SUBSTITUTES[id], import.meta.url)) : null),
  },
  nodeResolve({ browser: true, preferBuiltins: false }),
  commonjs(),
  terser({ ecma: 2020, module: true, compress: { passes: 2 }, format: { comments: false } }),
];

/** @param {string} input @param {string} file @returns {import('rollup').RollupOptions} */
const bundle = (input, file) => ({
  input,
  plugins: plugins(),
  output: { file, format: 'es', sourcemap: true, intro: 'var global = globalThis;' },
  onwarn(w, warn) {
    if (w.code === 'CIRCULAR_DEPENDENCY' && /node_modules/.test(w.ids?.[0] ?? '')) return; // readable-stream's own
    if (w.code === 'THIS_IS_UNDEFINED') return;
    warn(w);
  },
});

export default [
  {
    ...bundle('build/client/app.js', 'dist/app.js'),
    plugins: [
      ...plugins(),
      {
        name: 'page',
        generateBundle() {
          // The page and what it links besides bundles: the web app manifest and its icon (client/sw.ts caches them).
          for (const f of ['index.html', 'manifest.webmanifest', 'icon.svg']) this.emitFile({ type: 'asset', fileName: f, source: readFileSync(`client/${f}`, 'utf8') });
        },
      },
    ],
  },
  bundle('build/client/embed.js', 'dist/bw-feed.js'),
  // The service worker: a classic script at the site root, so its scope is the whole page (client/sw.ts).
  { ...bundle('build/client/sw.js', 'dist/sw.js'), output: { file: 'dist/sw.js', format: 'iife', sourcemap: true } },
  // simple-peer exactly as the bundles above carry it (shims included), for the browser tests to import.
  { ...bundle('simple-peer', 'build/test-vendor/simple-peer.js'), plugins: plugins().slice(0, -1) },
];
