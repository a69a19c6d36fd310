// Owns the cluster benchmark's baseline: a bare Socket.IO server joined to others by plain Redis pub/sub (ioredis), the
// same processes and hops as the clustered relay (client → process → Redis → process → client) with none of its work.
// No auth, presence, schema or rate limit: the sender names the socket id and the process that holds it.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';
import { LIMITS } from '../shared/protocol.js';

/** What a client sends and gets: `node` is the name of the process holding `to` (sending) or `from` (receiving). */
type Signal = { to: string; node: string; data: unknown };
type Recv = { from: string; node: string; data: unknown };

const [redisUrl, name] = process.argv.slice(2);
if (!redisUrl || !name) throw new Error('usage: bare-cluster-relay.js REDIS_URL NODE_NAME');
const channel = (node: string) => `bare-node#${node}#`;

// The relay's own connection options (signaling/cluster.ts), so the Redis side is the same too.
const pub = new Redis(redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true });
const sub = new Redis(redisUrl, { lazyConnect: true });
await Promise.all([pub.connect(), sub.connect()]);
await sub.subscribe(channel(name));

const httpServer = createServer();
const io = new Server(httpServer, { maxHttpBufferSize: LIMITS.maxFrameBytes, serveClient: false, transports: ['websocket'] });
const emitHere = (to: string, recv: Recv) => io.sockets.sockets.get(to)?.emit('signal:recv', recv);

sub.on('messageBuffer', (_channel: Buffer, raw: Buffer) => {
  const m = JSON.parse(raw.toString()) as { to: string } & Recv;
  emitHere(m.to, { from: m.from, node: m.node, data: m.data });
});

io.on('connection', (socket) => {
  socket.on('signal:send', (msg: Signal, ack: (res: { ok: true }) => void) => {
    const recv: Recv = { from: socket.id, node: name, data: msg.data };
    if (msg.node === name) emitHere(msg.to, recv);
    else void pub.publish(channel(msg.node), JSON.stringify({ to: msg.to, ...recv })).catch(() => {});
    ack({ ok: true });
  });
});

httpServer.listen(0, '127.0.0.1', () => {
  const { port } = httpServer.address() as AddressInfo;
  // Same shape as the relay's "relay listening" log line, so one parser finds both URLs.
  process.stdout.write(JSON.stringify({ level: 'info', msg: 'bare listening', url: `http://127.0.0.1:${port}/` }) + '\n');
});
process.on('SIGTERM', () => {
  pub.disconnect();
  sub.disconnect();
  process.exit(0);
});
