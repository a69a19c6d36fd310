// Owns loading the network libraries (client/net-libs.ts) after start, checked against the build's SRI hash, and the relay connection and mesh that stand in until they are there.
import { BwError } from '../shared/errors.js';
import { pinnedChunk } from './pinned-chunk.js';
import type { Identity } from '../shared/crypto/identity.js';
import type { Mesh, MeshEvents, RelayConnection, RelayEvents } from './core/ports.js';
import { connectRelay } from './relay-connection.js';
import { createMesh } from './mesh.js';

/**
 * The chunk's file name and SRI hash: placeholders of the same length, written over by the build
 * (rollup.config.mjs pinChunks; client/pinned-chunk.ts).
 */
const NET_FILE = './net-libs.________.js';
const NET_SRI = 'sha384-net-libs________________________________________________________';

/** The network libraries, loaded once (and again after a failed attempt). */
export const loadNet = pinnedChunk(NET_FILE, NET_SRI, import.meta.url, () => import('./net-libs.js'));

/** A relay connection that opens once the libraries are loaded; until then it is 'connecting' and calls fail 'unavailable'. */
export function lazyRelay(url: string, me: Pick<Identity, 'sigPub' | 'sigSecret'>, on: RelayEvents): RelayConnection {
  let real: RelayConnection | undefined;
  let closed = false;
  on.status('connecting');
  loadNet().then(
    ({ io }) => void (closed || (real = connectRelay(io, url, me, on))),
    (e: Error) => closed || on.status('offline', e.message),
  );
  return {
    get status() {
      return real?.status ?? 'connecting';
    },
    call(event, msg) {
      if (!real) return Promise.reject(new BwError('unavailable', 'not connected to the relay'));
      return real.call(event, msg);
    },
    close() {
      closed = true;
      real?.close();
    },
  };
}

/** A mesh whose calls wait (in order) for the libraries; until then no channel is open. */
export function lazyMesh(me: string, on: MeshEvents): Mesh {
  let real: Mesh | undefined;
  let closed = false;
  const waiting: ((m: Mesh) => void)[] = [];
  const later = (f: (m: Mesh) => void) => (real ? f(real) : closed || void waiting.push(f));
  // A failed load is reported by the relay connection's status; the mesh just stays empty.
  loadNet().then(
    ({ SimplePeer }) => {
      if (closed) return;
      const m = (real = createMesh(SimplePeer, me, on));
      for (const f of waiting.splice(0)) f(m);
    },
    () => {},
  );
  return {
    connect: (key) => later((m) => m.connect(key)),
    signal: (from, signal) => later((m) => m.signal(from, signal)),
    isOpen: (key) => real?.isOpen(key) ?? false,
    openCount: () => real?.openCount() ?? 0,
    send: (key, text) => real?.send(key, text) ?? false,
    drop: (key) => later((m) => m.drop(key)),
    setIceServers: (servers) => later((m) => m.setIceServers(servers)),
    close() {
      closed = true;
      waiting.length = 0;
      real?.close();
    },
  };
}
