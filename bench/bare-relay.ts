// Owns the relay benchmark's baseline: a bare Socket.IO server that only forwards `signal:send` to a socket id and acks.
// No auth, no schema, no rate limit, no store: the floor any Socket.IO relay stands on.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { LIMITS } from '../shared/protocol.js';

const httpServer = createServer();
// Same frame ceiling and options as the real relay, so both parse the same frames the same way.
const io = new Server(httpServer, { maxHttpBufferSize: LIMITS.maxFrameBytes, serveClient: false });

io.on('connection', (socket) => {
  socket.on('signal:send', (msg: { to: string; data: unknown }, ack: (res: { ok: true }) => void) => {
    io.sockets.sockets.get(msg.to)?.emit('signal:recv', { from: socket.id, data: msg.data });
    ack({ ok: true });
  });
});

httpServer.listen(0, '127.0.0.1', () => {
  const { port } = httpServer.address() as AddressInfo;
  // Same shape as the relay's "relay listening" log line, so one parser finds both URLs.
  process.stdout.write(JSON.stringify({ level: 'info', msg: 'bare listening', url: `http://127.0.0.1:${port}/` }) + '\n');
});
process.on('SIGTERM', () => process.exit(0));
