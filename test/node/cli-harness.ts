// Owns running `bw` (build/cli/main.js) as a child process for tests: each user a temp BW_HOME, never ~/.brainwaves.
import { spawn, type ChildProcess } from 'node:child_process';
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { startRelay, type RelayProcess } from '../e2e/relay-process.js';
import { join } from 'node:path';
import { tempDir } from '../temp.js';

const MAIN = join(import.meta.dirname, '../../cli/main.js');

export interface BwResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout as JSON lines (with --json). */
  json: any[];
}

export interface BwUser {
  home: string;
  run(args: string[], opts?: { input?: string; env?: NodeJS.ProcessEnv }): Promise<BwResult>;
  /** Starts a long-running command; `line(pred)` resolves with the first JSON line matching. */
  spawn(args: string[]): { child: ChildProcess; line(pred: (o: any) => boolean): Promise<any>; done: Promise<BwResult> };
}

const parseLines = (s: string) => s.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));

/** Asserts a bw run exited 0, showing its stderr when it did not. */
export const ok = (r: BwResult, what: string): void => assert.equal(r.code, 0, `${what}: exit ${r.code}\n${r.stderr}`);

/**
 * A real relay process for the enclosing suite (or file): started before its tests, stopped after them together with
 * every bw they left running. Read `.url` inside a test.
 */
export function relayForTests(): { readonly url: string } {
  let relay: RelayProcess | undefined;
  before(async () => {
    relay = await startRelay();
  });
  after(() => {
    stopAll();
    return relay?.stop();
  });
  return {
    get url() {
      if (!relay) throw new Error('the relay starts before the tests');
      return relay.url;
    },
  };
}

/** Every bw still running; a test that fails midway leaves its `--follow` behind, which would keep the run alive. */
const running = new Set<ChildProcess>();
/** Stops whatever bw a test left running (call from `after`). */
export const stopAll = (): void => running.forEach((c) => c.kill('SIGKILL'));

export function bwUser(relay: string, passphrase = 'correct horse battery staple'): BwUser {
  const home = tempDir('bw-cli');
  const env = (extra: NodeJS.ProcessEnv = {}) => ({ PATH: process.env.PATH, HOME: join(home, 'no-home'), BW_HOME: home, BW_RELAY: relay, BW_PASSPHRASE: passphrase, ...extra });
  const start = (args: string[], extra?: NodeJS.ProcessEnv) => {
    const child = spawn(process.execPath, [MAIN, ...args], { env: env(extra), stdio: ['pipe', 'pipe', 'pipe'] });
    running.add(child);
    child.on('close', () => running.delete(child));
    let stdout = '';
    let stderr = '';
    const listeners = new Set<() => void>();
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d;
      listeners.forEach((l) => l());
    });
    child.stderr!.on('data', (d: Buffer) => (stderr += d));
    const done = new Promise<BwResult>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr, json: parseLines(stdout) })));
    const line = (pred: (o: any) => boolean) =>
      new Promise<any>((resolve, reject) => {
        const check = () => {
          const hit = parseLines(stdout).find(pred);
          if (hit) {
            listeners.delete(check);
            resolve(hit);
          }
        };
        listeners.add(check);
        child.on('close', () => reject(new Error(`bw ${args.join(' ')} ended without the line; stdout: ${stdout} stderr: ${stderr}`)));
        check();
      });
    return { child, done, line };
  };
  return {
    home,
    async run(args, opts = {}) {
      const p = start(args, opts.env);
      p.child.stdin!.end(opts.input ?? '');
      return p.done;
    },
    spawn(args) {
      const p = start(args);
      return p;
    },
  };
}
