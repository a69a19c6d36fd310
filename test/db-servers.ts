// Owns throwaway Redis and PostgreSQL servers for tests and benches: a temp data dir, a free loopback port, no
// persistence beyond the run, stopped when the process exits. Debian's redis-server and postgresql packages.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { once } from 'node:events';
import { tempDir } from './temp.js';

export const INSTALL_HINT =
  'the cluster tests need Debian\'s redis-server and postgresql: apt-get update && apt-get install -y redis-server postgresql ' +
  '(.ci/run installs them; tools/cluster-servers.sh starts both on loopback for local runs)';

const REDIS_BIN = '/usr/bin/redis-server';

/** The newest PostgreSQL server binaries Debian installed (/usr/lib/postgresql/<major>/bin), or undefined. */
export function postgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const majors = readdirSync(root).filter((d) => /^\d+$/.test(d)).sort((a, b) => Number(b) - Number(a));
  const bin = majors.map((m) => join(root, m, 'bin')).find((b) => existsSync(join(b, 'postgres')) && existsSync(join(b, 'initdb')));
  return bin;
}

/** What is missing for the cluster tests, as one sentence that says how to install it; undefined when all is there. */
export function missingServers(): string | undefined {
  const missing = [!existsSync(REDIS_BIN) && 'redis-server', !postgresBin() && 'postgresql'].filter(Boolean);
  return missing.length ? `${missing.join(' and ')} not found: ${INSTALL_HINT}` : undefined;
}

/** Throws with the install hint when a server is missing: npm test must not pass without testing the cluster. */
export function requireServers(): void {
  const m = missingServers();
  if (m) throw new Error(m);
}

export async function freeLoopbackPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of children) c.kill('SIGKILL'); // nothing outlives the test process (temp dirs go too: test/temp.ts)
});

/** Spawns `cmd` and resolves once `ready` appears in its output; rejects with what it printed if it exits first. */
async function spawnUntil(cmd: string, args: string[], ready: RegExp, opts: { uid?: number; gid?: number; cwd?: string } = {}): Promise<ChildProcess> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${cmd} did not start within 30 s: ${out}`)), 30_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      if (ready.test(out)) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        child.stderr!.off('data', onData);
        child.off('exit', onExit);
        resolve();
      }
    };
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`${cmd} exited (${code}) before it was ready: ${out}`));
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', onExit);
  });
  child.stdout!.resume(); // keep draining, or a chatty server blocks on a full pipe
  child.stderr!.resume();
  return child;
}

async function stopChild(c: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  const gone = once(c, 'exit');
  c.kill(signal);
  await gone;
}

export interface RedisServer {
  readonly url: string;
  readonly port: number;
  /** Stops it (all it held is gone: nothing is saved). */
  stop(): Promise<void>;
  /** Starts it again on the same port, empty. */
  start(): Promise<void>;
}

/** redis-server on 127.0.0.1 only, a free port, no RDB snapshots and no AOF. */
export async function startRedis(): Promise<RedisServer> {
  requireServers();
  const port = await freeLoopbackPort();
  const dir = tempDir('bw-redis');
  let child: ChildProcess | undefined;
  const start = async () => {
    child = await spawnUntil(REDIS_BIN, ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--dir', dir, '--protected-mode', 'yes'], /Ready to accept connections/);
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    start,
    stop: async () => {
      if (child) await stopChild(child, 'SIGKILL'); // an abrupt loss, as a crash or a network cut
    },
  };
}

export interface PostgresServer {
  /** URL of the default database, for a superuser 'bw' (trust auth on loopback; the server is this run's alone). */
  readonly url: string;
  readonly port: number;
  /** Creates a fresh empty database and returns its URL. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
  /** A crash stop: SIGKILL to the postmaster and every backend at once, as a power cut takes the processes. */
  crash(): Promise<void>;
  /** Starts it again on the same port and data (after a crash: once its recovery has replayed the WAL). */
  start(): Promise<void>;
}

/** A process's state letter and parent from /proc (after "(comm) "), or undefined once it is gone. */
function procStat(pid: number | string): { state: string; ppid: number } | undefined {
  try {
    const [state, ppid] = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
    return { state: state!, ppid: Number(ppid) };
  } catch {
    return undefined;
  }
}
const childrenOf = (pid: number) => readdirSync('/proc').filter((d) => /^\d+$/.test(d) && procStat(d)?.ppid === pid).map(Number);
const alive = (pid: number) => (procStat(pid)?.state ?? 'Z') !== 'Z';

/**
 * initdb into a temp dir, then postgres on 127.0.0.1 only with its Unix socket in that dir. PostgreSQL refuses to run
 * as root, so as root the server runs as Debian's 'postgres' user (which owns the temp dir).
 */
export async function startPostgres(): Promise<PostgresServer> {
  requireServers();
  const bin = postgresBin()!;
  const port = await freeLoopbackPort();
  const dir = tempDir('bw-postgres');
  const data = join(dir, 'data');
  let ids: { uid?: number; gid?: number } = {};
  if (process.getuid?.() === 0) {
    const user = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const group = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    if (user.status !== 0) throw new Error(`running as root, and there is no 'postgres' user to run PostgreSQL as: ${INSTALL_HINT}`);
    ids = { uid: Number(user.stdout.trim()), gid: Number(group.stdout.trim()) };
    chownSync(dir, ids.uid!, ids.gid!);
  }
  mkdirSync(data, { mode: 0o700 });
  if (ids.uid !== undefined) chownSync(data, ids.uid, ids.gid!);
  const init = spawnSync(join(bin, 'initdb'), ['-D', data, '-U', 'bw', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync'], { encoding: 'utf8', cwd: dir, ...ids });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr || init.stdout}`);
  const start = () => spawnUntil(join(bin, 'postgres'), ['-D', data, '-h', '127.0.0.1', '-p', String(port), '-k', dir, '-c', 'max_connections=200'], /database system is ready to accept connections/, { cwd: dir, ...ids });
  let child = await start();
  const url = `postgres://bw@127.0.0.1:${port}/postgres`;
  return {
    url,
    port,
    async createDatabase(name) {
      const { default: pg } = await import('pg');
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        await c.query(`CREATE DATABASE "${name.replace(/"/g, '')}"`);
      } finally {
        await c.end();
      }
      return `postgres://bw@127.0.0.1:${port}/${encodeURIComponent(name)}`;
    },
    stop: () => stopChild(child, 'SIGINT'), // "fast" shutdown: rolls back open transactions, then exits
    async crash() {
      const backends = childrenOf(child.pid!);
      const gone = stopChild(child, 'SIGKILL');
      for (const pid of backends) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already exited
        }
      }
      await gone;
      // The next postmaster refuses to start while an old backend still holds the shared memory: wait until none is left.
      for (let i = 0; i < 100 && backends.some(alive); i++) await new Promise((r) => setTimeout(r, 20));
    },
    async start() {
      child = await start();
    },
  };
}
