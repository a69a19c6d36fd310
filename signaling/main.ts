// Owns the relay's command-line entry: parse config, open the store, listen (HTTP or HTTPS), shut down gracefully on SIGTERM/SIGINT.
import { readFileSync } from 'node:fs';
import type { Server as HttpsServer } from 'node:https';
import { BwError, isBwError } from '../shared/errors.js';
import { helpText, parseConfig, type Config } from './config.js';
import { clientHandler, createRelayServer, guardServer, type TlsFiles } from './http.js';
import { createLogger } from './log.js';
import { createMetrics, serveMetrics } from './metrics.js';
import { createRelay } from './server.js';
import { closeWithin, SHUTDOWN_DEADLINE_MS } from './shutdown.js';
import { loadSite } from './static.js';
import { openCluster, type Cluster } from './cluster.js';
import { openPostgresStore } from './store/postgres.js';
import { openSqliteStore } from './store/sqlite.js';
import type { MailboxStore } from './store/store.js';
import { openSqliteBlobStore } from './store/blobs-sqlite.js';
import { openPostgresBlobStore } from './store/blobs-postgres.js';
import type { BlobStore } from './store/blobs.js';

/** Reads the PEM files named by --tls-cert / --tls-key; undefined when TLS is off. */
function readTls(config: Pick<Config, 'tlsCert' | 'tlsKey'>): TlsFiles | undefined {
  if (!config.tlsCert) return undefined;
  const read = (path: string, flag: string) => {
    try {
      return readFileSync(path);
    } catch (e) {
      throw new BwError('bad-frame', `${flag} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  };
  return { cert: read(config.tlsCert, '--tls-cert'), key: read(config.tlsKey, '--tls-key') };
}

/**
 * The mailbox and image blob stores and the cluster link the configuration asks for: neither flag = SQLite, one
 * process. With --database-url both stores are in that PostgreSQL database, so any process serves any client's posts and images.
 */
async function openBackends(config: Config, log: ReturnType<typeof createLogger>): Promise<{ store: MailboxStore; blobs: BlobStore; cluster?: Cluster }> {
  const quotas = { queueQuota: config.queueQuota, senderQuota: config.senderQuota };
  const onPgError = (e: Error) => log.warn('postgres connection error', { err: e.message });
  const store = config.databaseUrl
    ? await openPostgresStore({ databaseUrl: config.databaseUrl, ...quotas }, onPgError)
    : openSqliteStore({ dataDir: config.dataDir, ...quotas });
  let blobs: BlobStore | undefined;
  try {
    blobs = config.databaseUrl ? await openPostgresBlobStore({ databaseUrl: config.databaseUrl }, onPgError) : openSqliteBlobStore({ dataDir: config.dataDir });
    return config.redisUrl ? { store, blobs, cluster: await openCluster({ redisUrl: config.redisUrl, log }) } : { store, blobs };
  } catch (e) {
    await blobs?.close();
    await store.close();
    throw e;
  }
}

async function main(): Promise<void> {
  let config;
  let tls: TlsFiles | undefined;
  try {
    config = parseConfig(process.argv.slice(2), process.env);
    if (config !== 'help') tls = readTls(config);
  } catch (e) {
    process.stderr.write(`brainwaves-relay: ${isBwError(e) ? e.message : String(e)}\n`);
    process.exit(2);
  }
  if (config === 'help') {
    process.stdout.write(helpText() + '\n');
    return;
  }
  const log = createLogger(config.logLevel);

  let backends;
  try {
    backends = await openBackends(config, log);
  } catch (e) {
    log.error('cannot open the mailbox store or reach Redis', { err: (e as Error).message });
    process.exit(1);
  }
  const { store, blobs, cluster } = backends;
  let relay: ReturnType<typeof createRelay> | undefined;
  const site = loadSite(config.staticDir);
  const httpServer = createRelayServer({ tls, log, onRequest: clientHandler(site, () => relay?.stats() ?? {}, log) });
  const metrics = config.metricsPort === 'off' ? undefined : createMetrics({ stats: () => relay?.stats() ?? { online: 0, sockets: 0 }, depth: () => store.depth(Date.now()) });
  relay = createRelay({ httpServer, config, store, log, ...(metrics && { observe: metrics.observer }), blobs, ...(cluster && { cluster }) });
  guardServer(httpServer, log); // after Socket.IO has attached its own listeners
  if (metrics) {
    serveMetrics(metrics.registry, config, log, (e) => {
      log.error('cannot listen for metrics', { host: config.metricsHost, port: config.metricsPort, code: e.code, err: e.message });
      process.exit(1);
    });
  }
  httpServer.on('error', (e: NodeJS.ErrnoException) => {
    log.error('cannot listen', { host: config.host, port: config.port, code: e.code, err: e.message });
    process.exit(1);
  });
  httpServer.listen(config.port, config.host, () => {
    const addr = httpServer.address();
    const port = typeof addr === 'object' && addr ? addr.port : config.port;
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    const url = `${tls ? 'https' : 'http'}://${host}:${port}/`;
    const where = config.databaseUrl ? { mailbox: 'postgresql', blobs: 'postgresql' } : { dataDir: config.dataDir };
    log.info('relay listening', { url, ...where, files: site.size, ...(cluster && { node: cluster.node, transports: 'websocket' }) });
    // The last line of defence behind the guards (signaling/guard.ts), once serving: a bug in a library callback is
    // logged and the relay keeps serving everyone else (its state that matters, the mailbox, is in SQLite). Before
    // this point a failure to start still ends the process with an error status, so a supervisor sees it.
    process.on('uncaughtException', (e) => log.error('uncaught exception', { err: String(e?.stack ?? e) }));
    process.on('unhandledRejection', (e) => log.error('unhandled rejection', { err: String((e as Error)?.stack ?? e) }));
    if (site.size) process.stderr.write(`\n  BrainWaves is running. Open ${url} in two browser windows (two profiles) to try it.\n\n`);
  });
  if (tls) {
    // Certificates renew (Let's Encrypt: every 60–90 days); SIGHUP loads the new files without dropping anyone.
    process.on('SIGHUP', () => {
      try {
        (httpServer as unknown as HttpsServer).setSecureContext(readTls(config)!);
        log.info('tls certificate reloaded', { cert: config.tlsCert });
      } catch (e) {
        log.error('tls certificate reload failed; keeping the old one', { err: (e as Error).message });
      }
    });
  }
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    log.info('shutting down', { signal });
    httpServer.closeAllConnections?.();
    // Bounded: a close() that rejects or hangs (a database that stopped answering mid-commit) is logged and ends in exit 1.
    void closeWithin(() => relay!.close(), SHUTDOWN_DEADLINE_MS, log, (code) => process.exit(code));
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

void main();
