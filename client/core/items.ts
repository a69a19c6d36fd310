// Owns turning what arrived into stored items: v1 posts, and the rules a v2 bundle's items must meet (pure).
import { BwError } from '../../shared/errors.js';
import { fromB64u, toB64u } from '../../shared/bytes.js';
import { peerId } from '../../shared/crypto/identity.js';
import { refKey, v1PostId, type SignedItem } from '../../shared/crypto/content.js';
import { decodeDeviceList, diffDevices, verifyDeviceList, verifyRidingDeviceList } from '../../shared/crypto/devices.js';
import type { SyncOp } from '../../shared/sync-op.js';
import type { ItemRow, PostRow, Via } from './types.js';

/** A v1 post (or a stored v1 row) as a feed item: its id derived from author and seq, so every reader agrees. */
export function itemFromV1(p: PostRow): ItemRow {
  const id = v1PostId(fromB64u(p.author, 'author'), p.seq);
  return {
    key: `${p.author}:${id}`,
    author: p.author,
    id,
    kind: 'post',
    ts: p.ts,
    text: p.body,
    via: p.via,
    received: p.received,
    seq: p.seq,
    ...(p.delivery && { audience: { to: Object.keys(p.delivery) } }),
  };
}

/** The store key of an item: posts and replies by id, a reaction per (person, post), a profile and a device list per person. */
export function itemKey(author: string, it: SignedItem['item']): string {
  switch (it.kind) {
    case 'reaction':
      return `${author}:reaction:${refKey(it.to)}`;
    case 'profile':
    case 'devices':
      return `${author}:${it.kind}`;
    default:
      return `${author}:${it.id}`;
  }
}

/** What I know when a bundle arrives: me, my friends, and the stored items its items name (looked up first). */
export interface Known {
  me: string;
  /** The person a signer's key speaks for (one of their listed devices); absent: every key speaks for itself. */
  personOf?: (key: string) => string;
  /** Stored items by key (the posts the bundle's items answer or change, and current reactions and profiles). */
  items: Map<string, ItemRow>;
}

/**
 * A reply or reaction passed on by a post's author, when its writer wrote it on one of their devices, carries the
 * writer's signed device list: to a reader who is not the writer's friend, it says whose device signed it. Device key
 * → person, from the riding lists; `reader` absent only reads their layout (to know what to look up first). A reader
 * who holds that person's list (a friend of theirs) refuses a riding one older than it (`rollback`): a device removed
 * since cannot speak for them through an old list. A reader who holds none refuses one older than
 * MAX_RIDING_LIST_AGE_MS at `now` (`stale`), so such a device speaks to them for at most that long after its removal.
 */
function ridingDevices(bundle: readonly SignedItem[], reader?: { known: Known; now: number }): Map<string, string> {
  const out = new Map<string, string>();
  for (const s of bundle.slice(1)) {
    if (s.item.kind !== 'devices') continue;
    const bytes = fromB64u(s.item.list, 'device list');
    let list;
    try {
      const held = reader?.known.items.get(`${peerId(s.signer)}:devices`)?.list;
      list = reader ? verifyRidingDeviceList(bytes, s.signer, held ? decodeDeviceList(fromB64u(held, 'stored device list')) : undefined, reader.now) : decodeDeviceList(bytes);
    } catch (e) {
      if (reader) throw e;
      continue;
    }
    for (const d of list.devices) out.set(peerId(d.sigPub), peerId(s.signer));
  }
  return out;
}

/** The person a signer speaks for: as I know them, else as a riding device list says. */
const whoseKey = (personOf: (key: string) => string, riding: Map<string, string>) => (key: string): string => {
  const p = personOf(key);
  return p !== key ? p : (riding.get(key) ?? key);
};

/** Keys a bundle's items need looked up before `admit` can decide. */
export function keysNeeded(signed: readonly SignedItem[], personOf: (key: string) => string = (k) => k): string[] {
  const keys = new Set<string>();
  const riding = ridingDevices(signed);
  const whose = whoseKey(personOf, riding);
  for (const p of new Set(riding.values())) keys.add(`${p}:devices`); // the list I may hold of theirs, to compare
  for (const s of signed) {
    const author = whose(peerId(s.signer));
    const it = s.item;
    if ('to' in it) keys.add(refKey(it.to));
    keys.add(itemKey(author, it)); // its own earlier copy: a post or reply already held, the reaction or card it replaces
  }
  return [...keys];
}

/** What admitting a bundle changes: items to put, items to delete, and (for me as the post's author) what to pass on. */
/** The blobs an item's photos live in (full size and thumbnail). */
export const photoBlobIds = (item: Pick<ItemRow, 'photos'>): string[] => (item.photos ?? []).flatMap((p) => (p.thumb ? [p.id, p.thumb.id] : [p.id]));

export interface Admitted {
  put: ItemRow[];
  /** Image blob ids nothing shows any more (a deleted post's photos): the store drops them. */
  blobs: string[];
  /** Replies and reactions to my posts, with their signer's card if one came: to pass on to the post's audience. */
  forward: { post: ItemRow; signed: SignedItem; card?: SignedItem }[];
  /** An op from another device of mine, to apply here (client/core/device-sync.ts). */
  sync?: SyncOp;
  /** The main item's key and kind (for the stream row). */
  main: { key: string; kind: SignedItem['item']['kind'] | 'forward'; text?: string };
}

const row = (s: SignedItem, author: string, key: string, via: Via, received: number, seq: number, extra: Partial<ItemRow>): ItemRow => ({
  key,
  author,
  id: s.item.id,
  kind: s.item.kind as ItemRow['kind'],
  ts: s.item.ts,
  signed: toB64u(s.bytes),
  via,
  received,
  seq,
  ...extra,
});

/**
 * The rules for a bundle from friend `from` (every signature already verified). The first item is the bundle's
 * subject; a profile card may ride along. Items signed by `from` may be anything of theirs; items signed by someone
 * else must be a reply or reaction to a post of `from`'s that I hold (passed on by its author), plus the signer's
 * card and, if it was written on one of their devices, their device list. Throws the named BwError of the first item
 * refused; nothing is changed then.
 */
export function admit(bundle: readonly SignedItem[], from: string, k: Known, via: Via, received: number, seq: number): Admitted {
  const out: Admitted = { put: [], blobs: [], forward: [], main: { key: '', kind: 'post' } };
  const [subject, ...rest] = bundle;
  if (!subject) throw new BwError('bad-encoding', 'empty bundle');
  const riding = ridingDevices(bundle, { known: k, now: received });
  const whose = whoseKey(k.personOf ?? ((key) => key), riding);
  const personOf = (s: SignedItem): string => whose(peerId(s.signer));
  const subjectAuthor = personOf(subject);
  const passedOn = subjectAuthor !== from;
  let card: SignedItem | undefined;
  for (const extra of rest) {
    if (extra.item.kind === 'devices') {
      // Only with a passed-on item written on one of the devices it lists (read above); never stored.
      if (!passedOn || riding.get(peerId(subject.signer)) !== peerId(extra.signer)) throw new BwError('bad-frame', 'a device list rides along only with a passed-on item its writer wrote on one of those devices');
      continue;
    }
    if (extra.item.kind !== 'profile') throw new BwError('bad-frame', 'only a profile card or its writer’s device list may ride along with an item');
    if (personOf(extra) !== subjectAuthor) throw new BwError('not-author', "a profile card rides along only with its subject's own item");
    card = extra;
  }
  if (passedOn) {
    if (subject.item.kind !== 'reply' && subject.item.kind !== 'reaction') throw new BwError('bad-frame', `a ${subject.item.kind} cannot be passed on`);
    if (subject.item.to.a !== from) throw new BwError('unknown-post', "a friend passed on a reply to someone else's post");
  }
  const it = subject.item;
  const key = itemKey(subjectAuthor, it);
  out.main = { key, kind: passedOn ? 'forward' : it.kind, ...(it.kind === 'post' && { text: it.text }) };
  const target = 'to' in it ? k.items.get(refKey(it.to)) : undefined;
  switch (it.kind) {
    case 'post': {
      if (k.items.has(key)) throw new BwError('replay', 'that post is already held');
      out.put.push(row(subject, subjectAuthor, key, via, received, seq, { text: it.text, ...(it.photos && { photos: it.photos }) }));
      break;
    }
    case 'reply':
    case 'reaction': {
      if (!target || target.kind !== 'post' || target.deleted) throw new BwError('unknown-post', `a ${it.kind} to a post I do not have`);
      // Directly: to my post, from a friend it was sealed for; or the post's author's own, in their thread.
      // Passed on: only by the post's author (checked above).
      // From another device of mine: mine wherever it went (that device sent it on as I would have).
      const mine = from === k.me;
      if (!passedOn && !mine && target.author !== k.me && target.author !== from) throw new BwError('unknown-post', `a ${it.kind} goes to the post's author, who passes it on`);
      if (!passedOn && !mine && target.author === k.me && target.audience && !target.audience.to.includes(from)) throw new BwError('unknown-post', `a ${it.kind} to a post that was not sealed for them`);
      const prev = k.items.get(key);
      if (it.kind === 'reply') {
        if (prev) throw new BwError('replay', 'that reply is already held');
        out.put.push(row(subject, subjectAuthor, key, via, received, seq, { parent: target.key, text: it.text }));
      } else if (!prev || prev.ts < it.ts) {
        out.put.push(row(subject, subjectAuthor, key, via, received, seq, { parent: target.key, emoji: it.emoji }));
      }
      if (target.author === k.me && !mine) out.forward.push({ post: target, signed: subject, ...(card && { card }) });
      break;
    }
    case 'edit':
    case 'delete': {
      if (it.to.a !== subjectAuthor) throw new BwError('not-author', `an ${it.kind} for someone else's post`);
      if (!target) throw new BwError('unknown-post', `an ${it.kind} for a post I do not have`);
      if (target.kind !== 'post' && target.kind !== 'reply') throw new BwError('unknown-post', `an ${it.kind} for something that is not a post`);
      if (target.deleted) break; // a delete is final
      if (it.kind === 'edit') {
        if ((target.edited ?? target.ts) < it.ts) out.put.push({ ...target, text: it.text, edited: it.ts });
      } else {
        const { signed: _s, photos: _p, ...kept } = target;
        out.put.push({ ...kept, text: '', deleted: it.ts });
        out.blobs.push(...photoBlobIds(target));
      }
      break;
    }
    case 'profile':
      card = subject;
      break;
    case 'sync': {
      // From a device in my own list only: sealed by one of my devices (`from` is me), signed by one.
      if (subjectAuthor !== k.me || from !== k.me) throw new BwError('unknown-device', 'a sync item from a device not in my list');
      if (it.op.op === 'friend' && peerId(subject.signer) !== k.me) throw new BwError('not-author', 'a friend added by a device, not by the identity (only it befriends)');
      out.sync = it.op;
      break;
    }
    case 'devices': {
      // Signed by the identity it lists devices for (the signer, who is `from`); never older than the one I hold.
      // Not by one of its devices: only the identity speaks for which devices are its own.
      if (peerId(subject.signer) !== subjectAuthor) throw new BwError('not-author', 'a device list signed by a device, not by its identity');
      const prev = k.items.get(key);
      const last = prev?.list ? decodeDeviceList(fromB64u(prev.list, 'stored device list')) : undefined;
      const list = verifyDeviceList(fromB64u(it.list, 'device list'), subject.signer, last);
      if (last && list.version === last.version) break; // the same list again
      const added = last ? diffDevices(last, list).added.map((d) => ({ name: d.name, added: d.added })) : [];
      out.put.push(row(subject, subjectAuthor, key, via, received, seq, { list: it.list, ...(added.length && { addedDevices: added }) }));
      break;
    }
  }
  if (card) {
    const cardAuthor = personOf(card);
    const ckey = itemKey(cardAuthor, card.item);
    const prev = k.items.get(ckey);
    const c = card.item;
    if (c.kind === 'profile' && (!prev || prev.ts < c.ts)) {
      out.put.push(row(card, cardAuthor, ckey, via, received, seq, { name: c.name, bio: c.bio, ...(c.avatar && { avatar: c.avatar }) }));
    }
  }
  return out;
}
