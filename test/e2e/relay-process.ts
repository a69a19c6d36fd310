// Owns starting the real relay as a child process on a free loopback port, and stopping it.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createHash, createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { tempDir } from '../temp.js';

export interface RelayProcess {
  url: string;
  dataDir: string;
  child: ChildProcess;
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Resolves with the first match of `re` in everything the relay has written to stdout, now or later. */
  waitFor(re: RegExp): Promise<RegExpExecArray>;
}

const MAIN = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '../../signaling/main.js');

/** Starts build/signaling/main.js with --port 0 and waits for its "relay listening" log line. */
export async function startRelay(opts: { dataDir?: string; args?: string[] } = {}): Promise<RelayProcess> {
  const dataDir = opts.dataDir ?? tempDir('bw-relay');
  const child = spawn(process.execPath, [MAIN, '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir, '--static-dir', 'dist', '--log-level', 'info', '--metrics-port', '0', ...(opts.args ?? [])], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let buf = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`relay did not start: ${buf}`)), 15_000);
    child.once('exit', (code) => reject(new Error(`relay exited with ${code}: ${buf}`)));
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /"url":"(https?:\/\/127\.0\.0\.1:\d+)\/"/.exec(buf);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
  });
  return {
    url,
    dataDir,
    child,
    waitFor: (re) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const m = re.exec(buf);
          if (!m) return false;
          child.stdout!.off('data', onData);
          child.off('exit', onExit);
          resolve(m);
          return true;
        };
        const onData = () => void check(); // registered after startRelay's own listener, so buf already holds the chunk
        const onExit = () => reject(new Error(`relay exited before printing ${re}: ${buf}`));
        if (check()) return;
        child.stdout!.on('data', onData);
        child.once('exit', onExit);
      }),
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      await once(child, 'exit');
    },
  };
}

/** A one-day self-signed P-256 certificate for 127.0.0.1, made with openssl, for `--tls-cert` / `--tls-key`. */
export function selfSignedCert(): { cert: string; key: string; spki: string } {
  const dir = tempDir('bw-tls');
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert,
    '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  // Chromium's --ignore-certificate-errors-spki-list takes this (base64 SHA-256 of the public key) to trust it fully.
  const spki = createHash('sha256').update(createPublicKey(readFileSync(cert)).export({ type: 'spki', format: 'der' })).digest('base64');
  return { cert, key, spki };
}

/** A loopback port that was free a moment ago, for a relay that must come back at the same address. */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}
