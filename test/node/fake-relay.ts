// Owns an in-memory stand-in for the relay, for client core tests: login, signals, presence and mailboxes between cores.
import { BwError } from '../../shared/errors.js';
import { fromB64u, toB64u } from '../../shared/bytes.js';
import { mailboxAllowTag } from '../../shared/crypto/pairwise.js';
import type { MailboxItem } from '../../shared/protocol.js';
import type { ConnectRelay, RelayConnection, RelayEvents, RelayStatus } from '../../client/core/ports.js';

interface Client {
  key: string;
  on: RelayEvents;
  status: RelayStatus;
  watch: { keys: string[]; accept: string[]; present: string[] };
}

/**
 * One relay several cores connect to. `up = false` makes new connections fail (relay down). Simplified from
 * signaling/: S is visible to V if S watches V or accepts an invite tag V presents; a signal needs its target online.
 */
export class FakeRelay {
  up = true;
  /** While set, every mailbox:put is refused with this code (a quota or rate limit at the relay). */
  refusePuts?: 'quota' | 'rate-limited';
  readonly clients = new Map<string, Client>();
  readonly mailboxes = new Map<string, MailboxItem[]>();
  readonly allow = new Map<string, Set<string>>();
  /** Every mailbox:put, by recipient (to count copies). */
  readonly puts: { to: string; env: string }[] = [];
  #nextId = 1;

  connect: ConnectRelay = (me, on) => {
    const key = toB64u(me.sigPub);
    const c: Client = { key, on, status: 'connecting', watch: { keys: [], accept: [], present: [] } };
    on.status('connecting');
    queueMicrotask(() => {
      if (!this.up) return on.status('offline', 'relay unreachable');
      this.clients.get(key)?.on.status('offline', 'replaced');
      this.clients.set(key, c);
      c.status = 'connected';
      on.status('connected');
      on.authenticated([]);
      this.#announce();
    });
    const relay = this;
    const conn: RelayConnection = {
      get status() {
        return c.status;
      },
      call: (async (event: string, msg: never) => {
        if (c.status !== 'connected') throw new BwError('unavailable', 'not connected to the relay');
        return { ok: true, ...relay.#handle(c, event, msg) };
      }) as RelayConnection['call'],
      close: () => this.disconnect(key),
    };
    return conn;
  };

  /** Leaves an envelope in `to`'s mailbox as if `from` had put it (no capability check): what a misbehaving sender could do. */
  inject(to: string, from: string, env: string): void {
    const id = this.#nextId++;
    this.mailboxes.set(to, [...(this.mailboxes.get(to) ?? []), { id, from, env }]);
    const c = this.clients.get(to);
    if (c) queueMicrotask(() => c.on.mailbox());
  }

  disconnect(key: string): void {
    const c = this.clients.get(key);
    if (!c) return;
    this.clients.delete(key);
    c.status = 'offline';
    c.on.status('offline', 'closed');
    this.#told.delete(key);
    this.#announce();
  }

  #visible(s: Client, v: string): boolean {
    const viewer = this.clients.get(v);
    return s.watch.keys.includes(v) || (!!viewer && viewer.watch.present.some((t) => s.watch.accept.includes(t)));
  }

  /** Per viewer, the keys it was last told are online: like the real relay, only changes are announced. */
  readonly #told = new Map<string, Set<string>>();

  #announce(): void {
    for (const v of this.clients.values()) {
      const told = this.#told.get(v.key) ?? new Set<string>();
      this.#told.set(v.key, told);
      for (const k of new Set([...v.watch.keys, ...told])) {
        const s = this.clients.get(k);
        const now = !!s && v.watch.keys.includes(k) && this.#visible(s, v.key);
        if (now === told.has(k)) continue;
        if (now) told.add(k);
        else told.delete(k);
        queueMicrotask(() => v.on.presence(k, now));
      }
    }
  }

  #handle(c: Client, event: string, msg: any): object {
    switch (event) {
      case 'presence:watch': {
        c.watch = { keys: msg.keys, accept: msg.accept ?? [], present: msg.present ?? [] };
        const online = msg.keys.filter((k: string) => this.clients.has(k) && this.#visible(this.clients.get(k)!, c.key));
        this.#told.set(c.key, new Set(online)); // the answer tells the caller; others hear of changes
        this.#announce();
        return { online };
      }
      case 'signal:send': {
        const to = this.clients.get(msg.to);
        if (!to) throw new BwError('offline', 'that key is not connected');
        queueMicrotask(() => to.on.signal(c.key, msg.data));
        return {};
      }
      case 'mailbox:allow':
        this.allow.set(c.key, new Set(msg.tags));
        return { count: msg.tags.length };
      case 'mailbox:put': {
        if (this.refusePuts) throw new BwError(this.refusePuts, 'refused for the test');
        const tag = mailboxAllowTag(fromB64u(msg.cap, 'cap'), fromB64u(c.key, 'key'));
        if (!this.allow.get(msg.to)?.has(tag)) throw new BwError('not-friend', 'not on their allow list');
        const id = this.#nextId++;
        this.puts.push({ to: msg.to, env: msg.env });
        this.mailboxes.set(msg.to, [...(this.mailboxes.get(msg.to) ?? []), { id, from: c.key, env: msg.env }]);
        const to = this.clients.get(msg.to);
        if (to) queueMicrotask(() => to.on.mailbox());
        return { id };
      }
      case 'mailbox:fetch':
        return { items: (this.mailboxes.get(c.key) ?? []).slice(0, msg.limit) };
      case 'mailbox:ack': {
        const before = this.mailboxes.get(c.key) ?? [];
        const after = before.filter((i) => !msg.ids.includes(i.id));
        this.mailboxes.set(c.key, after);
        return { deleted: before.length - after.length };
      }
      default:
        throw new BwError('bad-frame', `unknown event ${event}`);
    }
  }
}
