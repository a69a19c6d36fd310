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
      this.#announce(key, true);
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

  disconnect(key: string): void {
    const c = this.clients.get(key);
    if (!c) return;
    this.clients.delete(key);
    c.status = 'offline';
    c.on.status('offline', 'closed');
    this.#announce(key, false);
  }

  #visible(s: Client, v: string): boolean {
    const viewer = this.clients.get(v);
    return s.watch.keys.includes(v) || (!!viewer && viewer.watch.present.some((t) => s.watch.accept.includes(t)));
  }

  #announce(key: string, online: boolean): void {
    const s = this.clients.get(key);
    for (const v of this.clients.values()) {
      if (v.key !== key && v.watch.keys.includes(key) && (!s || this.#visible(s, v.key))) v.on.presence(key, online);
    }
  }

  #handle(c: Client, event: string, msg: any): object {
    switch (event) {
      case 'presence:watch': {
        c.watch = { keys: msg.keys, accept: msg.accept ?? [], present: msg.present ?? [] };
        const online = msg.keys.filter((k: string) => this.clients.has(k) && this.#visible(this.clients.get(k)!, c.key));
        this.#announce(c.key, true);
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
