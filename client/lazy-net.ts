// Owns loading the network libraries (client/net-libs.ts) after start, checked against the build's SRI hash, and the relay connection and mesh that stand in until they are there.
import { BwError } from '../shared/errors.js';
import type { Identity } from '../shared/crypto/identity.js';
import type { Mesh, MeshEvents, RelayConnection, RelayEvents } from './core/ports.js';
import { connectRelay } from './relay-connection.js';
import { createMesh } from './mesh.js';

/**
 * The chunk's file name and SRI hash (W3C SRI §3.1), written over these same-length placeholders by the build
 * (rollup.config.mjs netChunk), so the entry an embed snippet pins by its own hash pins the chunk too. Unbuilt
 * sources (the browser tests) keep the placeholders and import the module as it is.
 */
const NET_FILE = './net-libs.________.js';
const NET_SRI = 'sha384-________________________________________________________________';

type NetLibs = typeof import('./net-libs.js');
let libs: Promise<NetLibs> | undefined;

/**
 * Fetches the chunk as a module preload with its integrity first: the module map then holds the checked module,
 * and the import() below gets that one (HTML §4.2.4 modulepreload; a failed check leaves no module to import).
 */
async function preloadChecked(): Promise<void> {
  if (NET_SRI.includes('_')) return; // not built: there is no hash to check against
  const href = new URL(NET_FILE, import.meta.url).href;
  const link = document.createElement('link');
  Object.assign(link, { rel: 'modulepreload', href, integrity: NET_SRI, crossOrigin: 'anonymous' });
  try {
    await new Promise<void>((loaded, failed) => {
      link.onload = () => loaded();
      link.onerror = () => failed(new BwError('unavailable', `could not load ${href}: unreachable, or not the bytes this build pinned (SRI)`));
      document.head.append(link);
    });
  } finally {
    link.remove();
  }
}

/** The network libraries, loaded once (and again after a failed attempt). */
export function loadNet(): Promise<NetLibs> {
  libs ??= preloadChecked()
    .then(() => import('./net-libs.js'))
    .catch((e: unknown) => {
      libs = undefined;
      throw e;
    });
  return libs;
}

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
