// Prometheus metrics: what the relay counts, the separate /metrics listener, its token, and the config it refuses.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { generateIdentity, peerId } from '../../shared/crypto/identity.js';
import { pairKeys } from '../../shared/crypto/pairwise.js';
import { sealPost } from '../../shared/crypto/envelope.js';
import { toB64u } from '../../shared/bytes.js';
import { BwError } from '../../shared/errors.js';
import { DEFAULTS, isLoopback, parseConfig, type Config } from '../../signaling/config.js';
import { createLogger } from '../../signaling/log.js';
import { createMetrics, metricsHandler } from '../../signaling/metrics.js';
import { createRelay, type Relay } from '../../signaling/server.js';
import { openSqliteStore } from '../../signaling/store/sqlite.js';
import { startRelay, type RelayProcess } from '../e2e/relay-process.js';
import { allow, call, capFor, connectAs, connectRaw, type ClientSocket } from './relay-harness.js';
import { tempDir } from '../temp.js';

/** The value of one sample in Prometheus text format, e.g. sample(text, 'bw_frames_total', { event: 'x', result: 'ok' }). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return undefined;
}

/** Sends `request` as raw bytes to 127.0.0.1:`port`; resolves with all that comes back once the server closes, or rejects after 3 s. */
function rawRequest(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let got = '';
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no complete answer within 3 s; got ${JSON.stringify(got)}`));
    }, 3_000);
    s.on('data', (d: Buffer) => (got += d.toString()));
    s.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    s.on('end', () => {
      clearTimeout(timer);
      s.destroy();
      resolve(got);
    });
    s.write(request);
  });
}

const listen = async (s: Server): Promise<string> => {
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
};

/** A relay on port 0 with metrics on a second loopback listener, as main.ts wires them. */
async function startWithMetrics(overrides: Partial<Config> = {}, token = '') {
  const dataDir = tempDir('bw-metrics-test');
  const config: Config = { ...DEFAULTS, port: 0, dataDir, staticDir: '', logLevel: 'silent', ...overrides };
  const store = openSqliteStore({ dataDir, queueQuota: config.queueQuota, senderQuota: config.senderQuota });
  const httpServer = createServer();
  let relay: Relay | undefined;
  const metrics = createMetrics({ stats: () => relay!.stats(), depth: () => store.depth(Date.now()) });
  relay = createRelay({ httpServer, config, store, log: createLogger('silent'), observe: metrics.observer });
  const handler = metricsHandler(metrics.registry, token);
  const metricsServer = createServer((req, res) => void handler(req, res));
  const [url, metricsUrl] = await Promise.all([listen(httpServer), listen(metricsServer)]);
  return {
    url,
    metricsUrl: `${metricsUrl}/metrics`,
    scrape: async () => (await fetch(`${metricsUrl}/metrics`)).text(),
    async close() {
      metricsServer.close();
      await relay!.close();
      httpServer.close();
    },
  };
}

describe('relay metrics', () => {
  let h: Awaited<ReturnType<typeof startWithMetrics>>;
  const sockets: ClientSocket[] = [];
  before(async () => (h = await startWithMetrics()));
  after(async () => {
    for (const s of sockets) s.close();
    await h.close();
  });

  test('frames by event and result, put/fetch latency, sockets, authenticated keys, mailbox depth, process metrics', async () => {
    const alice = await connectAs(h.url, 'alice');
    const bob = await connectAs(h.url, 'bob');
    const stranger = await connectRaw(h.url);
    sockets.push(alice.socket, bob.socket, stranger.socket);
    await allow(bob, [alice.id]);
    const [sealed] = sealPost(alice.id, { seq: 1, ts: 1, body: 'hello' }, [{ sigPub: bob.id.sigPub, wrapKey: pairKeys(alice.id, bob.id).wrap }]);
    assert.equal((await call(alice.socket, 'mailbox:put', { to: bob.key, env: toB64u(sealed!.envelope), cap: capFor(alice.id, bob.id) })).ok, true);
    assert.equal((await call(bob.socket, 'mailbox:fetch', { after: 0, limit: 10 })).ok, true);
    // Refusals, each under its own code:
    assert.equal((await call(alice.socket, 'signal:send', { to: peerId(generateIdentity('nobody').sigPub), data: { kind: 'sdp' } })).code, 'offline');
    assert.equal((await call(stranger.socket, 'mailbox:fetch', { after: 0, limit: 10 })).code, 'unauthenticated');
    assert.equal((await call(alice.socket, 'mailbox:fetch', { after: -1, limit: 10 })).code, 'bad-frame');
    const unknown = new Promise((r) => alice.socket.once('relay:error', r));
    (alice.socket.emit as (e: string, v: unknown) => void)('made:up', {});
    await unknown;

    const text = await h.scrape();
    const frames = (event: string, result: string) => sample(text, 'bw_frames_total', { event, result });
    assert.equal(frames('auth:prove', 'ok'), 2);
    assert.equal(frames('mailbox:allow', 'ok'), 1);
    assert.equal(frames('mailbox:put', 'ok'), 1);
    assert.equal(frames('mailbox:fetch', 'ok'), 1);
    assert.equal(frames('signal:send', 'offline'), 1);
    assert.equal(frames('mailbox:fetch', 'unauthenticated'), 1);
    assert.equal(frames('mailbox:fetch', 'bad-frame'), 1);
    assert.equal(frames('unknown', 'bad-frame'), 1, 'an unknown event is counted under "unknown", never under its own name');
    assert.ok(!text.includes('made:up'), 'client-chosen names never become labels');
    assert.equal(sample(text, 'bw_frame_duration_seconds_count', { event: 'mailbox:put' }), 1);
    assert.equal(sample(text, 'bw_frame_duration_seconds_count', { event: 'mailbox:fetch' }), 3, 'refused fetches are timed too');
    assert.equal(sample(text, 'bw_frame_duration_seconds_count', { event: 'signal:send' }), undefined, 'only the store calls are timed');
    assert.equal(sample(text, 'bw_sockets'), 3);
    assert.equal(sample(text, 'bw_authenticated_keys'), 2);
    assert.equal(sample(text, 'bw_mailbox_depth'), 1);
    assert.equal(sample(text, 'bw_rate_limited_total'), 0);
    for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes']) {
      assert.notEqual(sample(text, name), undefined, `process metric ${name}`);
    }
    // Counts kept between scrapes: a later scrape shows the running total.
    assert.equal((await call(bob.socket, 'mailbox:fetch', { after: 0, limit: 10 })).ok, true);
    const later = await h.scrape();
    assert.equal(sample(later, 'bw_frames_total', { event: 'mailbox:fetch', result: 'ok' }), 2);
    assert.equal(sample(later, 'bw_frames_total', { event: 'mailbox:put', result: 'ok' }), 1);
  });

  test('a second relay in the same process has its own registry', async () => {
    const other = await startWithMetrics({ rateLimit: 1 }); // burst 2: the third frame is refused
    try {
      const c = await connectAs(other.url, 'c'); // frame 1
      await call(c.socket, 'mailbox:fetch', { after: 0, limit: 1 }); // frame 2
      assert.equal((await call(c.socket, 'mailbox:fetch', { after: 0, limit: 1 })).code, 'rate-limited');
      c.socket.close();
      const text = await other.scrape();
      assert.equal(sample(text, 'bw_rate_limited_total'), 1);
      assert.equal(sample(text, 'bw_frames_total', { event: 'mailbox:fetch', result: 'rate-limited' }), 1);
      assert.equal(sample(text, 'bw_frames_total', { event: 'auth:prove', result: 'ok' }), 1, 'counts only its own frames');
      assert.equal(sample(await h.scrape(), 'bw_rate_limited_total'), 0, 'the first relay saw no refusal');
    } finally {
      await other.close();
    }
  });
});

describe('metrics listener', () => {
  test('with a token: 401 without it or with a wrong one, 200 with it; other paths 404', async () => {
    const h = await startWithMetrics({}, 's3cret-token');
    try {
      const noAuth = await fetch(h.metricsUrl);
      assert.equal(noAuth.status, 401);
      assert.match(noAuth.headers.get('www-authenticate') ?? '', /^Bearer/);
      assert.equal((await fetch(h.metricsUrl, { headers: { authorization: 'Bearer wrong' } })).status, 401);
      assert.equal((await fetch(h.metricsUrl, { headers: { authorization: 's3cret-token' } })).status, 401, 'the scheme is part of the header');
      const ok = await fetch(h.metricsUrl, { headers: { authorization: 'Bearer s3cret-token' } });
      assert.equal(ok.status, 200);
      assert.match(ok.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
      assert.match(await ok.text(), /^# HELP bw_sockets /m);
      assert.equal((await fetch(h.metricsUrl.replace('/metrics', '/healthz'))).status, 404);
      assert.equal((await fetch(h.metricsUrl, { method: 'POST', headers: { authorization: 'Bearer s3cret-token' } })).status, 405);
    } finally {
      await h.close();
    }
  });
});

describe('metrics config', () => {
  const refused = (argv: string[], env: Record<string, string> = {}) =>
    assert.throws(() => parseConfig(argv, env), (e) => e instanceof BwError && e.code === 'bad-frame' && /--metrics-token/.test(e.message), argv.join(' '));

  test('defaults: loopback 127.0.0.1:9787, no token; port 0 and "off" parse', () => {
    assert.equal(DEFAULTS.metricsHost, '127.0.0.1');
    assert.equal(DEFAULTS.metricsPort, 9787);
    assert.equal(DEFAULTS.metricsToken, '');
    const off = parseConfig(['--metrics-port', 'off'], {});
    assert.ok(off !== 'help');
    assert.equal(off.metricsPort, 'off');
    const env = parseConfig([], { BW_METRICS_PORT: '0', BW_METRICS_TOKEN: 't' });
    assert.ok(env !== 'help');
    assert.equal(env.metricsPort, 0);
    assert.equal(env.metricsToken, 't');
    assert.throws(() => parseConfig(['--metrics-port', 'of'], {}), (e) => e instanceof BwError && e.code === 'bad-frame' && /--metrics-port/.test(e.message));
  });

  test('a non-loopback metrics host without a token is refused; a token or "off" makes it acceptable', () => {
    refused(['--metrics-host', '0.0.0.0']);
    refused(['--metrics-host', '::']);
    refused(['--metrics-host', '10.0.0.5']);
    refused([], { BW_METRICS_HOST: '0.0.0.0' });
    assert.notEqual(parseConfig(['--metrics-host', '0.0.0.0', '--metrics-token', 't'], {}), undefined);
    assert.notEqual(parseConfig(['--metrics-host', '0.0.0.0'], { BW_METRICS_TOKEN: 't' }), undefined);
    assert.notEqual(parseConfig(['--metrics-host', '0.0.0.0', '--metrics-port', 'off'], {}), undefined);
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1']) assert.ok(isLoopback(h), h);
    for (const h of ['0.0.0.0', '::', '128.0.0.1', '127.example.com', '1127.0.0.1', '']) assert.ok(!isLoopback(h), h);
  });
});

describe('the relay process', () => {
  let relay: RelayProcess;
  before(async () => (relay = await startRelay()));
  after(() => relay.stop());

  test('serves /metrics on its own loopback listener, not on the main one', async () => {
    const [, metricsUrl] = await relay.waitFor(/"metrics":"(http:\/\/127\.0\.0\.1:\d+\/metrics)"/);
    const c = await connectAs(relay.url, 'p');
    assert.equal((await call(c.socket, 'mailbox:fetch', { after: 0, limit: 1 })).ok, true);
    c.socket.close();
    const text = await (await fetch(metricsUrl!)).text();
    assert.equal(sample(text, 'bw_frames_total', { event: 'mailbox:fetch', result: 'ok' }), 1);
    assert.notEqual(sample(text, 'process_cpu_seconds_total'), undefined);
    assert.notEqual(metricsUrl, `${relay.url}/metrics`);
    const main = await fetch(`${relay.url}/metrics`);
    assert.equal(main.status, 404, 'the public listener never answers /metrics');
    assert.doesNotMatch(await main.text(), /bw_frames_total/);
  });

  // Without the fix `new URL('//', base)` threw before the handler's try: the rejection escaped (the process logged an
  // unhandled rejection) and the request was never answered, holding its connection open.
  test('a request line it cannot parse as a URL (GET //) is answered 400, and nothing escapes the handler', { timeout: 15_000 }, async () => {
    const [, metricsUrl] = await relay.waitFor(/"metrics":"(http:\/\/127\.0\.0\.1:\d+\/metrics)"/);
    let out = '';
    const onOut = (d: Buffer) => (out += d.toString());
    relay.child.stdout!.on('data', onOut);
    try {
      const answer = await rawRequest(Number(new URL(metricsUrl!).port), 'GET // HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
      assert.match(answer, /^HTTP\/1\.1 400 /);
      assert.equal((await fetch(metricsUrl!)).status, 200, 'the listener still serves /metrics');
      await new Promise((r) => setTimeout(r, 100)); // a log line of the bad request, if any, is written by now
      assert.doesNotMatch(out, /unhandled rejection|uncaught exception|ERR_INVALID_URL/);
    } finally {
      relay.child.stdout!.off('data', onOut);
    }
  });

  test('refuses to start with a public metrics host and no token, naming the fix', async () => {
    const child = spawn(process.execPath, [relay.child.spawnargs[1]!, '--port', '0', '--data-dir', ':memory:', '--metrics-host', '0.0.0.0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const [code] = await once(child, 'exit');
    assert.equal(code, 2);
    assert.match(err, /--metrics-host 0\.0\.0\.0 is not loopback: set --metrics-token/);
  });
});
