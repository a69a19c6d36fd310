// Owns the relay's command-line entry: parse config, open the store, listen, shut down gracefully on SIGTERM/SIGINT.
import { createServer } from 'node:http';
import { isBwError } from '../shared/errors.js';
import { helpText, parseConfig } from './config.js';
import { createLogger } from './log.js';
import { createMetrics, serveMetrics } from './metrics.js';
import { createRelay } from './server.js';
import { staticHandler } from './static.js';
import { openSqliteStore } from './store/sqlite.js';

function main(): void {
  let config;
  try {
    config = parseConfig(process.argv.slice(2), process.env);
  } catch (e) {
    process.stderr.write(`brainwaves-relay: ${isBwError(e) ? e.message : String(e)}\n`);
    process.exit(2);
  }
  if (config === 'help') {
    process.stdout.write(helpText() + '\n');
    return;
  }
  const log = createLogger(config.logLevel);
  const store = openSqliteStore({ dataDir: config.dataDir, queueQuota: config.queueQuota, senderQuota: config.senderQuota });
  let relay: ReturnType<typeof createRelay> | undefined;
  const httpServer = createServer((req, res) => void serve(req, res));
  const serve = staticHandler(config.staticDir, () => relay?.stats() ?? {});
  const metrics = config.metricsPort === 'off' ? undefined : createMetrics({ stats: () => relay?.stats() ?? { online: 0, sockets: 0 }, depth: () => store.depth(Date.now()) });
  relay = createRelay({ httpServer, config, store, log, ...(metrics && { observe: metrics.observer }) });
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
    log.info('relay listening', { url: `http://${host}:${port}/`, dataDir: config.dataDir });
    if (config.staticDir) process.stderr.write(`\n  BrainWaves is running. Open http://${host}:${port}/ in two browser windows (two profiles) to try it.\n\n`);
  });
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    log.info('shutting down', { signal });
    httpServer.closeAllConnections?.();
    void relay!.close().then(() => {
      log.info('closed');
      process.exit(0);
    });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main();
