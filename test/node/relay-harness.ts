// Owns a real relay on a loopback port 0 with a real SQLite store, and authenticated socket.io clients for tests.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { io, type Socket } from 'socket.io-client';
import { toB64u, fromB64u } from '../../shared/bytes.js';
import { generateIdentity, peerId, sign, type Identity, type PublicIdentity } from '../../shared/crypto/identity.js';
import { mailboxAllowTag, pairKeys } from '../../shared/crypto/pairwise.js';
import { LABEL, signedMessage } from '../../shared/crypto/kdf.js';
import { LIMITS, type Ack, type AuthChallenge, type ClientToServer, type ServerToClient } from '../../shared/protocol.js';
import { blobId } from '../../shared/crypto/blob.js';
import type { verifyProof } from '../../signaling/auth.js';
import { DEFAULTS, type Config } from '../../signaling/config.js';
import { createLogger } from '../../signaling/log.js';
import { createRelay, type Relay } from '../../signaling/server.js';
import { openSqliteStore } from '../../signaling/store/sqlite.js';
import type { MailboxStore } from '../../signaling/store/store.js';
import { openSqliteBlobStore } from '../../signaling/store/blobs-sqlite.js';
import type { BlobStore } from '../../signaling/store/blobs.js';
import { tempDir } from '../temp.js';

export type ClientSocket = Socket<ServerToClient, ClientToServer>;

export interface Harness {
  url: string;
  relay: Relay;
  /** The relay's own store, for tests that look at what it keeps. */
  store: MailboxStore;
  /** The relay's image blob store. */
  blobs: BlobStore;
  dataDir: string;
  close(): Promise<void>;
}

export async function startHarness(overrides: Partial<Config> = {}, now?: () => number, seams: { verify?: typeof verifyProof } = {}): Promise<Harness> {
  const dataDir = tempDir('bw-relay-test');
  const config: Config = { ...DEFAULTS, port: 0, dataDir, staticDir: '', logLevel: 'silent', ...overrides };
  const store = openSqliteStore({ dataDir, queueQuota: config.queueQuota, senderQuota: config.senderQuota });
  const blobs = openSqliteBlobStore({ dataDir });
  const httpServer = createServer();
  const relay = createRelay({ httpServer, config, store, blobs, log: createLogger('silent'), ...(now && { now }), ...seams });
  await new Promise<void>((r) => httpServer.listen(0, '127.0.0.1', r));
  const { port } = httpServer.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    relay,
    store,
    blobs,
    dataDir,
    async close() {
      await relay.close();
      httpServer.close();
    },
  };
}

/** Connects and waits for the challenge (not yet authenticated). */
export async function connectRaw(url: string): Promise<{ socket: ClientSocket; challenge: AuthChallenge }> {
  const socket: ClientSocket = io(url, { transports: ['websocket'], reconnection: false, forceNew: true });
  const challenge = await new Promise<AuthChallenge>((resolve, reject) => {
    socket.once('auth:challenge', resolve);
    socket.once('connect_error', reject);
  });
  return { socket, challenge };
}

export const proveFor = (id: Pick<Identity, 'sigSecret'>, claimedKey: Uint8Array, nonce: string) => ({
  key: toB64u(claimedKey),
  sig: toB64u(sign(signedMessage(LABEL.authSig, fromB64u(nonce)), id.sigSecret)),
});

export function call<E extends keyof ClientToServer>(s: ClientSocket, event: E, msg: unknown): Promise<Ack<Record<string, unknown>> & Record<string, unknown>> {
  return (s.timeout(5000).emitWithAck as (e: string, m: unknown) => Promise<never>)(event, msg);
}

/** A fresh identity, connected and authenticated. */
/** Connects and authenticates as a new identity called `name`, or as the identity given. */
export async function connectAs(url: string, who: string | Identity = 'user'): Promise<{ socket: ClientSocket; id: Identity; key: string }> {
  const id = typeof who === 'string' ? generateIdentity(who) : who;
  const { socket, challenge } = await connectRaw(url);
  const res = await call(socket, 'auth:prove', proveFor(id, id.sigPub, challenge.nonce));
  if (!res.ok) throw new Error(`auth failed: ${res.code}`);
  return { socket, id, key: peerId(id.sigPub) };
}

export function nextEvent<E extends keyof ServerToClient>(s: ClientSocket, event: E): Promise<Parameters<ServerToClient[E]>[0]> {
  return new Promise((resolve) => s.once(event, resolve as never));
}

/** The capability `sender` presents to leave a post in `recipient`'s mailbox. */
export const capFor = (sender: Identity, recipient: PublicIdentity): string => toB64u(pairKeys(sender, recipient).mailboxOut);

/** `recipient` (connected) lets each of `senders` leave it posts: its whole allow list, replaced. */
export async function allow(recipient: { socket: ClientSocket; id: Identity }, senders: readonly PublicIdentity[]): Promise<void> {
  const tags = senders.map((s) => mailboxAllowTag(pairKeys(recipient.id, s).mailboxIn, s.sigPub));
  const res = await call(recipient.socket, 'mailbox:allow', { tags });
  if (!res.ok) throw new Error(`mailbox:allow refused: ${res.code}`);
}

type BlobUser = { socket: ClientSocket; id: Identity; key: string };

/** Announces and uploads `data` to `to` (each with the capability `from` holds for them); the last ack. */
export async function upload(from: BlobUser, data: Uint8Array, to: readonly BlobUser[], id = blobId(data)) {
  const put = await call(from.socket, 'blob:put', { id, bytes: data.length, to: to.map((t) => ({ to: t.key, cap: capFor(from.id, t.id) })) });
  if (!put.ok || put.have) return put;
  let last: Awaited<ReturnType<typeof call>> = put;
  for (let at = 0; at < data.length; at += LIMITS.blobChunkBytes) {
    last = await call(from.socket, 'blob:chunk', { id, at, data: data.subarray(at, at + LIMITS.blobChunkBytes) });
    if (!last.ok) return last;
  }
  return last;
}

/** Reads a whole blob chunk by chunk; the first refusal's code otherwise. */
export async function download(who: BlobUser, id: string): Promise<Uint8Array | string> {
  const parts: Uint8Array[] = [];
  let at = 0;
  for (;;) {
    const res = await call(who.socket, 'blob:get', { id, at });
    if (!res.ok) return res.code;
    const data = new Uint8Array(res.data as Uint8Array);
    parts.push(data);
    at += data.length;
    if (at >= (res.bytes as number)) break;
    if (!data.length) throw new Error('a get before the end returned no bytes');
  }
  const out = new Uint8Array(at);
  let o = 0;
  for (const p of parts) (out.set(p, o), (o += p.length));
  return out;
}

export type Answer = Awaited<ReturnType<typeof call>>;

/** A client as the browser's is: it reconnects by itself, and on every new connection proves its key, then runs `onLogin`. */
export interface LiveClient {
  readonly socket: ClientSocket;
  /** Whether the client is logged in (onLogin done) within `ms`. */
  loggedIn(ms?: number): Promise<boolean>;
  /** Waits for the current login, then calls; undefined when no login or no answer came within `ms` each. */
  call(event: keyof ClientToServer, msg: unknown, ms?: number): Promise<Answer | undefined>;
  close(): void;
}

/**
 * Connects as `id` to `url` with socket.io's own reconnection (every 50–200 ms). `onLogin` runs after each auth:prove
 * (a recipient sends its allow list again, as the browser's client does) and is tried again every 100 ms, up to 50
 * times, until it resolves true; calls wait for it.
 */
export function connectLive(url: string, id: Identity, onLogin: (socket: ClientSocket) => Promise<boolean> = async () => true): LiveClient {
  const socket: ClientSocket = io(url, { transports: ['websocket'], forceNew: true, reconnectionDelay: 50, reconnectionDelayMax: 200 });
  let connection = 0;
  let atLogin = false;
  let setReady = () => {};
  let ready = new Promise<void>((r) => (setReady = r));
  socket.on('disconnect', () => {
    connection++;
    if (atLogin) (atLogin = false), (ready = new Promise<void>((r) => (setReady = r))); // callers already waiting keep the pending one
  });
  socket.on('auth:challenge', async (ch) => {
    const mine = connection;
    const proved = await call(socket, 'auth:prove', proveFor(id, id.sigPub, ch.nonce)).catch(() => undefined);
    for (let i = 0; proved?.ok && i < 50 && mine === connection; i++) {
      if (await onLogin(socket).catch(() => false)) {
        if (mine === connection) (atLogin = true), setReady();
        return;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  const within = <T>(p: Promise<T>, ms: number): Promise<T | undefined> => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    return Promise.race([p, new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), ms)))]).finally(() => clearTimeout(timer));
  };
  const loggedIn = async (ms = 5000) => (await within(ready.then(() => true), ms)) ?? false;
  return {
    socket,
    loggedIn,
    async call(event, msg, ms = 5000) {
      if (!(await loggedIn(ms))) return undefined;
      return (socket.timeout(ms).emitWithAck as (e: string, m: unknown) => Promise<Answer>)(event, msg).catch(() => undefined);
    },
    close: () => void socket.close(),
  };
}
