// @ts-check
// Bundles the client (compiled by tsc into build/) into dist/: the page's app.js and the embeddable bw-feed.js.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import commonjs from '@rollup/plugin-commonjs';
import inject from '@rollup/plugin-inject';
import terser from '@rollup/plugin-terser';

/** simple-peer is CommonJS written for browserify: it expects Node's process, events and global. */
const plugins = () => [
  {
    // simple-peer logs through `debug` (≈4 KB gzip, never enabled in the product); Dexie's `import` entry wraps its UMD build.
    name: 'substitutes',
    resolveId: (id) =>
      id === 'debug' ? fileURLToPath(new URL('client/vendor/debug-stub.js', import.meta.url))
      : id === 'dexie' ? fileURLToPath(new URL('node_modules/dexie/dist/dexie.mjs', import.meta.url))
      : null,
  },
  nodeResolve({ browser: true, preferBuiltins: false }),
  commonjs(),
  inject({ process: 'process/browser.js' }),
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
          this.emitFile({ type: 'asset', fileName: 'index.html', source: readFileSync('client/index.html', 'utf8') });
        },
      },
    ],
  },
  bundle('build/client/embed.js', 'dist/bw-feed.js'),
];
