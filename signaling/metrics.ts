// Owns the relay's Prometheus metrics: one prom-client Registry per relay, the RelayObserver that feeds it, and the /metrics handler.
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Config } from './config.js';
import type { Logger } from './log.js';
import type { RelayObserver } from './server.js';

/** What the gauges read on each scrape (cheap reads, never per frame). */
export interface MetricSources {
  stats(): { online: number; sockets: number };
  /** Unexpired posts waiting in every mailbox. */
  depth(): number;
}

export interface RelayMetrics {
  readonly registry: Registry;
  readonly observer: RelayObserver;
}

/** Only these get their own latency histogram: the two that touch the store. */
const TIMED = new Set(['mailbox:put', 'mailbox:fetch']);

/**
 * A fresh Registry (not prom-client's global one: a test process runs several relays) holding every metric
 * listed in the README. Labels are bounded: `event` is one of the relay's events or 'unknown' (server.ts),
 * `result` is 'ok' or an ERROR_CODES entry.
 */
export function createMetrics(sources: MetricSources): RelayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  new Gauge({
    name: 'bw_sockets',
    help: 'Open Socket.IO connections, authenticated or not',
    registers: [registry],
    collect() {
      this.set(sources.stats().sockets);
    },
  });
  new Gauge({
    name: 'bw_authenticated_keys',
    help: 'Distinct public keys with at least one authenticated connection',
    registers: [registry],
    collect() {
      this.set(sources.stats().online);
    },
  });
  new Gauge({
    name: 'bw_mailbox_depth',
    help: 'Unexpired sealed posts waiting in all mailboxes',
    registers: [registry],
    collect() {
      this.set(sources.depth());
    },
  });
  const frames = new Counter({ name: 'bw_frames_total', help: "Frames answered, by event and result ('ok' or the error code)", labelNames: ['event', 'result'] as const, registers: [registry] });
  const refused = new Counter({ name: 'bw_rate_limited_total', help: 'Frames refused by the per-connection rate limit', registers: [registry] });
  const latency = new Histogram({
    name: 'bw_frame_duration_seconds',
    help: 'Time from a mailbox:put or mailbox:fetch frame to its answer (a put waits for its group commit)',
    labelNames: ['event'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  // Children cached by label pair: a label lookup hashes its object, and this runs on every frame of the hot path.
  const counters = new Map<string, Counter.Internal>();
  const timers = new Map<string, Histogram.Internal<'event'>>();
  const observer: RelayObserver = {
    frame(event, result, seconds) {
      const k = `${event} ${result}`;
      let c = counters.get(k);
      if (!c) counters.set(k, (c = frames.labels(event, result)));
      c.inc();
      if (result === 'rate-limited') refused.inc();
      if (TIMED.has(event)) {
        let h = timers.get(event);
        if (!h) timers.set(event, (h = latency.labels(event)));
        h.observe(seconds);
      }
    },
  };
  return { registry, observer };
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * The metrics listener's whole HTTP surface: GET /metrics, and with a token only for `Authorization: Bearer <token>`
 * (compared in constant time over SHA-256 digests, so neither content nor length leaks). Anything else is 404.
 */
export function metricsHandler(registry: Registry, token: string) {
  const want = token ? digest(`Bearer ${token}`) : undefined;
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://metrics').pathname;
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found; try /metrics.\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (want && !timingSafeEqual(digest(req.headers.authorization ?? ''), want)) {
      res.writeHead(401, { 'www-authenticate': 'Bearer realm="brainwaves-metrics"', 'content-type': 'text/plain' }).end('Bearer token required.\n');
      return;
    }
    try {
      const body = await registry.metrics();
      res.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' }).end(req.method === 'HEAD' ? undefined : body);
    } catch (e) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics collection failed: ${(e as Error).message}\n`);
    }
  };
}

/** Starts the separate metrics listener; logs its URL once listening. Bind errors go to `onError` (main.ts exits). */
export function serveMetrics(
  registry: Registry,
  config: Pick<Config, 'metricsHost' | 'metricsPort' | 'metricsToken'>,
  log: Logger,
  onError: (e: NodeJS.ErrnoException) => void,
): Server {
  const server = createServer((req, res) => void handler(req, res));
  const handler = metricsHandler(registry, config.metricsToken);
  server.on('error', onError);
  server.listen(config.metricsPort === 'off' ? 0 : config.metricsPort, config.metricsHost, () => {
    const addr = server.address();
    const port = typeof addr === 'object' && addr ? addr.port : config.metricsPort;
    const host = config.metricsHost.includes(':') ? `[${config.metricsHost}]` : config.metricsHost;
    log.info('metrics listening', { metrics: `http://${host}:${port}/metrics`, token: config.metricsToken ? 'required' : 'none' });
  });
  return server;
}
