// Owns who may see whom on the relay: which keys are online, and to whom each one's presence (and signal reach) is
// shown. In memory only, rebuilt from what connected clients declare; no friend list is ever stored.
//
// The rule: key S is visible to key V — V learns when S comes and goes, and V's signals reach S — only while S is
// online and S consents, either by watching V (friends watch each other) or by accepting an invite tag that V
// presents (someone holding S's invite, not yet a friend). A stranger who watches S learns nothing, and a signal
// to S that S does not consent to is answered exactly like one to an offline key.

/** What one connection declares in presence:watch. */
export interface WatchList {
  /** Keys whose presence it wants (and to whom it consents to be visible). */
  keys: readonly string[];
  /** Tags of invites it issued and still honours: holders of those invites may see it and send it a friend request. */
  accept?: readonly string[];
  /** Tags of invites it holds and has not yet had answered. */
  present?: readonly string[];
}

/** A presence:change to send: `to` is the connection to tell that `key` came online or left. */
export interface PresenceNote<S> {
  to: S;
  key: string;
  online: boolean;
}

export interface Presence<S> {
  /** A connection proved it holds `key`. */
  join(s: S, key: string): PresenceNote<S>[];
  /** A connection replaced its watch list; `online` answers it (its watched keys now visible to it). */
  watch(s: S, list: WatchList): { online: string[]; notes: PresenceNote<S>[] };
  /** A connection closed. */
  leave(s: S): PresenceNote<S>[];
  /** Whether `to` is online and visible to `from`: the gate for signals from `from` to `to`. */
  canReach(from: string, to: string): boolean;
  /** The connections authenticated as `key`. */
  socketsOf(key: string): ReadonlySet<S>;
  /** What a connection declared: its key and its current watch list (for another relay node's replica). */
  declared(s: S): { key: string; list: WatchList } | undefined;
  onlineKeys(): number;
}

interface Entry {
  key: string;
  watching: Set<string>;
  accept: Set<string>;
  present: Set<string>;
}

const NONE: ReadonlySet<never> = new Set();

export function createPresence<S>(): Presence<S> {
  const entries = new Map<S, Entry>();
  /** key → its connections */
  const byKey = new Map<string, Set<S>>();
  /** key → connections watching it */
  const watchers = new Map<string, Set<S>>();
  /** invite tag → connections presenting it */
  const presenters = new Map<string, Set<S>>();
  /** invite tag → connections accepting it */
  const acceptors = new Map<string, Set<S>>();

  const addTo = <K, V>(m: Map<K, Set<V>>, k: K, val: V) => (m.get(k) ?? m.set(k, new Set()).get(k)!).add(val);
  const removeFrom = <K, V>(m: Map<K, Set<V>>, k: K, val: V) => {
    const set = m.get(k);
    if (set?.delete(val) && set.size === 0) m.delete(k);
  };

  /** The keys `subject` is visible to right now. */
  function viewersOf(subject: string): Set<string> {
    const out = new Set<string>();
    for (const s of byKey.get(subject) ?? NONE) {
      const e = entries.get(s)!;
      for (const k of e.watching) out.add(k);
      for (const k of keysUnder(presenters, e.accept)) out.add(k);
    }
    out.delete(subject);
    return out;
  }

  /** Keys of the connections filed in a tag index (presenters or acceptors) under any of `tags`. */
  function keysUnder(index: Map<string, Set<S>>, tags: Iterable<string>): Set<string> {
    const out = new Set<string>();
    for (const tag of tags) for (const c of index.get(tag) ?? NONE) out.add(entries.get(c)!.key);
    return out;
  }

  /**
   * Runs a mutation of connection `s` and returns a note for every (viewer connection, subject) whose visibility
   * changed. The subjects it can affect: its own key, and whoever accepts a tag it presents, before or after.
   */
  function change(s: S, key: string, presentsAfter: Iterable<string>, mutate: () => void): PresenceNote<S>[] {
    const subjects = new Set([key, ...keysUnder(acceptors, entries.get(s)?.present ?? NONE), ...keysUnder(acceptors, presentsAfter)]);
    const before = new Map([...subjects].map((k) => [k, viewersOf(k)]));
    mutate();
    const notes: PresenceNote<S>[] = [];
    for (const [subject, was] of before) {
      const now = viewersOf(subject);
      const tell = (viewer: string, online: boolean) => {
        for (const v of byKey.get(viewer) ?? NONE) if (v !== s && watchers.get(subject)?.has(v)) notes.push({ to: v, key: subject, online });
      };
      for (const v of now) if (!was.has(v)) tell(v, true);
      for (const v of was) if (!now.has(v)) tell(v, false);
    }
    return notes;
  }

  function clear(s: S, e: Entry) {
    for (const k of e.watching) removeFrom(watchers, k, s);
    for (const t of e.accept) removeFrom(acceptors, t, s);
    for (const t of e.present) removeFrom(presenters, t, s);
  }

  const presence: Presence<S> = {
    join(s, key) {
      return change(s, key, NONE, () => {
        entries.set(s, { key, watching: new Set(), accept: new Set(), present: new Set() });
        addTo(byKey, key, s);
      });
    },
    watch(s, list) {
      const e = entries.get(s);
      if (!e) throw new Error('presence.watch before join');
      const notes = change(s, e.key, list.present ?? NONE, () => {
        clear(s, e);
        e.watching = new Set(list.keys);
        e.accept = new Set(list.accept ?? []);
        e.present = new Set(list.present ?? []);
        for (const k of e.watching) addTo(watchers, k, s);
        for (const t of e.accept) addTo(acceptors, t, s);
        for (const t of e.present) addTo(presenters, t, s);
      });
      return { online: [...e.watching].filter((k) => presence.canReach(e.key, k)), notes };
    },
    leave(s) {
      const e = entries.get(s);
      if (!e) return [];
      const notes = change(s, e.key, NONE, () => {
        clear(s, e);
        entries.delete(s);
        removeFrom(byKey, e.key, s);
      });
      return notes;
    },
    canReach(from, to) {
      if (from === to) return false;
      for (const s of byKey.get(to) ?? NONE) {
        const e = entries.get(s)!;
        if (e.watching.has(from) || keysUnder(presenters, e.accept).has(from)) return true;
      }
      return false;
    },
    socketsOf: (key) => byKey.get(key) ?? NONE,
    declared(s) {
      const e = entries.get(s);
      return e && { key: e.key, list: { keys: [...e.watching], accept: [...e.accept], present: [...e.present] } };
    },
    onlineKeys: () => byKey.size,
  };
  return presence;
}
