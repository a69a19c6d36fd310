// Owns the relay's composition root: wires config, auth, presence, signaling and the mailbox onto one Socket.IO server.
import type { Server as HttpServer } from 'node:http';
import type { Duplex } from 'node:stream';
import { Server, type Socket } from 'socket.io';
import type * as v from 'valibot';
import { BwError, toFailure } from '../shared/errors.js';
import { fromB64u, toB64u } from '../shared/bytes.js';
import { readHeader } from '../shared/crypto/envelope.js';
import { mailboxAllowTag } from '../shared/crypto/pairwise.js';
import { parse } from '../shared/validate.js';
import { blobId } from '../shared/crypto/blob.js';
import {
  AuthProveSchema, BlobAckSchema, BlobChunkSchema, BlobGetSchema, BlobPutSchema, LIMITS, MailboxAckSchema, MailboxAllowSchema, MailboxFetchSchema, MailboxPutSchema, PresenceWatchSchema, SignalSendSchema,
  type ClientToServer, type ServerToClient,
} from '../shared/protocol.js';
import { newChallenge, verifyProof, type PendingChallenge } from './auth.js';
import type { Cluster } from './cluster.js';
import { RemoteConn } from './cluster.js';
import type { Config } from './config.js';
import { guarded } from './guard.js';
import type { Logger } from './log.js';
import { createPresence, type PresenceNote } from './presence.js';
import { pendingBytes } from './backpressure.js';
import { charge, EVENT_COST, FLOOD_COOLDOWN_MS, freshKeyLimit, fullBucket, isFull, noStrikes, PRESENCE_WORK_PER_UNIT, strike, strikesForgiven, take, type KeyLimit } from './rate-limit.js';
import { createUploadLedger, dueBy } from './uploads.js';
import type { MailboxStore } from './store/store.js';
import { blobQuotaError, type BlobStore } from './store/blobs.js';
import { iceServersFor } from './turn.js';

type RelaySocket = Socket<ClientToServer, ServerToClient, Record<string, never>, Record<string, never>>;
type AckFn = (res: unknown) => void;
/** A handler's answer: the ack's fields, and optionally what to do once the ack is sent. */
type Answer = object & { [AFTER]?: () => void };

export interface Relay {
  io: Server<ClientToServer, ServerToClient>;
  stats(): { online: number; sockets: number };
  close(): Promise<void>;
}

/** What the relay reports as it works (signaling/metrics.ts turns it into Prometheus metrics); a no-op by default. */
export interface RelayObserver {
  /** Events whose frames are timed (reading the clock costs more than counting, so the hot path is not). */
  readonly timed: ReadonlySet<string>;
  /** One answered frame: `event` is a known event name or 'unknown'; `result` is 'ok' or the BwError code; `seconds` until the answer (0 if untimed). */
  frame(event: string, result: string, seconds: number): void;
}
const NO_OBSERVER: RelayObserver = { timed: new Set(), frame() {} };
const since = (t0: number | undefined) => (t0 === undefined ? 0 : (performance.now() - t0) / 1000);

/** Stored expiry times are whole hours, so the database does not keep each post's put time to the millisecond. */
export const EXPIRY_GRAIN_MS = 3600_000;
/** The first whole hour at or after now + ttl: a post never expires early, and lives at most an hour longer. */
export const coarseExpiry = (now: number, ttlSeconds: number): number => Math.ceil((now + ttlSeconds * 1000) / EXPIRY_GRAIN_MS) * EXPIRY_GRAIN_MS;

const EVENTS = new Set<string>(['auth:prove', 'signal:send', 'presence:watch', 'mailbox:allow', 'mailbox:put', 'mailbox:fetch', 'mailbox:ack', 'blob:put', 'blob:chunk', 'blob:get', 'blob:ack']);

/** An upload announced by blob:put and not yet complete: held in memory, counted against its key and the relay. */
interface Upload {
  id: string;
  to: string[];
  size: number;
  start: number;
  parts: Uint8Array[];
  got: number;
  timer: ReturnType<typeof setTimeout>;
}
/** An upload with no piece for this long is dropped (its reservation freed): a stalled client holds nothing for long. */
export const BLOB_IDLE_MS = 30_000;
/** After an ack is sent: what a handler wants done once the client has its answer (signaling/server.ts `on`). */
const AFTER = Symbol('after the ack');

export function createRelay(opts: {
  httpServer: HttpServer;
  config: Config;
  store: MailboxStore;
  /** Image blobs (signaling/store/blobs.ts); without one, blob events are answered 'unavailable'. */
  blobs?: BlobStore;
  log: Logger;
  now?: () => number;
  /** The proof check (signaling/auth.ts verifyProof); tests replace it to hold a proof in flight. */
  verify?: typeof verifyProof;
  /** Metrics (signaling/metrics.ts); a no-op by default. */
  observe?: RelayObserver;
  /** Other relay processes, through Redis (signaling/cluster.ts); none by default: a single-process relay. */
  cluster?: Cluster;
}): Relay {
  const { config, store, log, blobs, cluster } = opts;
  const observe = opts.observe ?? NO_OBSERVER;
  const now = opts.now ?? Date.now;
  const verify = opts.verify ?? verifyProof;
  const io = new Server<ClientToServer, ServerToClient>(opts.httpServer, {
    maxHttpBufferSize: config.maxFrameBytes,
    serveClient: false,
    cors: { origin: true }, // <bw-feed> is embedded on other sites; auth is by signature, not by cookie
    // Behind a load balancer, every request of a long-polling session would have to reach the same process (sticky
    // sessions); a WebSocket is one connection, so any plain TCP or HTTP balancer will do. Clients try it first anyway.
    ...(cluster && { transports: ['websocket'] }),
  });
  /**
   * Who is online and who may see (and signal) whom; see signaling/presence.ts. With a cluster it also holds every
   * other node's connections (RemoteConn), replicated by signaling/cluster.ts, so consent is checked here for any pair.
   */
  const presence = createPresence<RelaySocket | RemoteConn>();
  const isLocal = (s: RelaySocket | RemoteConn): s is RelaySocket => !(s instanceof RemoteConn);
  /** One cost bucket per authenticated key, shared by all its connections; kept after they leave until it is full again. */
  const keyLimits = new Map<string, KeyLimit>();
  const rested = (l: KeyLimit, t: number) =>
    !l.sockets && t >= l.cooldownUntil && isFull(l.cost, t, config.keyRateLimit) && strikesForgiven(l.strikes, t, config.keyRateLimit);
  const forgetRestedKeys = (t: number) => {
    for (const [k, l] of keyLimits) if (rested(l, t)) keyLimits.delete(k);
  };
  /** Unfinished uploads: bytes announced per key, bytes received in all (signaling/uploads.ts). */
  const uploadRules = {
    perKeyBytes: config.blobPendingBytes,
    totalBytes: config.blobPendingTotalBytes,
    minRate: config.blobMinRate,
    graceMs: config.blobGraceMs,
    idleMs: BLOB_IDLE_MS,
  };
  const ledger = createUploadLedger(uploadRules);
  const tell = (notes: readonly PresenceNote<RelaySocket | RemoteConn>[]) => {
    // A note for another node's connection is that node's to send: it applies the same change to its own replica.
    for (const n of notes) if (isLocal(n.to)) n.to.emit('presence:change', { key: n.key, online: n.online });
  };
  /**
   * Hands `event` to `to`'s connections on this node: a mail notice to all of them, a signal only to those that consent
   * to its sender and are still reading. Returns how many got it.
   */
  const deliverHere = (to: string, event: 'signal:recv' | 'mailbox:ready', payload: { from?: string }): number => {
    const here = [...presence.socketsOf(to)].filter(isLocal);
    if (event === 'mailbox:ready') {
      for (const t of here) t.emit(event, payload as never);
      return here.length;
    }
    // What the relay holds for a key is bounded per connection and over all of the key's connections, so a key with
    // many connections that never read cannot multiply it (signaling/backpressure.ts).
    const pending = here.map((t) => pendingBytes(t.conn, config.maxPendingBytes));
    if (pending.reduce((sum, n) => sum + n, 0) > config.maxPendingBytesPerKey) return 0;
    let sent = 0;
    here.forEach((t, i) => {
      if (pending[i]! > config.maxPendingBytes || !presence.consents(t, payload.from!)) return;
      t.emit(event, payload as never);
      sent++;
    });
    return sent;
  };
  /** The other nodes that hold any of `key`'s connections (none without a cluster). */
  const nodesOf = (key: string): string[] => {
    const nodes: string[] = [];
    if (!cluster) return nodes;
    for (const t of presence.socketsOf(key)) if (!isLocal(t) && !nodes.includes(t.node)) nodes.push(t.node);
    return nodes;
  };
  cluster?.attach(io as unknown as Server, {
    join: (c, key) => tell(presence.join(c, key)),
    watch: (c, list) => tell(presence.watch(c, list).notes),
    leave: (c) => tell(presence.leave(c)),
    deliver: (to, event, payload) => void deliverHere(to, event, payload as { from?: string }),
    local: () => [...io.of('/').sockets.values()].flatMap((s) => {
      const d = presence.declared(s as RelaySocket);
      return d ? [{ id: s.id, ...d }] : [];
    }),
  });

  // A throw anywhere in setting up a connection drops that connection, never the relay (signaling/guard.ts).
  io.on('connection', guarded(log, 'socket.io connection', (raw) => {
    const socket = raw as RelaySocket;
    let challenge: PendingChallenge | undefined;
    let key: string | undefined;
    const bucket = fullBucket(config.rateLimit, now());
    const strikes = noStrikes(config.rateLimit, now());
    let limit: KeyLimit | undefined;
    /** This connection's open uploads, by blob id; dropped with it. */
    const uploads = new Map<string, Upload>();
    /** Drops `u` if it is still open, freeing what it held; whether it was. */
    const dropUpload = (u: Upload): boolean => {
      clearTimeout(u.timer);
      if (uploads.get(u.id) !== u) return false;
      uploads.delete(u.id);
      ledger.close(key!, u.size, u.got);
      return true;
    };
    /** Arms the timer that drops `u` unless its next piece comes in time (signaling/uploads.ts dueBy). */
    const expect = (u: Upload) => {
      clearTimeout(u.timer);
      const t = now();
      u.timer = setTimeout(() => {
        if (dropUpload(u)) log.debug('dropped a slow upload', { key, got: u.got, size: u.size });
      }, Math.max(0, dueBy(u, uploadRules, t) - t));
      u.timer.unref();
    };
    const blobStore = () => {
      if (!blobs) throw new BwError('unavailable', 'this relay does not keep images');
      return blobs;
    };
    {
      const c = newChallenge(now(), config.authTimeoutMs);
      challenge = c.pending;
      socket.emit('auth:challenge', c.wire);
    }
    const authTimer = setTimeout(() => {
      if (!key) socket.disconnect(true);
    }, config.authTimeoutMs);
    authTimer.unref();

    const fail = (event: string, ack: unknown, e: unknown, t0?: number) => {
      const f = toFailure(e);
      observe.frame(EVENTS.has(event) ? event : 'unknown', f.code, since(t0));
      if (f.code === 'internal') log.error('handler failed', { event, err: String((e as Error)?.stack ?? e) });
      else log.debug('frame refused', { event, code: f.code, message: f.message });
      if (typeof ack === 'function') (ack as AckFn)(f);
      else socket.emit('relay:error', { ...f, event });
    };

    /**
     * Charges a frame to the connection and, once authenticated, to its key (weighted by what the event costs).
     * A refused frame is a strike; a connection or key that keeps sending after its strikes run out is disconnected.
     */
    const admit = (event: string) => {
      const t = now();
      let why = '';
      if (!take(bucket, t, config.rateLimit)) why = `over ${config.rateLimit} frames per second on this connection; slow down`;
      else if (limit) {
        const cost = EVENT_COST[event as keyof typeof EVENT_COST] ?? 1;
        if (!take(limit.cost, t, config.keyRateLimit, undefined, cost)) why = `over this key's share of the relay (${config.keyRateLimit} units per second; ${event} costs ${cost}); slow down`;
      }
      if (!why) return;
      // A key out of strikes loses all of its connections and may not log in again for a while; a connection, itself.
      const keyFloods = limit !== undefined && !strike(limit.strikes, t, config.keyRateLimit);
      if (keyFloods) limit!.cooldownUntil = t + FLOOD_COOLDOWN_MS;
      if (!strike(strikes, t, config.rateLimit) || keyFloods) {
        const message = `disconnected: kept sending after being told to slow down${keyFloods ? `; this key may log in again in ${FLOOD_COOLDOWN_MS / 1000} s` : ''}`;
        for (const s of keyFloods ? [...presence.socketsOf(key!)].filter(isLocal) : [socket]) {
          s.emit('relay:error', { ok: false, code: 'rate-limited', message, event });
          s.disconnect(true);
        }
        log.debug('disconnected a flood', { key, event, wholeKey: keyFloods });
      }
      throw new BwError('rate-limited', why);
    };

    /** Every event goes through here: rate limit, auth gate, schema, then the handler; errors become acks. */
    function on<S extends v.GenericSchema>(event: keyof ClientToServer, schema: S, needsAuth: boolean, handler: (msg: v.InferOutput<S>, me: string) => Answer | Promise<Answer>) {
      const timed = observe.timed.has(event);
      socket.on(event, ((msg: unknown, ack: unknown) => {
        const t0 = timed ? performance.now() : undefined;
        try {
          admit(event);
          if (typeof ack !== 'function') throw new BwError('bad-frame', `${event} needs an acknowledgement callback`);
          if (needsAuth && !key) throw new BwError('unauthenticated', 'answer auth:challenge with auth:prove first');
          const res = handler(parse(schema, msg, event), key!);
          const answer = ({ [AFTER]: after, ...r }: Answer) => {
            observe.frame(event, 'ok', since(t0));
            (ack as AckFn)({ ok: true, ...r });
            after?.();
          };
          // Only async handlers (mailbox:put, auth:prove) wait: a promise and a microtask on every frame of the hot path
          // (signal:send) cost the relay ~8% of its CPU when forwarding (bench/relay.bench.ts).
          if (res instanceof Promise) res.then(answer).catch((e: unknown) => fail(event, ack, e, t0));
          else answer(res);
        } catch (e) {
          fail(event, ack, e, t0);
        }
      }) as never);
    }

    socket.onAny((event: string, ...args: unknown[]) => {
      if (!EVENTS.has(event)) {
        try {
          admit(event);
        } catch (e) {
          return fail(String(event).slice(0, 64), args.at(-1), e);
        }
        fail(String(event).slice(0, 64), args.at(-1), new BwError('bad-frame', `unknown event "${String(event).slice(0, 64)}"`));
      }
    });

    on('auth:prove', AuthProveSchema, false, async (msg) => {
      if (key) throw new BwError('bad-frame', 'already authenticated');
      const pending = challenge;
      challenge = undefined; // single use, whatever the outcome
      // Before the signature check: only a key that flooded after proving itself is ever in a cooldown.
      const cooling = keyLimits.get(msg.key)?.cooldownUntil ?? 0;
      if (cooling > now()) {
        queueMicrotask(() => socket.disconnect(true)); // after the ack
        throw new BwError('rate-limited', `this key was disconnected for flooding; try again in ${Math.ceil((cooling - now()) / 1000)} s`);
      }
      const proven = await verify(pending, msg, now());
      // The signature was checked off the event loop: a socket that closed meanwhile must not join presence,
      // or its key would show online with no connection to ever take it off.
      if (socket.disconnected) throw new BwError('unavailable', 'connection closed while its proof was checked');
      const held = keyLimits.get(proven);
      if (held && held.sockets >= config.maxSocketsPerKey) {
        setImmediate(() => socket.disconnect(true)); // after the refusal's ack, which goes out a few microtasks later
        throw new BwError('busy', `this key already holds ${config.maxSocketsPerKey} connections to this relay; close one first`);
      }
      key = proven;
      clearTimeout(authTimer);
      limit = held ?? keyLimits.set(key, freshKeyLimit(config.keyRateLimit, now())).get(key)!;
      limit.sockets++;
      tell(presence.join(socket, key));
      cluster?.share(socket.id, key, { keys: [] });
      // A mailbox that cannot answer (PostgreSQL restarting) must not stop logins: signaling and presence go on without it.
      const waiting = await store.count(key, now()).catch((e: unknown) => (log.warn('mailbox count failed at login', { err: String((e as Error)?.message ?? e) }), 0));
      log.debug('authenticated', { key });
      // The notice goes after the ack: the client is logged in by then, and fetches.
      return { iceServers: iceServersFor(config, key, now()), [AFTER]: () => waiting > 0 && socket.emit('mailbox:ready', { count: waiting }) };
    });

    on('signal:send', SignalSendSchema, true, (msg, me) => {
      // A key that does not consent to `me` is indistinguishable from one that is offline (signaling/presence.ts).
      if (!presence.canReach(me, msg.to)) throw new BwError('offline', 'that peer is not connected to this relay');
      let sent = deliverHere(msg.to, 'signal:recv', { from: me, data: msg.data } as never);
      // Each copy is a write the relay makes: beyond the first, the sender pays for them.
      if (sent > 1) charge(limit!.cost, now(), config.keyRateLimit, undefined, sent - 1);
      // On another node, that node checks whether its connection still reads; this one cannot, so it counts as sent.
      const nodes = nodesOf(msg.to);
      if (nodes.length) {
        if (cluster!.deliver(nodes, msg.to, 'signal:recv', { from: me, data: msg.data })) sent++;
        else if (!sent) throw new BwError('unavailable', 'that peer is on another relay node, which this one cannot reach right now; try again');
      }
      if (!sent) throw new BwError('busy', `that peer is not reading; the relay holds ${config.maxPendingBytes} bytes for it already`);
      return {};
    });

    on('presence:watch', PresenceWatchSchema, true, (msg, me) => {
      const refused = presence.refuse(socket, msg);
      if (refused) throw new BwError('busy', refused);
      const { online, notes, work } = presence.watch(socket, msg);
      // The flat cost was taken at admission; the index work it made (signaling/presence.ts) is charged on top.
      charge(limit!.cost, now(), config.keyRateLimit, undefined, work / PRESENCE_WORK_PER_UNIT + notes.length);
      tell(notes);
      cluster?.share(socket.id, me, msg);
      return { online };
    });

    on('mailbox:allow', MailboxAllowSchema, true, async (msg, me) => {
      await store.setAllowed(me, msg.tags);
      return { count: new Set(msg.tags).size };
    });

    on('mailbox:put', MailboxPutSchema, true, async (msg, me) => {
      const header = readHeader(fromB64u(msg.env, 'envelope'));
      if (toB64u(header.author) !== me) throw new BwError('bad-frame', 'envelope author must be the sender');
      if (toB64u(header.recipient) !== msg.to) throw new BwError('bad-frame', 'envelope recipient must match "to"');
      // Only a sender the recipient allows: a pairwise capability (shared/crypto/pairwise.ts) bound to the sender's key.
      if (!(await store.isAllowed(msg.to, mailboxAllowTag(fromB64u(msg.cap, 'mailbox capability'), header.author)))) {
        throw new BwError('not-friend', 'this recipient does not take posts from you');
      }
      const [res] = await store.putMany([{ to: msg.to, from: me, env: msg.env, expires: coarseExpiry(now(), config.mailboxTtlSeconds) }]);
      if (!res || 'error' in res) throw res?.error ?? new BwError('internal', 'store returned nothing');
      deliverHere(msg.to, 'mailbox:ready', { count: 1 } as never);
      const nodes = nodesOf(msg.to);
      if (nodes.length) cluster!.deliver(nodes, msg.to, 'mailbox:ready', { count: 1 });
      return { id: res.id };
    });

    on('mailbox:fetch', MailboxFetchSchema, true, async (msg, me) => ({ items: await store.fetch(me, msg.after, msg.limit, now()) }));

    on('mailbox:ack', MailboxAckSchema, true, async (msg, me) => ({ deleted: await store.ack(me, msg.ids) }));

    on('blob:put', BlobPutSchema, true, async (msg, me) => {
      const store_ = blobStore();
      if (msg.bytes > config.blobMaxBytes) throw new BwError('oversize', `an image blob may be at most ${config.blobMaxBytes} bytes; this one is ${msg.bytes}`);
      // Each recipient must allow me, as for a mailbox post (shared/crypto/pairwise.ts); the others are left out, not the put.
      const mine = fromB64u(me, 'key');
      const allowed: string[] = [];
      const refused: string[] = [];
      for (const r of msg.to) (await store.isAllowed(r.to, mailboxAllowTag(fromB64u(r.cap, 'mailbox capability'), mine)) ? allowed : refused).push(r.to);
      if (!allowed.length) throw new BwError('not-friend', 'none of these recipients take images from you');
      const expires = coarseExpiry(now(), config.mailboxTtlSeconds);
      if (await store_.addRecipients(msg.id, me, allowed, expires)) return { have: true, refused };
      // The last await: from here to the reservation nothing else runs, so the pending counts below are current.
      // This count is an early answer (before any byte is sent); the store counts again, atomically, when it stores.
      const used = await store_.senderBytes(me, now());
      if (socket.disconnected) throw new BwError('unavailable', 'connection closed');
      const old = uploads.get(msg.id);
      if (old) dropUpload(old); // announced again: start over
      if (used + ledger.announced(me) + msg.bytes > config.blobSenderQuota) throw blobQuotaError(used, config.blobSenderQuota);
      ledger.open(me, msg.bytes);
      const u: Upload = { id: msg.id, to: allowed, size: msg.bytes, start: now(), parts: [], got: 0, timer: undefined as never };
      uploads.set(msg.id, u);
      expect(u);
      return { have: false, refused };
    });

    on('blob:chunk', BlobChunkSchema, true, (msg, me) => {
      const store_ = blobStore();
      const u = uploads.get(msg.id);
      if (!u) throw new BwError('bad-frame', 'no upload of that blob is open on this connection: announce it with blob:put');
      if (msg.at !== u.got) throw new BwError('bad-frame', `pieces go in order: expected the one at ${u.got}, got ${msg.at}`);
      if (!msg.data.length) throw new BwError('bad-frame', 'an empty piece');
      if (u.got + msg.data.length > u.size) {
        dropUpload(u);
        throw new BwError('oversize', `more bytes than the ${u.size} announced; upload dropped`);
      }
      ledger.receive(msg.data.length);
      u.parts.push(new Uint8Array(msg.data)); // a copy: the frame's buffer is socket.io's
      u.got += msg.data.length;
      if (u.got < u.size) {
        expect(u);
        return { done: false };
      }
      dropUpload(u);
      const data = new Uint8Array(u.size);
      let at = 0;
      for (const p of u.parts) (data.set(p, at), (at += p.length));
      if (blobId(data) !== u.id) throw new BwError('bad-ciphertext', 'the bytes do not hash to the announced id; upload dropped');
      // Only the last piece waits for the store (its COMMIT, on PostgreSQL); the others are answered at once.
      return store_.put({ id: u.id, from: me, data, to: u.to, expires: coarseExpiry(now(), config.mailboxTtlSeconds) }, config.blobSenderQuota, now()).then(() => ({ done: true }));
    });

    on('blob:get', BlobGetSchema, true, async (msg, me) => {
      // A reader that asks faster than it reads gets nothing more: what the relay holds for it stays bounded.
      if (pendingBytes(socket.conn, config.maxPendingBytes) > config.maxPendingBytes) throw new BwError('busy', 'read what was sent first');
      const r = await blobStore().read(msg.id, me, msg.at, LIMITS.blobChunkBytes, now());
      if (!r) throw new BwError('not-found', 'no such image for you: never sent to you, already fetched, or expired');
      if (msg.at > r.size) throw new BwError('bad-frame', `the image is ${r.size} bytes; nothing at ${msg.at}`);
      return { bytes: r.size, data: r.data };
    });

    on('blob:ack', BlobAckSchema, true, async (msg, me) => ({ deleted: await blobStore().ack(me, msg.ids) }));

    socket.on('disconnect', guarded(log, 'socket.io disconnect', () => {
      clearTimeout(authTimer);
      for (const u of [...uploads.values()]) dropUpload(u);
      if (key) {
        tell(presence.leave(socket));
        cluster?.share(socket.id, key, undefined);
      }
      if (limit && --limit.sockets === 0 && rested(limit, now())) keyLimits.delete(key!);
    }));
  }, (_e, raw) => raw.disconnect(true)));

  const purgeTimer = setInterval(guarded(log, 'mailbox purge', async () => {
    forgetRestedKeys(now());
    const n = await store.purgeExpired(now());
    if (n) log.info('purged expired posts', { count: n });
    const b = await blobs?.purgeExpired(now());
    if (b) log.info('purged expired image blobs', { count: b });
  }), 60_000);
  purgeTimer.unref();

  // close() ends these itself: ws would wait 30 s for a close-handshake answer from a peer that is gone (test/node/shutdown.test.ts).
  const connections = new Set<Duplex>();
  opts.httpServer.on('connection', (c: Duplex) => {
    connections.add(c);
    c.once('close', () => connections.delete(c));
  });

  return {
    io,
    stats: () => ({ online: presence.onlineKeys(), sockets: io.engine.clientsCount }),
    async close() {
      clearInterval(purgeTimer);
      const closed = new Promise<void>((r) => io.close(() => r())); // disconnects every socket.io socket at once, then waits for the server
      for (const c of connections) c.destroy(); // clients see 'transport close' and reconnect; an unanswered put was not acknowledged
      await closed;
      await cluster?.close();
      await blobs?.close();
      await store.close(); // commits any put still queued for the group commit, then closes the database
    },
  };
}
