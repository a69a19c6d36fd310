// Owns the relay benchmark's simulated clients: socket.io-client sockets in their own process, driven over IPC.
// Runs as a child of bench/relay.bench.ts so the clients' CPU is not the measured server's CPU.
import { generateKeyPairSync, sign as edSign, type KeyObject } from 'node:crypto';
import { io, type Socket } from 'socket.io-client';
import { fromB64u, toB64u } from '../shared/bytes.js';
import { LABEL, signedMessage } from '../shared/crypto/kdf.js';
import { percentile, round } from './stats.js';
import { cpuSecondsOf } from './proc-cpu.js';
import { arm, honestUploads, type Armed, type AttackKind, type AttackStats } from './abuse-clients.js';
import { flood, honestClose, honestConnect, honestProbe, type FloodStats, type ProbeStats } from './flood-clients.js';

export type ServerKind = 'relay' | 'bare';

export interface ForwardTarget {
  url: string;
  kind: ServerKind;
  /** The server's pid, for its CPU time from /proc. */
  pid: number;
}

/** One target's totals over all of its measurement windows. */
export interface ForwardStats {
  kind: ServerKind;
  clients: number;
  delivered: number;
  seconds: number;
  msgsPerS: number;
  p50Ms: number;
  p99Ms: number;
  ackFailures: number;
  undrained: number;
  /** One signal:send frame's size, near enough (the ack id's digits aside). */
  frameBytes: number;
  /** CPU used while measuring, in cores (1 = one core busy throughout): shows which side was the bottleneck. */
  serverCores: number;
  driverCores: number;
  /** Server CPU time per forwarded message: its cost, whichever side limited the rate. */
  serverCpuUsPerMsg: number;
}

/** One login storm: n clients connecting (and, on our relay, authenticating) as fast as a window of `concurrency` allows. */
export interface StormStats {
  kind: ServerKind;
  connected: number;
  failed: number;
  seconds: number;
  /** Clients fully in (connected; on our relay, auth:prove acked ok) per second of the storm. */
  perS: number;
  /** CPU in cores while storming: the server near 1 means it was the bottleneck (it is single-threaded). */
  serverCores: number;
  driverCores: number;
  /** Server CPU time per client let in: its cost, whichever side limited the rate. */
  serverCpuUsPerClient: number;
}

/** Parent → driver. */
export type DriverRequest =
  | { op: 'idle'; url: string; kind: ServerKind; n: number; concurrency: number; capMs: number }
  | { op: 'storm'; url: string; kind: ServerKind; pid: number; n: number; concurrency: number; capMs: number }
  | { op: 'release' }
  | {
      op: 'forward';
      targets: ForwardTarget[];
      clients: number;
      inflight: number;
      /** Windows per target, the targets taking turns, so a burst of other load on the machine hits all alike. */
      rounds: number;
      warmupMs: number;
      measureMs: number;
      drainMs: number;
      /** Messages per window, a second bound besides measureMs. */
      maxMessages: number;
    }
  /** The flood benchmark (bench/flood-clients.ts): honest pairs that stay connected between probes, and attackers. */
  | { op: 'honest'; url: string; pairs: number }
  | { op: 'probe'; ms: number; pauseMs: number }
  | { op: 'flood'; url: string; keys: number; connsPerKey: number; ms: number }
  | { op: 'arm'; kind: AttackKind; url: string; trickleMs?: number }
  | { op: 'attack'; ms: number }
  | { op: 'uploads'; url: string; ms: number }
  | { op: 'exit' };

/** Driver → parent, one per request. */
export type DriverReply =
  | { op: 'held'; held: number; failed: number; ms: number }
  | { op: 'released'; count: number }
  | { op: 'stormed'; stats: StormStats }
  | { op: 'forwarded'; stats: ForwardStats[] }
  | { op: 'honest-ready'; clients: number }
  | { op: 'probed'; stats: ProbeStats }
  | { op: 'flooded'; stats: FloodStats }
  | { op: 'armed'; stats: AttackStats }
  | { op: 'attacked'; stats: AttackStats }
  | { op: 'uploaded'; tried: number; stored: number; refusals: Record<string, number> }
  | { op: 'error'; message: string };

interface Client {
  socket: Socket;
  /** What the server routes on: the authenticated key (relay) or the socket id (bare). */
  id: string;
}

// A realistic-looking offer, cut to ~450 chars so a whole `signal:send` frame is ~500 bytes.
const SDP = (
  'v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\na=extmap-allow-mixed\r\n' +
  'a=msid-semantic: WMS\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n' +
  'a=ice-ufrag:Zl3W\r\na=ice-pwd:8Ty0kRz4M3n5b1qQ6pLxV2aK\r\na=ice-options:trickle\r\n' +
  'a=fingerprint:sha-256 7B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:08\r\n' +
  'a=setup:actpass\r\na=mid:0\r\na=sctp-port:5000\r\na=max-message-size:262144\r\n'
).padEnd(450, 'a').slice(0, 450);

/**
 * A fresh Ed25519 identity signed with node:crypto rather than @noble: the clients' signing cost is not
 * what is measured, and 10,000 noble signatures would make the driver the bottleneck of the connect phase.
 */
function newKey(): { key: string; secret: KeyObject } {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return { key: publicKey.export({ format: 'jwk' }).x!, secret: privateKey }; // JWK x = raw key in base64url (RFC 8037 §2): a peer id
}

const withTimeout = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms);
    p.then((v) => (clearTimeout(t), resolve(v)), (e: unknown) => (clearTimeout(t), reject(e)));
  });

/** One client: connected over WebSocket and, for our relay, authenticated (auth:challenge → auth:prove). */
async function connectOne(url: string, kind: ServerKind, timeoutMs: number, identity?: { key: string; secret: KeyObject }): Promise<Client> {
  const socket = io(url, { transports: ['websocket'], reconnection: false, forceNew: true, timeout: timeoutMs });
  try {
    if (kind === 'bare') {
      await withTimeout(new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('connect_error', reject);
      }), timeoutMs, 'connect');
      return { socket, id: socket.id! };
    }
    const { key, secret } = identity ?? newKey();
    const challenge = await withTimeout(new Promise<{ nonce: string }>((resolve, reject) => {
      socket.once('auth:challenge', resolve);
      socket.once('connect_error', reject);
    }), timeoutMs, 'auth:challenge');
    const sig = edSign(null, signedMessage(LABEL.authSig, fromB64u(challenge.nonce, 'nonce')), secret);
    const res = (await socket.timeout(timeoutMs).emitWithAck('auth:prove', { key, sig: toB64u(sig) })) as { ok: boolean; code?: string };
    if (!res.ok) throw new Error(`auth:prove refused: ${res.code}`);
    return { socket, id: key };
  } catch (e) {
    socket.disconnect();
    throw e;
  }
}

/** Connects up to n clients, `concurrency` at a time, giving up on whatever is left when capMs runs out. */
async function connectMany(url: string, kind: ServerKind, n: number, concurrency: number, capMs: number): Promise<{ clients: Client[]; failed: number }> {
  const deadline = performance.now() + capMs;
  const clients: Client[] = [];
  let failed = 0;
  let firstError = '';
  for (let started = 0; started < n && performance.now() < deadline; ) {
    const batch = Math.min(concurrency, n - started);
    started += batch;
    const timeoutMs = Math.max(1000, Math.min(15_000, deadline - performance.now()));
    const settled = await Promise.allSettled(Array.from({ length: batch }, () => connectOne(url, kind, timeoutMs)));
    for (const s of settled) {
      if (s.status === 'fulfilled') clients.push(s.value);
      else {
        failed++;
        firstError ||= String((s.reason as Error)?.message ?? s.reason);
      }
    }
  }
  if (failed) process.stderr.write(`relay-load-driver: ${failed} of ${n} ${kind} clients failed to connect (first: ${firstError})\n`);
  return { clients, failed };
}

/** Identities made before a storm and kept for the next, so key generation is not part of any storm's time. */
const stormKeys: { key: string; secret: KeyObject }[] = [];

/**
 * A login storm, as after a relay restart: n clients connect at once, `concurrency` in flight at a time (a sliding
 * window, not batches, so one slow handshake does not idle the rest); on our relay each also answers its challenge,
 * signing with node:crypto (~40 µs of the driver's ~600 µs per login here, so signing is not what limits the rate). Everyone stays connected
 * until the storm is over, then is disconnected.
 */
async function storm(req: Extract<DriverRequest, { op: 'storm' }>): Promise<Extract<DriverReply, { op: 'stormed' }>> {
  if (req.kind === 'relay') while (stormKeys.length < req.n) stormKeys.push(newKey());
  const clients: Client[] = [];
  let failed = 0;
  let firstError = '';
  let next = 0;
  const t0 = performance.now();
  const deadline = t0 + req.capMs;
  const server0 = cpuSecondsOf(req.pid);
  const driver0 = process.cpuUsage();
  const lane = async () => {
    while (next < req.n && performance.now() < deadline) {
      const i = next++;
      try {
        clients.push(await connectOne(req.url, req.kind, Math.max(1000, Math.min(15_000, deadline - performance.now())), stormKeys[i]));
      } catch (e) {
        failed++;
        firstError ||= String((e as Error)?.message ?? e);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(req.concurrency, req.n) }, lane));
    const seconds = (performance.now() - t0) / 1000;
    const serverCpuS = cpuSecondsOf(req.pid) - server0;
    const driverCpu = process.cpuUsage(driver0);
    if (failed) process.stderr.write(`relay-load-driver: storm: ${failed} of ${req.n} ${req.kind} clients failed (first: ${firstError})\n`);
    return {
      op: 'stormed',
      stats: {
        kind: req.kind,
        connected: clients.length,
        failed,
        seconds: round(seconds, 3),
        perS: Math.round(clients.length / seconds),
        serverCores: round(serverCpuS / seconds, 2),
        driverCores: round((driverCpu.user + driverCpu.system) / 1e6 / seconds, 2),
        serverCpuUsPerClient: Math.round((serverCpuS * 1e6) / Math.max(1, clients.length)),
      },
    };
  } finally {
    disconnectAll(clients);
  }
}

/** Closes every client; each close is a frame the server handles on its own time. */
function disconnectAll(clients: readonly Client[]): number {
  for (const c of clients) c.socket.disconnect();
  return clients.length;
}

type ForwardRequest = Extract<DriverRequest, { op: 'forward' }>;

/** What one target's windows add up to. */
interface Tally {
  delivered: number;
  seconds: number;
  latencies: number[];
  serverCpuS: number;
  driverCpuUs: number;
  ackFailures: number;
  undrained: number;
}

/**
 * Connects `clients` clients to every target, then measures the targets in turn, `rounds` windows each,
 * and adds each target's windows up. Everyone is disconnected at the end, whatever happens.
 */
async function forward(req: ForwardRequest): Promise<Extract<DriverReply, { op: 'forwarded' }>> {
  const sets: Client[][] = [];
  try {
    for (const t of req.targets) sets.push((await connectMany(t.url, t.kind, req.clients, 100, 60_000)).clients);
    const paired = sets.map((all, k) => {
      const even = all.slice(0, all.length - (all.length % 2));
      if (even.length < 2) throw new Error(`forward: only ${all.length} ${req.targets[k]!.kind} clients connected`);
      return even;
    });
    // On our relay, partners watch each other (as friends do), or their signals are refused as 'offline'.
    for (const [k, clients] of paired.entries()) {
      if (req.targets[k]!.kind !== 'relay') continue;
      await Promise.all(clients.map(async (c, i) => {
        const res = (await c.socket.timeout(15_000).emitWithAck('presence:watch', { keys: [clients[i ^ 1]!.id] })) as { ok: boolean; code?: string };
        if (!res.ok) throw new Error(`presence:watch refused: ${res.code}`);
      }));
    }
    const tallies = req.targets.map((): Tally => ({ delivered: 0, seconds: 0, latencies: [], serverCpuS: 0, driverCpuUs: 0, ackFailures: 0, undrained: 0 }));
    for (let r = 0; r < req.rounds; r++) {
      for (let k = 0; k < req.targets.length; k++) await forwardWindow(req, req.targets[k]!.pid, paired[k]!, tallies[k]!);
    }
    return {
      op: 'forwarded',
      stats: tallies.map((t, k): ForwardStats => {
        const clients = paired[k]!;
        const frame = `42["signal:send",${JSON.stringify({ to: clients[1]!.id, data: { kind: 'sdp', signal: { type: 'offer', sdp: SDP }, i: 0, t: 12345.678 } })}]`;
        return {
          kind: req.targets[k]!.kind,
          clients: clients.length,
          delivered: t.delivered,
          seconds: round(t.seconds, 3),
          msgsPerS: Math.round(t.delivered / t.seconds),
          p50Ms: round(percentile(t.latencies, 50), 2),
          p99Ms: round(percentile(t.latencies, 99), 2),
          ackFailures: t.ackFailures,
          undrained: t.undrained,
          frameBytes: Buffer.byteLength(frame),
          serverCores: round(t.serverCpuS / t.seconds, 2),
          driverCores: round(t.driverCpuUs / 1e6 / t.seconds, 2),
          serverCpuUsPerMsg: round((t.serverCpuS * 1e6) / t.delivered, 1),
        };
      }),
    };
  } finally {
    for (const set of sets) disconnectAll(set);
  }
}

/**
 * One window: clients paired (0↔1, 2↔3, …) each send `signal:send` to their partner, keeping at most
 * `inflight` messages not yet both acked and received. After the warm-up, counts deliveries and
 * send→`signal:recv` latency for `measureMs`; then stops sending and lets the pipe drain.
 */
async function forwardWindow(req: ForwardRequest, serverPid: number, clients: readonly Client[], tally: Tally): Promise<void> {
  const n = clients.length;
  const sent = new Float64Array(n);
  const acked = new Float64Array(n);
  const received = new Float64Array(n); // by the sender's index: its messages that reached its partner
  let total = 0;
  let phase: 'warmup' | 'measure' | 'drain' = 'warmup';
  let onIdle: (() => void) | undefined;
  const inflightOf = (i: number) => sent[i]! - Math.min(acked[i]!, received[i]!);
  const allIdle = () => clients.every((_, j) => inflightOf(j) === 0);

  const pump = (i: number) => {
    const c = clients[i]!;
    const to = clients[i ^ 1]!.id;
    while (phase !== 'drain' && total < req.maxMessages && inflightOf(i) < req.inflight) {
      sent[i]!++;
      total++;
      c.socket.emit('signal:send', { to, data: { kind: 'sdp', signal: { type: 'offer', sdp: SDP }, i, t: performance.now() } }, (res: { ok: boolean }) => {
        acked[i]!++;
        if (!res?.ok) {
          tally.ackFailures++;
          received[i]!++; // a refused message will never arrive; stop waiting for it
        }
        settle(i);
      });
    }
  };
  const settle = (i: number) => {
    if (phase !== 'drain') pump(i);
    else if (onIdle && inflightOf(i) === 0 && allIdle()) onIdle();
  };
  const onRecv = (msg: { data: { i: number; t: number } }) => {
    const { i, t } = msg.data;
    received[i]!++;
    if (phase === 'measure') {
      tally.delivered++;
      tally.latencies.push(performance.now() - t);
    }
    settle(i);
  };
  for (const c of clients) c.socket.on('signal:recv', onRecv);
  try {
    for (let i = 0; i < n; i++) pump(i);
    await new Promise((r) => setTimeout(r, req.warmupMs));
    phase = 'measure';
    const t0 = performance.now();
    const server0 = cpuSecondsOf(serverPid);
    const driver0 = process.cpuUsage();
    await new Promise((r) => setTimeout(r, req.measureMs));
    tally.seconds += (performance.now() - t0) / 1000;
    tally.serverCpuS += cpuSecondsOf(serverPid) - server0;
    const driverCpu = process.cpuUsage(driver0);
    tally.driverCpuUs += driverCpu.user + driverCpu.system;
    phase = 'drain';
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, req.drainMs);
      onIdle = () => (clearTimeout(t), resolve());
      if (allIdle()) onIdle();
    });
    tally.undrained += clients.reduce((s, _, j) => s + inflightOf(j), 0);
  } finally {
    phase = 'drain';
    for (const c of clients) c.socket.off('signal:recv', onRecv);
  }
}

let held: Client[] = [];
let armed: Armed | undefined;

async function handle(req: DriverRequest): Promise<DriverReply | undefined> {
  switch (req.op) {
    case 'idle': {
      const t0 = performance.now();
      const { clients, failed } = await connectMany(req.url, req.kind, req.n, req.concurrency, req.capMs);
      held = clients;
      return { op: 'held', held: clients.length, failed, ms: Math.round(performance.now() - t0) };
    }
    case 'release': {
      const count = disconnectAll(held);
      held = [];
      return { op: 'released', count };
    }
    case 'forward':
      return forward(req);
    case 'storm':
      return storm(req);
    case 'honest':
      return { op: 'honest-ready', clients: await honestConnect(req.url, req.pairs) };
    case 'probe':
      return { op: 'probed', stats: await honestProbe(req.ms, req.pauseMs) };
    case 'flood':
      return { op: 'flooded', stats: await flood(req.url, req.keys, req.connsPerKey, req.ms) };
    case 'arm':
      armed = await arm(req.kind, req.url, req.trickleMs);
      return { op: 'armed', stats: armed.stats };
    case 'attack': {
      if (!armed) throw new Error('attack before arm');
      const a = armed;
      armed = undefined;
      try {
        await a.run(req.ms);
      } finally {
        a.close();
      }
      return { op: 'attacked', stats: a.stats };
    }
    case 'uploads':
      return { op: 'uploaded', ...(await honestUploads(req.url, req.ms)) };
    case 'exit':
      armed?.close();
      honestClose();
      disconnectAll(held);
      process.disconnect?.();
      return undefined;
  }
}

if (!process.send) throw new Error('relay-load-driver must be started with an IPC channel (by bench/relay.bench.ts)');
process.on('message', (req: DriverRequest) => {
  handle(req).then(
    (reply) => reply && process.send!(reply),
    (e: unknown) => process.send!({ op: 'error', message: String((e as Error)?.stack ?? e) } satisfies DriverReply),
  );
});
process.on('disconnect', () => process.exit(0)); // parent gone: never linger holding sockets
