// deploy/ (Dockerfile, compose.yaml, systemd unit) checked against the code, so they cannot silently rot.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULTS, helpText } from '../../signaling/config.js';
import { startRelay } from '../e2e/relay-process.js';

const ROOT = join(import.meta.dirname, '../../..'); // build/test/node → repository root
const read = (p: string) => readFileSync(join(ROOT, p), 'utf8');
const dockerfile = read('deploy/Dockerfile');
const compose = read('deploy/compose.yaml');
const unit = read('deploy/brainwaves-relay.service');
const help = helpText();
/** Every BW_* variable and --flag the relay reads, from its own --help. */
const ENVS = new Set([...help.matchAll(/\[env (BW_[A-Z_]+),/g)].map((m) => m[1]!));
const FLAGS = new Set([...help.matchAll(/^ {2}(--[a-z-]+)/gm)].map((m) => m[1]!));
const withoutComments = (s: string) => s.split('\n').filter((l) => !/^\s*#/.test(l)).join('\n');

test('every BW_* variable the deploy files set is one the relay reads', () => {
  assert.ok(ENVS.size >= 15 && ENVS.has('BW_DATA_DIR'), 'parsed the env names out of --help');
  for (const [name, text] of [['Dockerfile', dockerfile], ['compose.yaml', compose], ['brainwaves-relay.service', unit]] as const) {
    const used = [...text.matchAll(/\b(BW_[A-Z_]+)/g)].map((m) => m[1]!);
    assert.ok(used.length > 0, `${name} sets some BW_* variable`);
    for (const env of used) assert.ok(ENVS.has(env), `${name} uses ${env}, which signaling/config.ts does not read`);
  }
});

test('Dockerfile: runs the built entry, non-root, /data volume, public host, toolchain in the build stage', () => {
  const entry = /^ENTRYPOINT \["node", "([^"]+)"\]/m.exec(dockerfile)?.[1];
  assert.equal(entry, 'build/signaling/main.js');
  assert.ok(existsSync(join(ROOT, entry!)), `${entry} is what npm run build produces`);
  assert.ok(existsSync(join(ROOT, 'signaling/main.ts')));
  // Every path copied out of the build stage is produced by the build (this test runs after one).
  for (const [, from] of dockerfile.matchAll(/^COPY --from=build \/app\/(\S+)/gm)) assert.ok(existsSync(join(ROOT, from!)), `COPY --from=build /app/${from}: no such build output`);
  assert.match(dockerfile, /^USER node$/m, 'runs as the image\'s unprivileged node user');
  assert.match(dockerfile, /^VOLUME \/data$/m);
  assert.match(dockerfile, /BW_DATA_DIR=\/data\b/, 'the database goes in the volume');
  assert.match(dockerfile, /BW_HOST=0\.0\.0\.0\b/, 'reachable from outside the container');
  assert.match(dockerfile, /BW_STATIC_DIR=\/app\/dist\b/);
  assert.match(dockerfile, /COPY --from=build \/app\/dist \.\/dist/);
  assert.match(dockerfile, new RegExp(`EXPOSE ${DEFAULTS.port}\\b`));
  assert.match(dockerfile, /^STOPSIGNAL SIGTERM$/m);
  // What the drain does on that signal is pinned by test/node/shutdown.test.ts.
  // better-sqlite3 may compile from source: the build stage needs a toolchain; both stages share a Debian release.
  assert.match(dockerfile, /apt-get install [^\n]*python3 make g\+\+/);
  const bases = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]!);
  assert.equal(bases.length, 2, 'multi-stage');
  assert.equal(bases[0], bases[1], 'the runtime stage loads the native module built in the build stage');
  const engines = JSON.parse(read('package.json')).engines.node as string;
  assert.match(bases[0]!, new RegExp(`^node:${/\d+/.exec(engines)![0]}-`), `base image's Node major matches engines ${engines}`);
  assert.match(JSON.parse(read('package.json')).scripts.build, /tsc/, 'RUN npm run build exists');
});

test("Dockerfile HEALTHCHECK, run as written: healthy against a real relay, unhealthy where none listens", { timeout: 30_000 }, async () => {
  const cmd = /^HEALTHCHECK [^\n]*\\\n\s*CMD (\[.*\])$/m.exec(dockerfile)?.[1];
  assert.ok(cmd, 'HEALTHCHECK … CMD ["node", "-e", …]');
  const [bin, flag, script] = JSON.parse(cmd) as string[];
  assert.deepEqual([bin, flag], ['node', '-e']);
  assert.match(script!, /\/healthz/);
  const check = async (port: string) => {
    const child = spawn(process.execPath, [flag!, script!], { env: { ...process.env, BW_PORT: port }, stdio: 'ignore' });
    return (await once(child, 'exit'))[0] as number;
  };
  const relay = await startRelay();
  try {
    assert.equal(await check(new URL(relay.url).port), 0, 'healthy');
  } finally {
    await relay.stop();
  }
  assert.equal(await check(new URL(relay.url).port), 1, 'unhealthy once the relay is gone');
});

test('.dockerignore keeps host builds and native modules out of the image', () => {
  const ignored = new Set(read('.dockerignore').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#')));
  for (const p of ['node_modules', 'build', 'dist', 'data', '.git']) assert.ok(ignored.has(p), `.dockerignore lists ${p}`);
});

test('compose: relay and coturn share the TURN secret, the relay keeps /data in a volume', () => {
  const body = withoutComments(compose);
  assert.match(body, /^ {2}relay:$/m);
  assert.match(body, /^ {2}coturn:$/m);
  assert.match(body, /dockerfile: deploy\/Dockerfile/);
  assert.match(body, /BW_TURN_SECRET: "\$\{TURN_SECRET[:?}]/);
  assert.match(body, /--static-auth-secret=\$\{TURN_SECRET\}/, 'coturn checks what the relay signs');
  assert.match(body, /- --use-auth-secret$/m);
  assert.match(body, /BW_TURN_URLS: "turn:/);
  assert.match(body, /- relay-data:\/data$/m);
  assert.match(body, new RegExp(`"${DEFAULTS.port}:${DEFAULTS.port}"`));
});

test('systemd unit: starts the built entry, keeps state in its StateDirectory, stops with SIGTERM, hardened', () => {
  const exec = /^ExecStart=(\S+) (\S+)(.*)$/m.exec(unit);
  assert.ok(exec, 'has ExecStart');
  assert.match(exec[2]!, /\/build\/signaling\/main\.js$/);
  for (const flag of exec[3]!.match(/--[a-z-]+/g) ?? []) assert.ok(FLAGS.has(flag), `ExecStart uses ${flag}, not in --help`);
  const state = /^StateDirectory=(\S+)$/m.exec(unit)?.[1];
  assert.ok(state);
  assert.match(unit, new RegExp(`^Environment=BW_DATA_DIR=/var/lib/${state}$`, 'm'), 'the database lives in the StateDirectory');
  for (const line of ['KillSignal=SIGTERM', 'NoNewPrivileges=yes', 'ProtectSystem=strict', 'DynamicUser=yes', 'PrivateTmp=yes']) {
    assert.match(unit, new RegExp(`^${line}$`, 'm'), line);
  }
  assert.match(unit, /^TimeoutStopSec=\d+s$/m);
});
