// Owns the client-core test user: a core on a store (in memory by default) and a FakeRelay, its state waiter, the warnings it logged and the posts it announced; and a clock the test moves.
import { ClientCore } from '../../client/core/client.js';
import { stateWaiter } from '../../client/core/state-waiter.js';
import type { ClientState } from '../../client/core/context.js';
import type { Clock, ClientStore } from '../../client/core/ports.js';
import type { PostRow } from '../../client/core/types.js';
import { memoryStore } from '../cases/memory-store.js';
import type { FakeRelay } from './fake-relay.js';

/** A clock the test moves; timers run only when the test fires them. */
export function manualClock(start = Date.UTC(2026, 0, 1)): Clock & { t: number; timers: (() => void)[] } {
  const c = {
    t: start,
    timers: [] as (() => void)[],
    now: () => c.t,
    setTimeout: (fn: () => void) => c.timers.push(fn),
    clearTimeout: () => {},
  };
  return c;
}

export interface CoreUser {
  core: ClientCore;
  store: ClientStore;
  /** What the core logged as warnings (refusals, retries), one string each. */
  warnings: string[];
  /** Each post announced (onReceived), and the state as it was at that moment. */
  received: PostRow[];
  seen: ClientState[];
  /** Resolves when the state satisfies `pred` (checked now and on every change). */
  until(pred: (s: ClientState) => boolean): Promise<ClientState>;
}

/** A core for a test; `clock` absent: the system clock. */
export function coreUser(relay: FakeRelay, opts: { clock?: Clock; store?: ClientStore } = {}): CoreUser {
  const store = opts.store ?? memoryStore();
  const waiter = stateWaiter<ClientState>(() => core.state);
  const warnings: string[] = [];
  const received: PostRow[] = [];
  const seen: ClientState[] = [];
  const core = new ClientCore({
    store,
    connectRelay: relay.connect,
    relayUrl: 'http://relay.test',
    ...(opts.clock && { clock: opts.clock }),
    log: { warn: (...a: unknown[]) => void warnings.push(a.join(' ')), error: (...a: unknown[]) => console.error(...a) },
    onChange: () => waiter.changed(),
    onReceived: (p) => {
      received.push(p);
      seen.push(core.state);
      waiter.changed();
    },
  });
  return { core, store, warnings, received, seen, until: waiter.until };
}

/** Starts the core, creates the identity `name` if given, and waits until it is online and idle. */
export async function online<U extends Pick<CoreUser, 'core' | 'until'>>(u: U, name?: string): Promise<U> {
  await u.core.start();
  if (name) await u.core.createIdentity(name);
  await u.until((s) => s.relay === 'connected');
  await u.core.idle();
  return u;
}
