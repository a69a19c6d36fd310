// Owns the core's shared running state (who I am, friends, who is online, what I hold) handed to its rule modules.
import { BwError } from '../../shared/errors.js';
import { fingerprint, peerId, safetyNumber, type Identity } from '../../shared/crypto/identity.js';
import { MAX_UNREAD, type Clock, type ClientStore, type ConnectRelay, type CreateMesh, type Logger, type Mesh, type RelayConnection, type RelayStatus } from './ports.js';
import type { FriendRow, PostRow } from './types.js';
import type { AudienceList } from './feed-view.js';
import type { ImageRef } from '../../shared/photo-ref.js';
import type { DeviceFrame } from '../../shared/protocol.js';
import { devicesOf, type DeviceView } from './devices.js';
import { devicesOfPerson, personOf } from './device-rows.js';

/** What a UI renders; replaced (never mutated) on every change. */
export interface ClientState {
  ready: boolean;
  /** `linked`: this is a linked device (it cannot link or remove devices, nor make the key backup: the primary does). */
  me?: { key: string; name: string; fingerprint: string; linked?: boolean };
  /** My devices as my list names them (this one marked `current`); empty until the list exists. */
  myDevices?: (DeviceView & { current: boolean })[];
  /**
   * `devices`: their device list as they last sent it (empty until it arrives); `addedDevices`: what that list added
   * to the one before it, shown as a notice (Signal's safety-number change), so no device joins unseen.
   */
  friends: (Pick<FriendRow, 'key' | 'name' | 'status'> & { online: boolean; direct: boolean; safetyNumber: string; devices: DeviceView[]; addedDevices?: DeviceView[] })[];
  blocked: string[];
  /** The plain post list (newest first, posts only): what the UI showed before the feed view model. */
  posts: (PostRow & { authorName: string; mine: boolean })[];
  /** Friends' posts received since the read mark (markRead). */
  unread: number;
  /** My audience lists (they never leave this device). */
  lists: AudienceList[];
  /** My own profile card as friends see it. */
  profile?: { name: string; bio: string; avatar?: ImageRef };
  relay: RelayStatus;
  relayDetail?: string;
  direct: number;
  /** Another tab of this browser has this identity open; this one waits and takes over when that one closes. */
  elsewhere?: boolean;
}

export interface Ctx {
  readonly store: ClientStore;
  readonly clock: Clock;
  readonly log: Logger;
  /** false: relay-only mode (no data channels, friends' offers go unanswered). */
  readonly direct: boolean;
  /** This device's name in my device list when it is first made ("Browser", "Terminal"). */
  readonly deviceName: string;
  me?: Me;
  /** My next post is numbered at least this (restoredSeqFloor after a restore, else 1). */
  seqFloor: number;
  /** Person rows: my friends, by identity key. */
  readonly friends: Map<string, FriendRow>;
  /** Device rows (client/core/device-rows.ts): friends' other devices and my own, by device key. */
  readonly devices: Map<string, FriendRow>;
  readonly online: Set<string>;
  /** `author:seq` of posts held, for every author in `seenOf` (loaded on their first envelope, see heldSeqs). */
  readonly seen: Set<string>;
  /** Authors whose held seqs are all in `seen`. */
  readonly seenOf: Set<string>;
  readonly blocked: Set<string>;
  /** Per friend, the receipt last sent them (each is sent once a session; a restart sends it again). */
  readonly receipted: Map<string, string>;
  relay?: RelayConnection;
  /** Opens a relay connection as some identity (mine, or an invite's drop key). */
  readonly connect: ConnectRelay;
  mesh?: Mesh;
  /** Makes data channels as some device key (mine once online, or a device being linked); absent: relay-only. */
  readonly createMesh?: CreateMesh;
  /** Waiting for a data channel to that key to open (client/core/link.ts sends a new device my state over it). */
  readonly opens: Map<string, () => void>;
  /** Links in progress (client/core/link.ts): a link frame from that device key goes to its handler. */
  readonly linking: Map<string, (frame: DeviceFrame) => void>;
  /** While the primary links a device: the new device's key to watch and the link's tag to present to the relay. */
  linkWatch?: { keys: string[]; present: string[] };
  /** Outbox retry: pending timer and next delay. */
  flush: { timer?: unknown; delay: number };
  /** Rebuilds the state and announces the change. */
  refresh(patch?: Partial<ClientState>): Promise<void>;
  /** Runs a handler after those already queued; a rejection is logged with its code. */
  serial(fn: () => Promise<void> | void): void;
  /** A key I watch came online or went offline (relay presence). */
  presence(key: string, online: boolean): Promise<void>;
  /** A friend's envelope was taken in (a post, reply, reaction, edit, delete, card or passed-on item; not a refused one). */
  onReceived(row: PostRow): void;
  /**
   * A friend's envelope is stored: the state takes it in (a new post at once, see withPost; anything else by a
   * build) and then it is announced with onReceived, unless it was refused.
   */
  took(row: PostRow): void;
  /** The read mark as the last state build read it (withPost counts a new post unread against it). */
  readUpTo?: number;
}

/**
 * This device's keys (what it signs and seals with, and logs in as), and on a linked device the identity it speaks
 * for (client/core/types.ts IdentityRow.identity).
 */
export type Me = Identity & { identity?: { sigPub: Uint8Array; dhPub: Uint8Array } };

export function requireMe(ctx: Pick<Ctx, 'me'>): Me {
  if (!ctx.me) throw new BwError('unauthenticated', 'create an identity first');
  return ctx.me;
}

/**
 * Makes `seen` hold every seq of `author` on this device (a replay check is exact): read from the store on that
 * author's first envelope of the session, not for all 100,000 posts at start.
 */
export async function heldSeqs(ctx: Pick<Ctx, 'store' | 'seen' | 'seenOf'>, author: string): Promise<void> {
  if (ctx.seenOf.has(author)) return;
  for (const seq of await ctx.store.seqsOf(author)) ctx.seen.add(`${author}:${seq}`);
  ctx.seenOf.add(author);
}

/** The person I am, as friends and the feed know me: my identity's key (on a linked device, the identity's, not its own). */
export const myKey = (ctx: Pick<Ctx, 'me'>): string => personKey(requireMe(ctx));
export const personKey = (me: Me): string => peerId(me.identity?.sigPub ?? me.sigPub);
/** This device's own key: what the relay, data channels and my send numbering know it by. */
export const myDeviceKey = (ctx: Pick<Ctx, 'me'>): string => peerId(requireMe(ctx).sigPub);

const FEED_LIMIT = 200;

/** The keys a person is reached at: their own and each of their devices'. */
const reachable = (ctx: Pick<Ctx, 'devices'>, person: string): string[] => [person, ...devicesOfPerson(ctx, person).map((r) => r.key)];

/** A friend's stored device list for the state; one unreadable row (verified when it came) is logged, not fatal. */
function storedDevices(ctx: Ctx, row: Parameters<typeof devicesOf>[0]): DeviceView[] {
  try {
    return devicesOf(row);
  } catch (e) {
    ctx.log.warn('[bw] a stored device list is unreadable', e);
    return [];
  }
}

/**
 * The state with a friend's new post, just stored, taken in without reading the store (what the next build would
 * read): into the plain list by ts, and unread if received after the read mark. Undefined when that cannot be
 * known here (not a new post, or no build has read the read mark yet): the caller builds the state instead.
 */
export function withPost(ctx: Pick<Ctx, 'friends' | 'devices' | 'me' | 'readUpTo'>, prev: ClientState, row: PostRow): ClientState | undefined {
  if ((row.kind !== undefined && row.kind !== 'post') || ctx.readUpTo === undefined || !ctx.me) return undefined;
  const mine = personKey(ctx.me);
  if (row.author === mine) return undefined;
  if (prev.posts.some((p) => p.author === row.author && p.seq === row.seq)) return prev; // a build read it already
  const unread = Math.min(prev.unread + (row.received > ctx.readUpTo ? 1 : 0), MAX_UNREAD);
  if (!row.body) return { ...prev, unread };
  const at = prev.posts.findIndex((p) => p.ts <= row.ts);
  const author = personOf(ctx, row.author);
  if (author === mine) return undefined; // from another device of mine: a build says so
  const entry = { ...row, mine: false, authorName: ctx.friends.get(author)?.name ?? author.slice(0, 8) };
  const posts = at < 0 ? [...prev.posts, entry] : [...prev.posts.slice(0, at), entry, ...prev.posts.slice(at)];
  return { ...prev, posts: posts.slice(0, FEED_LIMIT), unread };
}

/**
 * The state a UI sees: public data only (no key ever leaves the core through it). Its reads go to the store at once,
 * not one after another: a build runs behind every change, and with IndexedDB each read waits its turn in a queue.
 */
export async function buildState(ctx: Ctx, prev: ClientState, patch: Partial<ClientState>): Promise<ClientState> {
  const me = ctx.me;
  const mine = me ? personKey(me) : '';
  const friendKeys = [...ctx.friends.keys()];
  const [recent, card, unread, lists, deviceRows] = await Promise.all([
    ctx.store.recentPosts(FEED_LIMIT),
    mine ? ctx.store.getItem(`${mine}:profile`) : undefined,
    mine ? ctx.store.getMeta('readUpTo').then((readUpTo) => ((ctx.readUpTo = readUpTo ?? 0), ctx.store.countUnread(mine, readUpTo ?? 0))) : 0,
    ctx.store.listLists(),
    ctx.store.getItems([...friendKeys, ...(mine ? [mine] : [])].map((k) => `${k}:devices`)),
  ]);
  const thisDevice = me ? peerId(me.sigPub) : '';
  const myDevices = mine ? storedDevices(ctx, deviceRows[friendKeys.length]).map((d) => ({ ...d, current: d.key === thisDevice })) : [];
  const devices = new Map(friendKeys.map((k, i) => [k, deviceRows[i]]));
  const rows = recent.filter((r) => (!r.kind || r.kind === 'post') && r.body);
  const names = new Map([...ctx.friends.values()].map((f) => [f.key, f.name]));
  const friends = [...ctx.friends.values()].map((f) => {
    const keys = reachable(ctx, f.key);
    const list = devices.get(f.key);
    return {
      key: f.key,
      name: f.name,
      status: f.status,
      online: keys.some((k) => ctx.online.has(k)),
      direct: keys.some((k) => ctx.mesh?.isOpen(k) ?? false),
      safetyNumber: me ? safetyNumber(me.identity ?? me, f) : '',
      devices: storedDevices(ctx, list),
      ...(list?.addedDevices && { addedDevices: list.addedDevices }),
    };
  });
  return {
    ...prev,
    ...patch,
    me: me && { key: mine, name: me.name, fingerprint: fingerprint(me.identity ?? me), linked: !!me.identity },
    myDevices,
    friends,
    blocked: [...ctx.blocked],
    posts: rows.map((r) => {
      const author = personOf(ctx, r.author);
      return { ...r, mine: author === mine, authorName: author === mine ? (me?.name ?? '') : (names.get(author) ?? author.slice(0, 8)) };
    }),
    direct: friends.filter((f) => f.direct).length, // friends, not channels (a friend's phone and laptop are one; mine are none)
    unread,
    lists,
    ...(me && { profile: { name: card?.name ?? me.name, bio: card?.bio ?? '', ...(card?.avatar && { avatar: card.avatar }) } }),
  };
}
