// Owns the relay's configuration: one readonly Config, its defaults, and the only place flags and env are read.
import * as v from 'valibot';
import { IceServersSchema, LIMITS, type IceServer } from '../shared/protocol.js';
import { BwError } from '../shared/errors.js';
import { MAX_BLOB_BYTES } from '../shared/crypto/blob.js';
import { parse } from '../shared/validate.js';

export interface Config {
  readonly host: string;
  readonly port: number;
  /** Where mailbox.db lives; ':memory:' for tests. Unused when databaseUrl is set. */
  readonly dataDir: string;
  /**
   * Redis (redis://host:port) through which several relay processes act as one: presence, signals and mailbox notices
   * cross between them (signaling/cluster.ts). '' = this process alone.
   */
  readonly redisUrl: string;
  /** PostgreSQL (postgres://…) for the mailbox, shared by every relay process; '' = SQLite in dataDir. */
  readonly databaseUrl: string;
  /** Directory of the built client (index.html, bw-feed.js); '' serves no page. */
  readonly staticDir: string;
  readonly iceServers: readonly IceServer[];
  /** TURN server URLs that get short-lived credentials from turnSecret (coturn use-auth-secret). */
  readonly turnUrls: readonly string[];
  readonly turnSecret: string;
  readonly turnTtlSeconds: number;
  readonly maxFrameBytes: number;
  readonly queueQuota: number;
  /** Stored posts from one sender to one recipient: a flooder fills its own share, not the recipient's whole queue. */
  readonly senderQuota: number;
  readonly mailboxTtlSeconds: number;
  /** Largest image blob stored (bytes); a bigger one is refused as 'oversize'. Kept as long as a mailbox post. */
  readonly blobMaxBytes: number;
  /** Bytes of unexpired blobs one sender may keep on the relay before its puts are refused as 'quota'. */
  readonly blobSenderQuota: number;
  /** Bytes of unfinished uploads one key may have announced (all of its connections) before more are refused as 'busy'. */
  readonly blobPendingBytes: number;
  /** Bytes of unfinished uploads the whole relay holds in memory (received so far) before more are refused as 'busy'. */
  readonly blobPendingTotalBytes: number;
  /** The slowest average an upload may keep after its grace (bytes per second); a slower one is dropped. */
  readonly blobMinRate: number;
  /** Milliseconds an upload has before blobMinRate applies. */
  readonly blobGraceMs: number;
  /** Frames per second per connection (token bucket, burst = 2× rate). */
  readonly rateLimit: number;
  /**
   * Work per second per key, shared by all of its connections, in units of one signal (signaling/rate-limit.ts
   * EVENT_COST: an allow list costs 50, a put 4); burst = 2× rate.
   */
  readonly keyRateLimit: number;
  /** Bytes the relay holds for one connection that is not reading before signals to it are refused as 'busy'. */
  readonly maxPendingBytes: number;
  /** The same bound over all of one key's connections: a key's many connections do not multiply what it may pile up. */
  readonly maxPendingBytesPerKey: number;
  /** Connections one key may hold at once (tabs, devices sharing a key, reconnects not yet timed out). */
  readonly maxSocketsPerKey: number;
  readonly authTimeoutMs: number;
  /** PEM certificate chain and private key files; both set = serve HTTPS/WSS, neither = plain HTTP. */
  readonly tlsCert: string;
  readonly tlsKey: string;
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  /** Address of the separate Prometheus /metrics listener; a non-loopback one needs metricsToken. */
  readonly metricsHost: string;
  /** Port of the /metrics listener (0 = any free port), or 'off' for none. */
  readonly metricsPort: number | 'off';
  /** When set, /metrics wants `Authorization: Bearer <metricsToken>`. */
  readonly metricsToken: string;
}

export const DEFAULTS: Config = {
  host: '127.0.0.1',
  port: 8787,
  dataDir: './data',
  redisUrl: '',
  databaseUrl: '',
  staticDir: './dist',
  iceServers: [],
  turnUrls: [],
  turnSecret: '',
  turnTtlSeconds: 3600,
  maxFrameBytes: LIMITS.maxFrameBytes,
  queueQuota: 10_000,
  senderQuota: 1_000,
  mailboxTtlSeconds: 30 * 24 * 3600,
  blobMaxBytes: MAX_BLOB_BYTES,
  // 256 photos and their thumbnails at the most: a month of posting for a friend who does not fetch.
  blobSenderQuota: 128 * 1024 * 1024,
  // Four photos with thumbnails in flight at once, per key; a flood of half-finished uploads cannot hold more.
  blobPendingBytes: 4 * 1024 * 1024,
  // Well inside the relay's memory target under a flood (bench: flood_relay_rss_mb ≤ 300 MB).
  blobPendingTotalBytes: 64 * 1024 * 1024,
  // A photo (≤ ~600 KB) takes under 40 s even at this rate; a phone on a poor link sends far faster.
  blobMinRate: 16 * 1024,
  blobGraceMs: 10_000,
  // A client coming online signals every online friend at once (offer, answer, several ICE candidates each).
  rateLimit: 200,
  keyRateLimit: 200,
  // Far above a burst of signals from every friend at once (a few KB each), far below what a flood could pile up.
  maxPendingBytes: 1024 * 1024,
  maxPendingBytesPerKey: 4 * 1024 * 1024,
  // A person's tabs and a `bw` or two, with room for reconnects whose old connection has not timed out yet.
  maxSocketsPerKey: 16,
  authTimeoutMs: 10_000,
  tlsCert: '',
  tlsKey: '',
  logLevel: 'info',
  metricsHost: '127.0.0.1',
  metricsPort: 9787,
  metricsToken: '',
};

interface Option {
  key: keyof Config;
  flag: string;
  env: string;
  help: string;
  kind: 'string' | 'int' | 'json' | 'list' | 'port-or-off';
}

const OPTIONS: Option[] = [
  { key: 'host', flag: '--host', env: 'BW_HOST', kind: 'string', help: 'address to listen on' },
  { key: 'port', flag: '--port', env: 'BW_PORT', kind: 'int', help: 'TCP port (0 = any free port)' },
  { key: 'dataDir', flag: '--data-dir', env: 'BW_DATA_DIR', kind: 'string', help: 'directory for the mailbox database' },
  { key: 'redisUrl', flag: '--redis-url', env: 'BW_REDIS_URL', kind: 'string', help: "Redis joining several relay processes into one network ('' = one process)" },
  { key: 'databaseUrl', flag: '--database-url', env: 'BW_DATABASE_URL', kind: 'string', help: "PostgreSQL URL for the mailbox ('' = SQLite in --data-dir)" },
  { key: 'staticDir', flag: '--static-dir', env: 'BW_STATIC_DIR', kind: 'string', help: "built client to serve at / ('' = none)" },
  { key: 'iceServers', flag: '--ice-servers', env: 'BW_ICE_SERVERS', kind: 'json', help: 'JSON list of RTCIceServer (STUN) handed to clients' },
  { key: 'turnUrls', flag: '--turn-urls', env: 'BW_TURN_URLS', kind: 'list', help: 'comma-separated turn: URLs given time-limited credentials' },
  { key: 'turnSecret', flag: '--turn-secret', env: 'BW_TURN_SECRET', kind: 'string', help: "coturn's static-auth-secret (never sent to browsers)" },
  { key: 'turnTtlSeconds', flag: '--turn-ttl', env: 'BW_TURN_TTL', kind: 'int', help: 'TURN credential lifetime, seconds' },
  { key: 'maxFrameBytes', flag: '--max-frame-bytes', env: 'BW_MAX_FRAME_BYTES', kind: 'int', help: 'largest Socket.IO frame accepted' },
  { key: 'queueQuota', flag: '--queue-quota', env: 'BW_QUEUE_QUOTA', kind: 'int', help: 'stored posts per recipient' },
  { key: 'senderQuota', flag: '--sender-quota', env: 'BW_SENDER_QUOTA', kind: 'int', help: 'stored posts from one sender to one recipient' },
  { key: 'mailboxTtlSeconds', flag: '--mailbox-ttl', env: 'BW_MAILBOX_TTL', kind: 'int', help: 'seconds a stored post is kept' },
  { key: 'blobMaxBytes', flag: '--blob-max-bytes', env: 'BW_BLOB_MAX_BYTES', kind: 'int', help: 'largest image blob stored, bytes' },
  { key: 'blobSenderQuota', flag: '--blob-sender-quota', env: 'BW_BLOB_SENDER_QUOTA', kind: 'int', help: 'bytes of image blobs one sender may keep stored' },
  { key: 'blobPendingBytes', flag: '--blob-pending-bytes', env: 'BW_BLOB_PENDING_BYTES', kind: 'int', help: 'bytes of unfinished blob uploads one key may have open' },
  { key: 'blobPendingTotalBytes', flag: '--blob-pending-total-bytes', env: 'BW_BLOB_PENDING_TOTAL_BYTES', kind: 'int', help: 'bytes of unfinished blob uploads the relay holds in all' },
  { key: 'blobMinRate', flag: '--blob-min-rate', env: 'BW_BLOB_MIN_RATE', kind: 'int', help: 'slowest average upload rate kept after the grace, bytes per second' },
  { key: 'blobGraceMs', flag: '--blob-grace-ms', env: 'BW_BLOB_GRACE_MS', kind: 'int', help: 'milliseconds an upload has before --blob-min-rate applies' },
  { key: 'rateLimit', flag: '--rate-limit', env: 'BW_RATE_LIMIT', kind: 'int', help: 'frames per second per connection' },
  { key: 'keyRateLimit', flag: '--key-rate-limit', env: 'BW_KEY_RATE_LIMIT', kind: 'int', help: 'work per second per key (a signal = 1, a put = 4, an allow list = 50)' },
  { key: 'maxPendingBytes', flag: '--max-pending-bytes', env: 'BW_MAX_PENDING_BYTES', kind: 'int', help: 'bytes held for a connection that is not reading' },
  { key: 'maxPendingBytesPerKey', flag: '--max-pending-bytes-per-key', env: 'BW_MAX_PENDING_BYTES_PER_KEY', kind: 'int', help: "bytes held for all of one key's connections that are not reading" },
  { key: 'maxSocketsPerKey', flag: '--max-sockets-per-key', env: 'BW_MAX_SOCKETS_PER_KEY', kind: 'int', help: 'connections one key may hold at once' },
  { key: 'tlsCert', flag: '--tls-cert', env: 'BW_TLS_CERT', kind: 'string', help: 'PEM certificate chain file: serve HTTPS (reloaded on SIGHUP)' },
  { key: 'tlsKey', flag: '--tls-key', env: 'BW_TLS_KEY', kind: 'string', help: 'PEM private key file for --tls-cert' },
  { key: 'logLevel', flag: '--log-level', env: 'BW_LOG_LEVEL', kind: 'string', help: 'debug | info | warn | error | silent' },
  { key: 'metricsHost', flag: '--metrics-host', env: 'BW_METRICS_HOST', kind: 'string', help: 'address of the Prometheus /metrics listener (not loopback: needs a token)' },
  { key: 'metricsPort', flag: '--metrics-port', env: 'BW_METRICS_PORT', kind: 'port-or-off', help: "port of the /metrics listener (0 = any free port, 'off' = none)" },
  { key: 'metricsToken', flag: '--metrics-token', env: 'BW_METRICS_TOKEN', kind: 'string', help: '/metrics wants "Authorization: Bearer <token>" (prefer the env)' },
];

export function helpText(): string {
  const rows = OPTIONS.map((o) => `  ${`${o.flag} <value>`.padEnd(26)} ${o.help} [env ${o.env}, default ${JSON.stringify(DEFAULTS[o.key])}]`);
  return ['Usage: brainwaves-relay [options]', '', 'The BrainWaves signaling relay and encrypted mailbox.', '', ...rows, '  --help                     show this help'].join('\n');
}

function convert(o: Option, raw: string): unknown {
  switch (o.kind) {
    case 'string':
      return raw;
    case 'list':
      return raw.split(',').map((s) => s.trim()).filter(Boolean);
    case 'port-or-off':
      if (raw.trim() === 'off') return 'off';
    // falls through: otherwise a port number
    case 'int': {
      const n = /^\s*\d+\s*$/.test(raw) ? Number(raw) : NaN; // not Number(raw) alone: '' and ' ' would be 0
      if (!Number.isSafeInteger(n)) throw new BwError('bad-frame', `${o.flag} must be a whole number, got "${raw}"`);
      return n;
    }
    case 'json':
      try {
        return parse(IceServersSchema, JSON.parse(raw), o.flag);
      } catch (e) {
        throw new BwError('bad-frame', `${o.flag} must be a JSON list of ICE servers: ${(e as Error).message}`);
      }
  }
}

/** Flags win over environment, environment over defaults. Returns 'help' for --help. */
export function parseConfig(argv: readonly string[], env: Record<string, string | undefined>): Config | 'help' {
  const out: Record<string, unknown> = { ...DEFAULTS };
  for (const o of OPTIONS) if (env[o.env] !== undefined) out[o.key] = convert(o, env[o.env]!);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') return 'help';
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const o = OPTIONS.find((x) => x.flag === flag);
    if (!o) throw new BwError('bad-frame', `unknown option ${flag} (see --help)`);
    const raw = inline ?? argv[++i];
    if (raw === undefined) throw new BwError('bad-frame', `${flag} needs a value`);
    out[o.key] = convert(o, raw);
  }
  if (out.metricsPort !== 'off' && !isLoopback(out.metricsHost as string) && !out.metricsToken) {
    // Metrics name how busy the relay is and when; on a reachable address they are for the operator only.
    throw new BwError('bad-frame', `--metrics-host ${String(out.metricsHost)} is not loopback: set --metrics-token (or BW_METRICS_TOKEN), or --metrics-port off`);
  }
  const level = parse(v.picklist(['debug', 'info', 'warn', 'error', 'silent']), out.logLevel, '--log-level');
  if (out.turnUrls && (out.turnUrls as string[]).length && !out.turnSecret) throw new BwError('bad-frame', '--turn-urls needs --turn-secret');
  for (const k of ['blobMinRate', 'maxSocketsPerKey'] as const) if (!((out[k] as number) > 0)) throw new BwError('bad-frame', `${OPTIONS.find((o) => o.key === k)!.flag} must be at least 1`);
  if (!out.tlsCert !== !out.tlsKey) throw new BwError('bad-frame', '--tls-cert and --tls-key go together: give both or neither');
  return Object.freeze({ ...(out as unknown as Config), logLevel: level });
}

/** 127.0.0.0/8, ::1 (also as ::ffff:127.x) and 'localhost': addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^(::ffff:)?127(\.\d{1,3}){3}$/.test(h);
}
