// Owns the terminal's client: the core over the SQLite store and a relay-only socket.io-client link, for one command.
import { BwError } from '../shared/errors.js';
import { ClientCore } from '../client/core/client.js';
import { stateWaiter } from '../client/core/state-waiter.js';
import type { ClientState } from '../client/core/context.js';
import type { PostRow } from '../client/core/types.js';
import { io } from 'socket.io-client';
import { connectRelay } from '../client/relay-connection.js';
import { openSqliteStore, type SqliteStore } from './sqlite-store.js';

export interface ClientOptions {
  relay: string;
  dataDir: string;
  passphrase: () => string | Promise<string>;
  /** Print the core's warnings (rejected messages, retries) on stderr. */
  verbose?: boolean;
}

export interface NodeClient {
  core: ClientCore;
  store: SqliteStore;
  /** Resolves when the state satisfies `pred` (checked now and on every change). */
  until(pred: (s: ClientState) => boolean): Promise<ClientState>;
  /** Waits for the relay login and for everything it brings (outbox sent, mailbox fetched); 'unavailable' if it fails. */
  online(): Promise<void>;
  /** Each envelope a friend sent that was taken in (PostRow.kind says what it carried). */
  onReceived(fn: (p: PostRow) => void): void;
  close(): void;
}

const quiet = { warn: () => {}, error: (...a: unknown[]) => console.error(...a) };

/** Opens the store and the core; `connect: false` for commands that need no network. */
export async function openClient(opts: ClientOptions, connect: boolean): Promise<NodeClient> {
  const store = openSqliteStore({ dataDir: opts.dataDir, passphrase: opts.passphrase });
  const waiter = stateWaiter<ClientState>(() => core.state);
  const posts = new Set<(p: PostRow) => void>();
  const core = new ClientCore({
    store,
    // Relay-only: no mesh, so friends reach the terminal through the mailbox and it reaches them the same way.
    connectRelay: (me, on) => connectRelay(io, opts.relay, me, on),
    relayUrl: opts.relay,
    deviceName: 'Terminal',
    log: opts.verbose ? console : quiet,
    onChange: () => waiter.changed(),
    onReceived: (p) => posts.forEach((f) => f(p)),
  });
  const { until } = waiter;
  try {
    await core.start({ connect });
  } catch (e) {
    core.close();
    throw e;
  }
  return {
    core,
    store,
    until,
    async online() {
      if (!core.state.me) throw new BwError('unauthenticated', 'there is no identity here yet');
      // 'offline' after the first attempt means it failed (refused, unreachable, login refused); the link would retry.
      const s = await until((st) => st.relay === 'connected' || (st.relay === 'offline' && !!st.relayDetail));
      if (s.relay === 'connected') return core.idle();
      const why = s.relayDetail!.startsWith('relay unreachable') ? 'is unreachable' : `did not let me in: ${s.relayDetail}`;
      throw new BwError('unavailable', `the relay at ${opts.relay} ${why}`);
    },
    onReceived: (fn) => void posts.add(fn),
    close: () => core.close(),
  };
}
