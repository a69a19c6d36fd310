// @ts-check
// Component and in-browser crypto tests in Debian's Chromium; run inside test/in-netns.sh (npm test does).
import { readFileSync } from 'node:fs';
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { chromeLauncher } from '@web/test-runner-chrome';

const { args } = JSON.parse(readFileSync('test/chromium-flags.json', 'utf8'));
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SIMPLE_PEER = '/__bw__/simple-peer.js';

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
      // Two packages whose `import` entry is CommonJS/UMD, which the dev server serves untransformed:
      // Dexie ships its own ESM build; simple-peer ships a standalone browser build that sets window.SimplePeer.
      // (The production bundle converts both with rollup's commonjs plugin.)
      name: 'cjs-packages',
      resolveImport: ({ source }) => ({ dexie: '/node_modules/dexie/dist/dexie.mjs', 'simple-peer': SIMPLE_PEER })[source],
      serve: ({ path }) =>
        path === SIMPLE_PEER ? { body: "import '/node_modules/simple-peer/simplepeer.min.js';\nexport default globalThis.SimplePeer;\n", type: 'js' } : undefined,
    },
    esbuildPlugin({ ts: true, target: 'es2022', tsconfig: 'tsconfig.json' }),
  ],
  browsers: [chromeLauncher({ launchOptions: { executablePath, headless: true, args } })],
};
