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
  depth(): number | Promise<number>;
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
    async collect() {
      this.set(await sources.depth());
    },
  });
  // Frames are counted in plain numbers and handed to prom-client on scrape: its inc() hashes the label set on every
  // call (~1 µs, measured), a cost the hot path (signal:send, ~45 µs of relay CPU per frame) should not pay.
  const counts = new Map<string, Map<string, { n: number; reported: number }>>();
  let rateLimited = 0;
  let rateLimitedReported = 0;
  new Counter({
    name: 'bw_frames_total',
    help: "Frames answered, by event and result ('ok' or the error code)",
    labelNames: ['event', 'result'] as const,
    registers: [registry],
    collect() {
      for (const [event, byResult] of counts) {
        for (const [result, c] of byResult) {
          if (c.n > c.reported) this.inc({ event, result }, c.n - c.reported);
          c.reported = c.n;
        }
      }
    },
  });
  new Counter({
    name: 'bw_rate_limited_total',
    help: 'Frames refused by the per-connection rate limit',
    registers: [registry],
    collect() {
      this.inc(rateLimited - rateLimitedReported);
      rateLimitedReported = rateLimited;
    },
  });
  const latency = new Histogram({
    name: 'bw_frame_duration_seconds',
    help: 'Time from a mailbox:put or mailbox:fetch frame to its answer (a put waits for its group commit)',
    labelNames: ['event'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const observer: RelayObserver = {
    timed: TIMED,
    frame(event, result, seconds) {
      let byResult = counts.get(event);
      if (!byResult) counts.set(event, (byResult = new Map()));
      const c = byResult.get(result);
      if (c) c.n++;
      else byResult.set(result, { n: 1, reported: 0 });
      if (result === 'rate-limited') rateLimited++;
      if (TIMED.has(event)) latency.observe({ event }, seconds); // put and fetch only: a store call costs far more
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
    let path: string;
    try {
      path = new URL(req.url ?? '/', 'http://metrics').pathname;
    } catch {
      // A request-target Node's parser takes but URL does not ('//', a bad host after '//'): answered, not thrown.
      res.writeHead(400, { 'content-type': 'text/plain', connection: 'close' }).end('Bad request; try GET /metrics.\n');
      return;
    }
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
  const handler = metricsHandler(registry, config.metricsToken);
  // Every request is answered and nothing escapes: a throw the handler did not expect is logged, and the request
  // gets a 500 (or, once its head is out, its connection is cut) instead of being left open.
  const server = createServer((req, res) => {
    handler(req, res).catch((e: unknown) => {
      log.error('metrics request failed', { err: String((e as Error)?.stack ?? e) });
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain', connection: 'close' }).end('internal error\n');
      else res.destroy();
    });
  });
  server.on('error', onError);
  server.listen(config.metricsPort === 'off' ? 0 : config.metricsPort, config.metricsHost, () => {
    const addr = server.address();
    const port = typeof addr === 'object' && addr ? addr.port : config.metricsPort;
    const host = config.metricsHost.includes(':') ? `[${config.metricsHost}]` : config.metricsHost;
    log.info('metrics listening', { metrics: `http://${host}:${port}/metrics`, token: config.metricsToken ? 'required' : 'none' });
  });
  return server;
}
