// @ts-check
// Bundles the client (compiled by tsc into build/) into dist/: the page's app.js and the embeddable bw-feed.js.
import { readFileSync } from 'node:fs';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import commonjs from '@rollup/plugin-commonjs';
import inject from '@rollup/plugin-inject';

/** simple-peer is CommonJS written for browserify: it expects Node's process, events and global. */
const plugins = () => [
  nodeResolve({ browser: true, preferBuiltins: false }),
  commonjs(),
  inject({ process: 'process/browser.js' }),
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
