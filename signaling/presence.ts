// Owns who may see whom on the relay: which keys are online, and to whom each one's presence (and signal reach) is
// shown. In memory only, rebuilt from what connected clients declare; no friend list is ever stored.
//
// The rule: key S is visible to key V — V learns when S comes and goes, and V's signals reach S — only while S is
// online and S consents, either by watching V (friends watch each other) or by accepting an invite tag that V
// presents (someone holding S's invite, not yet a friend). A stranger who watches S learns nothing, and a signal
// to S that S does not consent to is answered exactly like one to an offline key.
//
// The index is incremental: for every (subject, viewer) pair it counts the reasons the subject consents (one per
// connection of the subject watching the viewer, one per (acceptor connection, presenter connection, tag) match).
// A change adds or removes only its own reasons, so what it costs is what it declares — its watched keys, and for each
// tag the connections filed under it (capped by `tagCap`) — never the other users' connections or watch lists.

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

/** What a change did: the notes to send, and its work (index entries touched) for the relay to charge. */
export interface Changed<S> {
  notes: PresenceNote<S>[];
  work: number;
}

export interface Presence<S> {
  /** A connection proved it holds `key`. */
  join(s: S, key: string): PresenceNote<S>[];
  /** A connection replaced its watch list; `online` answers it (its watched keys now visible to it). */
  watch(s: S, list: WatchList): { online: string[] } & Changed<S>;
  /**
   * Why `s` may not declare `list` (a tag it would add already has `tagCap` connections presenting, or accepting, it),
   * or undefined. Asked by the node that owns `s` before watch(); replicas of other nodes' connections skip it.
   */
  refuse(s: S, list: WatchList): string | undefined;
  /** A connection closed. */
  leave(s: S): PresenceNote<S>[];
  /** Whether `to` is online and visible to `from`: the gate for signals from `from` to `to`. */
  canReach(from: string, to: string): boolean;
  /** Whether connection `s` consents to key `from` (watches it, or accepts a tag it presents): where its signals go. */
  consents(s: S, from: string): boolean;
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
/** Moves the reason count of one (subject, viewer) pair by `d`, inside a change. */
type Bump = (subject: string, viewer: string, d: 1 | -1) => void;
/** Connections that may present, or accept, one invite tag: an invite's holders, or its maker's devices. */
export const DEFAULT_TAG_CAP = 16;

export function createPresence<S>(opts: { tagCap?: number } = {}): Presence<S> {
  const tagCap = opts.tagCap ?? DEFAULT_TAG_CAP;
  const entries = new Map<S, Entry>();
  /** key → its connections */
  const byKey = new Map<string, Set<S>>();
  /** key → connections watching it */
  const watchers = new Map<string, Set<S>>();
  /** invite tag → connections presenting it */
  const presenters = new Map<string, Set<S>>();
  /** invite tag → connections accepting it */
  const acceptors = new Map<string, Set<S>>();
  /** subject → viewer → reasons the subject is visible to the viewer (absent: not visible) */
  const reasons = new Map<string, Map<string, number>>();

  const addTo = <K, V>(m: Map<K, Set<V>>, k: K, val: V) => (m.get(k) ?? m.set(k, new Set()).get(k)!).add(val);
  const removeFrom = <K, V>(m: Map<K, Set<V>>, k: K, val: V) => {
    const set = m.get(k);
    if (set?.delete(val) && set.size === 0) m.delete(k);
  };
  const visible = (subject: string, viewer: string) => (reasons.get(subject)?.get(viewer) ?? 0) > 0;

  /**
   * Runs a mutation of connection `s`; `bump` inside it moves a pair's reason count. Returns a note for every viewer
   * connection (other than `s`) that watches a subject whose visibility to it flipped, and the entries touched.
   */
  function change(s: S, mutate: (bump: Bump) => void): Changed<S> {
    /** subject → viewer → visible before the change, for the pairs this change touched */
    const touched = new Map<string, Map<string, boolean>>();
    let work = 0;
    mutate((subject, viewer, d) => {
      work++;
      if (subject === viewer) return;
      const was = touched.get(subject) ?? touched.set(subject, new Map()).get(subject)!;
      const row = reasons.get(subject) ?? reasons.set(subject, new Map()).get(subject)!;
      const n = row.get(viewer) ?? 0;
      if (!was.has(viewer)) was.set(viewer, n > 0);
      if (n + d > 0) row.set(viewer, n + d);
      else {
        row.delete(viewer);
        if (!row.size) reasons.delete(subject);
      }
    });
    const notes: PresenceNote<S>[] = [];
    for (const [subject, viewers] of touched) {
      const watching = watchers.get(subject);
      if (!watching) continue;
      for (const [viewer, was] of viewers) {
        const now = visible(subject, viewer);
        if (now === was) continue;
        for (const v of byKey.get(viewer) ?? NONE) if (v !== s && watching.has(v)) notes.push({ to: v, key: subject, online: now });
      }
    }
    return { notes, work };
  }

  /** Adds (d = 1) or removes (d = -1) every reason connection `s` of `e.key` gives, and files it in the indexes. */
  function file(s: S, e: Entry, d: 1 | -1, bump: Bump) {
    const edit = d === 1 ? addTo : removeFrom;
    for (const k of e.watching) (edit(watchers, k, s), bump(e.key, k, d));
    for (const t of e.accept) {
      edit(acceptors, t, s);
      for (const p of presenters.get(t) ?? NONE) if (p !== s) bump(e.key, entries.get(p)!.key, d);
    }
    for (const t of e.present) {
      edit(presenters, t, s);
      for (const a of acceptors.get(t) ?? NONE) if (a !== s) bump(entries.get(a)!.key, e.key, d);
    }
    // A connection that both accepts and presents one tag is filed under it twice, and matched with itself by neither loop.
  }

  const presence: Presence<S> = {
    join(s, key) {
      entries.set(s, { key, watching: new Set(), accept: new Set(), present: new Set() });
      addTo(byKey, key, s);
      return []; // a connection with an empty watch list gives no one a reason to see it
    },
    refuse(s, list) {
      for (const [tags, index, what] of [[list.accept, acceptors, 'accept'], [list.present, presenters, 'present']] as const) {
        for (const t of tags ?? []) {
          const filed = index.get(t);
          if (filed && filed.size >= tagCap && !filed.has(s)) return `${tagCap} connections already ${what} one of these invite tags`;
        }
      }
      return undefined;
    },
    watch(s, list) {
      const e = entries.get(s);
      if (!e) throw new Error('presence.watch before join');
      const next: Entry = { key: e.key, watching: new Set(list.keys), accept: new Set(list.accept ?? []), present: new Set(list.present ?? []) };
      const changed = change(s, (bump) => {
        file(s, e, -1, bump);
        entries.set(s, next);
        file(s, next, 1, bump);
      });
      return { online: [...next.watching].filter((k) => visible(k, next.key)), ...changed };
    },
    leave(s) {
      const e = entries.get(s);
      if (!e) return [];
      const { notes } = change(s, (bump) => file(s, e, -1, bump));
      entries.delete(s);
      removeFrom(byKey, e.key, s);
      return notes;
    },
    canReach: (from, to) => from !== to && visible(to, from),
    consents(s, from) {
      const e = entries.get(s);
      if (!e || e.key === from) return false;
      if (e.watching.has(from)) return true;
      // Through the tag index: at most tagCap presenters per tag, and nothing built per call (a signal's hot path).
      for (const t of e.accept) for (const p of presenters.get(t) ?? NONE) if (entries.get(p)!.key === from) return true;
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
