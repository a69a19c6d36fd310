// @ts-check
// Component and in-browser crypto tests in Debian's Chromium; run inside test/in-netns.sh (npm test does).
import { readFileSync } from 'node:fs';
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { chromeLauncher } from '@web/test-runner-chrome';

const { args } = JSON.parse(readFileSync('test/chromium-flags.json', 'utf8'));
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** @type {import('@web/test-runner').TestRunnerConfig} */
export default {
  files: 'test/browser/**/*.test.ts',
  hostname: '127.0.0.1',
  // 'production' keeps socket.io's debug-free builds (their debug builds import CommonJS 'debug').
  nodeResolve: { browser: true, exportConditions: ['production'] },
  concurrency: 1,
  testFramework: { config: { timeout: 10_000 } },
  plugins: [
    {
      // Dexie's `import` entry is a UMD wrapper the dev server serves untransformed: take its own ESM build.
      // simple-peer is CommonJS: take the build `npm run build` makes of it with the product's own shims
      // (rollup.config.mjs), so these tests run the same simple-peer the bundles ship.
      name: 'cjs-packages',
      resolveImport: ({ source }) => ({ dexie: '/node_modules/dexie/dist/dexie.mjs', 'simple-peer': '/build/test-vendor/simple-peer.js' })[source],
    },
    esbuildPlugin({ ts: true, target: 'es2022', tsconfig: 'tsconfig.json' }),
  ],
  browsers: [chromeLauncher({ launchOptions: { executablePath, headless: true, args } })],
};
