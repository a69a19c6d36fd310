// Owns the client's Socket.IO link to the relay: authentication, typed calls with acks, and reconnection.
import type { io as Io, Socket } from 'socket.io-client';
import { BwError, fromFailure } from '../shared/errors.js';
import { fromB64u, toB64u } from '../shared/bytes.js';
import { sign, type Identity } from '../shared/crypto/identity.js';
import { LABEL, signedMessage } from '../shared/crypto/kdf.js';
import { parse } from '../shared/validate.js';
import { AuthChallengeSchema, type Ack, type ClientToServer, type IceServer, type ServerToClient } from '../shared/protocol.js';
import type { RelayConnection, RelayEvents, RelayStatus } from './core/ports.js';

export type { RelayConnection, RelayEvents, RelayStatus } from './core/ports.js';

const CALL_TIMEOUT_MS = 10_000;

/** `io`: Socket.IO's client, passed in so the page can load it after its first paint (client/lazy-net.ts). */
export function connectRelay(io: typeof Io, url: string, me: Pick<Identity, 'sigPub' | 'sigSecret'>, on: RelayEvents): RelayConnection {
  const socket: Socket<ServerToClient, ClientToServer> = io(url || undefined, {
    transports: ['websocket', 'polling'],
    reconnectionDelayMax: 10_000,
  });
  let status: RelayStatus = 'connecting';
  const setStatus = (s: RelayStatus, detail?: string) => {
    status = s;
    on.status(s, detail);
  };
  on.status('connecting');

  socket.on('auth:challenge', (raw) => {
    try {
      const ch = parse(AuthChallengeSchema, raw, 'auth:challenge');
      const sig = sign(signedMessage(LABEL.authSig, fromB64u(ch.nonce, 'nonce')), me.sigSecret);
      socket.timeout(CALL_TIMEOUT_MS).emit('auth:prove', { key: toB64u(me.sigPub), sig: toB64u(sig) }, (err: Error | null, res: Ack<{ iceServers: IceServer[] }>) => {
        if (err) return setStatus('offline', 'relay did not answer the login');
        if (!res.ok) return setStatus('offline', `relay refused login: ${res.message}`);
        setStatus('connected');
        on.authenticated(res.iceServers);
      });
    } catch (e) {
      setStatus('offline', (e as Error).message);
    }
  });
  socket.on('signal:recv', (m) => on.signal(m.from, m.data));
  socket.on('presence:change', (m) => on.presence(m.key, m.online));
  socket.on('mailbox:ready', () => on.mailbox());
  socket.on('relay:error', (f) => console.warn('[bw] relay error', f.event, f.code, f.message));
  socket.on('disconnect', () => setStatus('offline', 'relay connection lost; reconnecting'));
  socket.on('connect_error', () => setStatus('offline', `relay unreachable at ${url || location.origin}; retrying`));
  socket.io.on('reconnect_attempt', () => status !== 'connecting' && setStatus('connecting'));

  return {
    get status() {
      return status;
    },
    async call(event, msg) {
      if (status !== 'connected') throw new BwError('unavailable', 'not connected to the relay');
      let res: Ack;
      try {
        res = await (socket.timeout(CALL_TIMEOUT_MS).emitWithAck as (e: string, m: unknown) => Promise<Ack>)(event, msg);
      } catch {
        throw new BwError('unavailable', `relay did not answer ${event}`);
      }
      if (!res.ok) throw fromFailure(res);
      return res as never;
    },
    close: () => void socket.close(),
  };
}
