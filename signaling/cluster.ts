// Owns what one relay process tells the others through Redis: Socket.IO's Redis adapter (@socket.io/redis-adapter on
// ioredis), a replica of every other node's presence declarations kept by numbered ops, node liveness by heartbeat,
// and delivery of signals and mailbox notices to a key's connections on other nodes.
//
// Each node owns its own connections' watch lists and shares every change as an op numbered per node. Every node
// applies the others' ops to its own presence (signaling/presence.ts), so the consent rule is checked locally for any
// pair of nodes. A gap in a node's numbers (a Redis blip dropped pub/sub messages) or a node heard of for the first
// time makes the receiver ask that node for a full snapshot; a node silent for `deadAfterMs` is dropped with every
// connection it held (its process died: its clients reconnect elsewhere).
//
// What every node must hear (ops, beats, snapshots) goes through the adapter's serverSideEmit, which every node
// receives. A signal or a mail notice is for the nodes holding the recipient's connections only (the replica says
// which), so it is published on each such node's own channel on the adapter's subscriber connection: one PUBLISH, one
// receiver, instead of every node decoding every signal to drop most of them.
import { randomBytes } from 'node:crypto';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import type { Server } from 'socket.io';
import * as v from 'valibot';
import { PeerIdSchema, PresenceWatchSchema, SignalSendSchema } from '../shared/protocol.js';
import { LIMITS } from '../shared/protocol.js';
import { parse } from '../shared/validate.js';
import type { Logger } from './log.js';
import type { WatchList } from './presence.js';

/** A connection held by another relay process, as this one's presence knows it. */
export class RemoteConn {
  constructor(
    readonly node: string,
    readonly id: string,
  ) {}
}

/** What the relay (signaling/server.ts) does with what other nodes say. */
export interface ClusterHooks {
  join(c: RemoteConn, key: string): void;
  watch(c: RemoteConn, list: WatchList): void;
  leave(c: RemoteConn): void;
  /** Hands an event to this node's own connections of `to`. */
  deliver(to: string, event: 'signal:recv' | 'mailbox:ready', payload: unknown): void;
  /** This node's authenticated connections and what each declared, for a snapshot. */
  local(): { id: string; key: string; list: WatchList }[];
}

export interface Cluster {
  readonly node: string;
  /** Puts the Redis adapter on `io` and starts hearing the other nodes. */
  attach(io: Server, hooks: ClusterHooks): void;
  /** A local connection authenticated as `key` (list: empty), replaced its list, or left (list undefined). */
  share(id: string, key: string, list: WatchList | undefined): void;
  /**
   * Sends an event to `to`'s connections on `nodes` (the other nodes that hold one, as RemoteConn.node says); false when
   * Redis is unreachable (nothing was sent).
   */
  deliver(nodes: readonly string[], to: string, event: 'signal:recv' | 'mailbox:ready', payload: unknown): boolean;
  /** Nodes this one hears now (itself excluded). */
  peers(): number;
  close(): Promise<void>;
}

export interface ClusterOptions {
  redisUrl: string;
  log: Logger;
  /** How often this node says it is alive, and checks on the others. */
  beatMs?: number;
  /** A node not heard from for this long is taken for dead, and its connections for gone. */
  deadAfterMs?: number;
}

const EVENT = 'bw:cluster';
/** A node's own channel; outside the adapter's `bw#…` pattern and `bw-request#…` channels, which it ignores. */
const inboxOf = (node: string) => `bw-node#${node}#`;
/** A delivery's JSON beyond its payload (ids, event name, keys) is well under this. */
const DELIVERY_OVERHEAD = 512;
const Id = v.pipe(v.string(), v.maxLength(64));
const ConnSchema = v.object({ id: Id, key: PeerIdSchema, list: PresenceWatchSchema });
/** Everything a node says, validated on receipt like any frame: Redis is shared infrastructure, not this process. */
const MessageSchema = v.variant('t', [
  v.object({ t: v.literal('set'), node: Id, seq: v.number(), id: Id, key: PeerIdSchema, list: PresenceWatchSchema }),
  v.object({ t: v.literal('del'), node: Id, seq: v.number(), id: Id }),
  v.object({ t: v.literal('beat'), node: Id, seq: v.number() }),
  v.object({ t: v.literal('sync'), node: Id, want: Id }),
  v.object({ t: v.literal('snap'), node: Id, seq: v.number(), conns: v.array(ConnSchema) }),
]);
/** A signal or mail notice for this node's connections of `to`, validated on receipt as the ops are. */
const DeliverySchema = v.variant('event', [
  v.object({ node: Id, to: PeerIdSchema, event: v.literal('signal:recv'), payload: v.object({ from: PeerIdSchema, data: SignalSendSchema.entries.data }) }),
  v.object({ node: Id, to: PeerIdSchema, event: v.literal('mailbox:ready'), payload: v.object({ count: v.number() }) }),
]);
type Message = v.InferOutput<typeof MessageSchema>;
/** A message as its sender writes it: the node id is stamped on send. */
type Outgoing = Message extends infer M ? (M extends Message ? Omit<M, 'node'> : never) : never;

interface Peer {
  /** The last op applied; undefined until a snapshot arrives. */
  seq: number | undefined;
  lastSeen: number;
  /** When this node last asked for its snapshot (asks at most once per beat). */
  askedAt: number;
  conns: Map<string, RemoteConn>;
}

/** Connects to Redis (rejecting if it cannot within a few seconds) and returns a node ready to attach. */
export async function openCluster(opts: ClusterOptions): Promise<Cluster> {
  const { log } = opts;
  const beatMs = opts.beatMs ?? 1000;
  const deadAfterMs = opts.deadAfterMs ?? 5000;
  const node = randomBytes(9).toString('base64url');
  // No offline queue for publishing: while Redis is away a signal to another node fails at once (the peers retry their
  // negotiation) instead of piling up; subscriptions are restored by ioredis on reconnect.
  const pub = new Redis(opts.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true });
  const sub = new Redis(opts.redisUrl, { lazyConnect: true });
  let lastError = 0;
  for (const [name, c] of [['publish', pub], ['subscribe', sub]] as const) {
    c.on('error', (e: Error) => {
      if (Date.now() - lastError > 5000) log.warn('redis unreachable; cross-node signaling waits for it', { client: name, err: e.message });
      lastError = Date.now();
    });
    c.on('ready', () => lastError && log.info('redis reachable again', { client: name }));
  }
  const inbox = Buffer.from(inboxOf(node));
  try {
    await Promise.all([pub.connect(), sub.connect()]);
    await sub.subscribe(inbox.toString()); // ioredis subscribes again by itself after a reconnect
  } catch (e) {
    pub.disconnect();
    sub.disconnect();
    throw new Error(`cannot reach Redis at ${opts.redisUrl.replace(/\/\/[^@/]*@/, '//…@')}: ${(e as Error).message}`);
  }

  let io: Server | undefined;
  let hooks: ClusterHooks | undefined;
  let seq = 0;
  const peers = new Map<string, Peer>();
  const send = (m: Outgoing) => {
    if (pub.status !== 'ready' || !io) return false; // the others notice what they missed by the numbers, and ask
    io.serverSideEmit(EVENT, { ...m, node });
    return true;
  };
  const snapshot = () => send({ t: 'snap', seq, conns: hooks!.local() } as Outgoing); // lists go out as they are (read-only here)

  const dropConns = (p: Peer, keep?: Set<string>) => {
    for (const [id, c] of p.conns) {
      if (keep?.has(id)) continue;
      p.conns.delete(id);
      hooks!.leave(c);
    }
  };
  const upsert = (p: Peer, from: string, id: string, key: string, list: WatchList) => {
    let c = p.conns.get(id);
    if (!c) {
      p.conns.set(id, (c = new RemoteConn(from, id)));
      hooks!.join(c, key);
    }
    hooks!.watch(c, list);
  };
  const ask = (from: string, p: Peer, t: number) => {
    if (t - p.askedAt < beatMs) return;
    p.askedAt = t;
    send({ t: 'sync', want: from });
  };

  function receive(m: Message): void {
    if (m.node === node) return;
    const t = Date.now();
    if (m.t === 'sync') {
      if (m.want === node || m.want === '*') snapshot();
      return;
    }
    let p = peers.get(m.node);
    if (!p) peers.set(m.node, (p = { seq: undefined, lastSeen: t, askedAt: 0, conns: new Map() }));
    p.lastSeen = t;
    switch (m.t) {
      case 'snap': {
        if (p.seq !== undefined && m.seq <= p.seq) return; // already as new as this
        const ids = new Set(m.conns.map((c) => c.id));
        dropConns(p, ids);
        for (const c of m.conns) upsert(p, m.node, c.id, c.key, c.list);
        p.seq = m.seq;
        return;
      }
      case 'beat':
        if (p.seq !== m.seq) ask(m.node, p, t);
        return;
      case 'set':
      case 'del':
        if (p.seq === undefined || m.seq !== p.seq + 1) {
          if (p.seq === undefined || m.seq > p.seq) ask(m.node, p, t); // missed some: the snapshot will bring them
          return;
        }
        p.seq = m.seq;
        if (m.t === 'set') upsert(p, m.node, m.id, m.key, m.list);
        else {
          const c = p.conns.get(m.id);
          if (c) {
            p.conns.delete(m.id);
            hooks!.leave(c);
          }
        }
    }
  }

  const timer = setInterval(() => {
    const t = Date.now();
    send({ t: 'beat', seq });
    for (const [id, p] of peers) {
      if (t - p.lastSeen <= deadAfterMs) continue;
      log.warn('relay node silent; dropping its connections', { node: id, conns: p.conns.size });
      dropConns(p);
      peers.delete(id);
    }
  }, beatMs);
  timer.unref();

  return {
    node,
    attach(server, h) {
      io = server;
      hooks = h;
      server.adapter(createAdapter(pub, sub, { key: 'bw' }));
      server.on(EVENT, (raw: unknown) => {
        try {
          receive(parse(MessageSchema, raw, EVENT));
        } catch (e) {
          log.warn('bad message from another relay node', { err: (e as Error).message });
        }
      });
      sub.on('messageBuffer', (channel: Buffer, raw: Buffer) => {
        if (!channel.equals(inbox)) return; // the adapter's
        try {
          // Bounded before parsing: a payload the sending node let through is at most maxSignalChars of JSON.
          if (raw.length > LIMITS.maxSignalChars + DELIVERY_OVERHEAD) throw new Error(`delivery of ${raw.length} bytes`);
          const m = parse(DeliverySchema, JSON.parse(raw.toString()), 'delivery');
          hooks!.deliver(m.to, m.event, m.payload);
        } catch (e) {
          log.warn('bad message from another relay node', { err: (e as Error).message });
        }
      });
      send({ t: 'sync', want: '*' }); // everyone's state now, rather than at their next beat
      snapshot(); // and ours, so the others know where our numbering starts
    },
    share(id, key, list) {
      seq++;
      send((list ? { t: 'set', seq, id, key, list } : { t: 'del', seq, id }) as Outgoing); // if unsent, the others see the gap and ask for a snapshot
    },
    deliver(nodes, to, event, payload) {
      if (pub.status !== 'ready') return false;
      const json = JSON.stringify({ node, to, event, payload });
      for (const n of nodes) void pub.publish(inboxOf(n), json).catch(() => {}); // lost like any pub/sub message: peers retry
      return true;
    },
    peers: () => peers.size,
    async close() {
      clearInterval(timer);
      await Promise.allSettled([pub.quit(), sub.quit()]);
    },
  };
}
