// @ts-check
// Bundles the client (compiled by tsc into build/) into dist/: the page (index.html, app.<hash>.js, page.<hash>.css)
// and the embeddable bw-feed.<hash>.js (+ a stable bw-feed.js alias). build/tools/dist.js then finishes dist/.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import commonjs from '@rollup/plugin-commonjs';
import terser from '@rollup/plugin-terser';
import { renderPage, sri } from './build/tools/page.js';

/** Where the client goes: dist/, or another directory to rebuild into and compare (test/node/build.test.ts). */
const DIST = process.env.BW_DIST_DIR || 'dist';
// Content-hashed names are cached forever by browsers, so old builds would pile up in dist/ and be served: start clean.
rmSync(DIST, { recursive: true, force: true });

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

/** Emits the page's stylesheet, then writes index.html once the hashed files exist on disk (SRI is over their final bytes). */
const page = () => {
  /** @type {string} */
  let cssRef = '';
  return {
    name: 'page',
    buildStart() {
      cssRef = this.emitFile({ type: 'asset', name: 'page.css', source: readFileSync('client/page.css', 'utf8') });
      // What the page links besides bundles, at fixed names: the web app manifest and its icon (client/sw.ts caches them).
      for (const f of ['manifest.webmanifest', 'icon.svg']) this.emitFile({ type: 'asset', fileName: f, source: readFileSync(`client/${f}`, 'utf8') });
    },
    /** @param {import('rollup').NormalizedOutputOptions} out @param {import('rollup').OutputBundle} bundle */
    writeBundle(out, bundle) {
      const dir = out.dir ?? DIST;
      const app = Object.values(bundle).find((f) => f.type === 'chunk' && f.isEntry);
      const css = this.getFileName(cssRef);
      if (!app) throw new Error('no entry chunk for the page');
      const html = renderPage(
        readFileSync('client/index.html', 'utf8'),
        { app: { name: app.fileName, bytes: readFileSync(join(dir, app.fileName)) }, css: { name: css, bytes: readFileSync(join(dir, css)) } },
        process.env.BW_RELAY_URL ?? '',
      );
      writeFileSync(join(dir, 'index.html'), html);
    },
  };
};

/**
 * Pins the chunks split off the entry (client/net-libs.ts: the network libraries, loaded after first paint by
 * client/lazy-net.ts; client/qr-libs.ts: the QR code generator, loaded by <bw-qr>) from the entry: writes each one's
 * file name and SRI hash over its same-length placeholders (client/pinned-chunk.ts; the source map holds), so an embed
 * snippet's integrity on the entry covers the chunks too. A pinned chunk must import nothing: the entry already names
 * it, and a chunk naming the entry back would make the two hashes depend on each other.
 */
const PINNED = ['net-libs', 'qr-libs'];
const pinChunks = () => ({
  name: 'pin-chunks',
  /** @param {import('rollup').NormalizedOutputOptions} _out @param {import('rollup').OutputBundle} bundle */
  generateBundle(_out, bundle) {
    const chunks = Object.values(bundle).filter((f) => f.type === 'chunk');
    const stray = chunks.filter((c) => !c.isEntry && !PINNED.includes(c.name));
    if (stray.length) throw new Error(`unexpected chunks: ${stray.map((c) => c.fileName)} (only ${PINNED} are split off; what else is lazy must stay in the entry, under its SRI)`);
    for (const name of PINNED) {
      const pinned = chunks.find((c) => c.name === name);
      if (!pinned) continue; // inlined (the stable bw-feed.js): nothing to pin
      if (pinned.imports.length || pinned.dynamicImports.length) throw new Error(`${pinned.fileName} imports ${[...pinned.imports, ...pinned.dynamicImports]}: it must import nothing to be pinned by SRI`);
      const file = `./${pinned.fileName}`;
      const hash = sri(pinned.code);
      const fileHole = new RegExp(`(["'])\\./${name}\\.________\\.js\\1`, 'g');
      const hashHole = new RegExp(`(["'])sha384-${name}_{${64 - name.length}}\\1`, 'g');
      let named = 0;
      for (const c of chunks.filter((x) => !PINNED.includes(x.name))) {
        const code = c.code.replace(fileHole, (m, q) => {
          if (file.length !== m.length - 2) throw new Error(`${file} is not as long as its placeholder`);
          return q + file + q;
        }).replace(hashHole, (_m, q) => q + hash + q);
        if (code !== c.code) named++;
        c.code = code;
      }
      if (!named) throw new Error(`nothing names ${pinned.fileName} with its hash: its placeholders are gone`);
    }
  },
});

/** Content-hashed names (cached as immutable by the relay and any static host); lazy code in chunks named the same way. */
const hashed = { dir: DIST, format: /** @type {const} */ ('es'), sourcemap: true, intro: 'var global = globalThis;', entryFileNames: '[name].[hash].js', chunkFileNames: '[name].[hash].js', assetFileNames: '[name].[hash][extname]' };

export default [
  { ...bundle('build/client/app.js', 'dist/app.js'), output: { ...hashed, entryFileNames: 'app.[hash].js' }, plugins: [...plugins(), pinChunks(), page()] },
  {
    ...bundle('build/client/embed.js', 'dist/bw-feed.js'),
    plugins: [...plugins(), pinChunks()],
    output: [
      { ...hashed, entryFileNames: 'bw-feed.[hash].js' }, // for embed snippets with an SRI hash
      { file: join(DIST, 'bw-feed.js'), format: 'es', intro: 'var global = globalThis;', inlineDynamicImports: true }, // a stable name that always has the newest build
    ],
  },
  // The service worker: a classic script at a fixed name at the site root, so its scope is the whole page (client/sw.ts).
  { ...bundle('build/client/sw.js', 'dist/sw.js'), output: { file: join(DIST, 'sw.js'), format: 'iife', sourcemap: true } },
  // simple-peer exactly as the bundles above carry it (shims included), for the browser tests to import.
  ...(DIST === 'dist' ? [{ ...bundle('simple-peer', 'build/test-vendor/simple-peer.js'), plugins: plugins().slice(0, -1) }] : []),
];
