// Owns the peer mesh: one simple-peer data channel per online friend, who initiates, and reconnecting with backoff.
import type SimplePeer from 'simple-peer';
import type { IceServer } from '../shared/protocol.js';
import { isInitiator, type Mesh, type MeshEvents } from './core/ports.js';

export type { Mesh, MeshEvents } from './core/ports.js';
export { isInitiator };

const BACKOFF_MS = [500, 1000, 2000, 5000, 10_000, 30_000];
/**
 * A channel not open this long after its peer was made is given up (and retried by the initiator): an offer, answer
 * or candidate was lost on the way, e.g. in a relay restart, and simple-peer itself would wait for it forever.
 */
export const CONNECT_TIMEOUT_MS = 15_000;

/** `Peer`: simple-peer, passed in so the page can load it after its first paint (client/lazy-net.ts). */
export function createMesh(Peer: typeof SimplePeer, me: string, on: MeshEvents, opts: { iceServers?: IceServer[] } = {}): Mesh {
  const peers = new Map<string, SimplePeer.Instance>();
  const open = new Set<string>();
  const wanted = new Set<string>();
  const attempts = new Map<string, number>();
  const timers = new Map<string, ReturnType<typeof setTimeout>>();
  let iceServers = opts.iceServers ?? [];

  function create(key: string, initiator: boolean): SimplePeer.Instance {
    peers.get(key)?.destroy();
    const p = new Peer({ initiator, trickle: true, config: { iceServers: iceServers as RTCIceServer[] } });
    peers.set(key, p);
    // A peer whose signal never left waits for an answer that cannot come; while it stands, connect() does nothing.
    p.on('signal', (s) => on.signal(key, s, abandon));
    const giveUp = setTimeout(() => open.has(key) || abandon(), CONNECT_TIMEOUT_MS);
    p.on('connect', () => {
      clearTimeout(giveUp);
      attempts.delete(key);
      open.add(key);
      on.open(key);
    });
    p.on('data', (d: Uint8Array | string) => on.message(key, typeof d === 'string' ? d : new TextDecoder().decode(d)));
    const ended = () => {
      clearTimeout(giveUp);
      if (peers.get(key) !== p) return;
      peers.delete(key);
      if (open.delete(key)) on.close(key);
      retry(key);
    };
    /** This attempt failed: it is replaced (initiator, with backoff) or awaits the initiator's next offer. */
    function abandon() {
      if (peers.get(key) !== p) return; // a newer attempt already replaced it
      console.warn('[bw] peer channel attempt abandoned', key.slice(0, 8));
      ended();
      p.destroy();
    }
    p.on('close', ended);
    p.on('error', (e) => {
      console.warn('[bw] peer channel error', key.slice(0, 8), e.message);
      ended();
    });
    return p;
  }

  function retry(key: string) {
    if (!wanted.has(key) || !isInitiator(me, key) || timers.has(key)) return;
    const n = attempts.get(key) ?? 0;
    attempts.set(key, n + 1);
    const t = setTimeout(() => {
      timers.delete(key);
      if (wanted.has(key) && !peers.has(key)) create(key, true);
    }, BACKOFF_MS[Math.min(n, BACKOFF_MS.length - 1)]);
    timers.set(key, t);
  }

  return {
    connect(key) {
      wanted.add(key);
      if (isInitiator(me, key) && !peers.has(key)) create(key, true);
    },
    signal(from, s) {
      let p = peers.get(from);
      const isOffer = (s as { type?: string }).type === 'offer';
      // A fresh offer from the initiator replaces a stale channel (it reconnected).
      if (!p || (isOffer && !isInitiator(me, from))) p = create(from, false);
      wanted.add(from);
      p.signal(s as SimplePeer.SignalData);
    },
    isOpen: (key) => open.has(key),
    openCount: () => open.size,
    send(key, text) {
      const p = peers.get(key);
      if (!p || !open.has(key)) return false;
      try {
        p.send(text);
        return true;
      } catch (e) {
        console.warn('[bw] send failed', (e as Error).message);
        return false;
      }
    },
    drop(key) {
      wanted.delete(key);
      clearTimeout(timers.get(key));
      timers.delete(key);
      const p = peers.get(key);
      peers.delete(key);
      p?.destroy();
      if (open.delete(key)) on.close(key);
    },
    setIceServers(s) {
      iceServers = s;
    },
    close() {
      for (const key of [...peers.keys()]) this.drop(key);
    },
  };
}
