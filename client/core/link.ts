// Owns linking a device over the relay: the new device's side (its code, the reveal, then the provision and state taken in) and the primary's (the answer, the short code, then the certificate, provision and state sent).
import { BwError, isBwError } from '../../shared/errors.js';
import { equalBytes, fromB64u, toB64u } from '../../shared/bytes.js';
import { peerId } from '../../shared/crypto/identity.js';
import { openItem, refKey } from '../../shared/crypto/content.js';
import { generateDevice, verifyDeviceList, type DeviceKeys, type DeviceList } from '../../shared/crypto/devices.js';
import { acceptReveal, answerLink, createLinkOffer, linkKey, linkTag, openProvision, openSyncChunk, readLinkOffer, revealLink, sealProvision, sealSync, syncManifest, type LinkSession, type Provision } from '../../shared/crypto/link.js';
import { DeviceFrameSchema, LIMITS, SignalDataSchema, type DeviceFrame } from '../../shared/protocol.js';
import { decodeLinkState, encodeLinkState, MAX_LINK_POSTS, type LinkState } from '../../shared/link-state.js';
import { parse } from '../../shared/validate.js';
import { myDeviceKey, myKey, requireMe, type Ctx, type Me } from './context.js';
import { isInitiator, type RelayConnection } from './ports.js';
import { sendChannel } from './delivery.js';
import { readChannelMessage } from './receive.js';
import { addMyDevice, shareDevices } from './devices.js';
import { applyDeviceList } from './device-rows.js';
import { watch } from './friends.js';
import { friendEntries, friendFromEntry } from './device-sync.js';
import { myCard } from './social.js';
import type { FriendRow, IdentityRow, ItemRow } from './types.js';

/** The primary's side once the new device has revealed itself: the code both screens show, and the user's answer. */
export interface PrimaryLink {
  /** "123 456": the user checks the new device shows the same before confirming. */
  sas: string;
  /** The new device's name as it gave it. */
  name: string;
  /** Certifies the new device (my list's next version, sent to friends) and sends it the provision and my state. */
  confirm(): Promise<void>;
  cancel(): void;
}

/** The new device's side: the code to show or paste, then the short code, then done once my state is stored. */
export interface NewLink {
  code: string;
  /** Resolves once this device waits on the relay for the answer (its code is worth giving from then on). */
  ready: Promise<void>;
  sas: Promise<string>;
  /** Resolves once the device's identity row and state are stored: start the core again to go online as it. */
  done: Promise<void>;
  cancel(): void;
}

/** Whether a relay signal is a link frame (routed here, before the friend rules: the two devices are not friends). */
export const isLinkFrame = (data: unknown): boolean => typeof data === 'object' && data !== null && String((data as { kind?: unknown }).kind).startsWith('link-');

/** A link frame from `from` to whichever link waits for that key; refused with a name if none does. */
export function onLinkFrame(ctx: Ctx, from: string, data: unknown): void {
  const frame = parse(DeviceFrameSchema, data, 'link frame');
  const handler = ctx.linking.get(from);
  if (!handler) throw new BwError('unknown-device', 'a link message from a device no link waits for');
  handler(frame);
}

/** Link ids answered this session: a code is good for one answer (readLinkOffer refuses it again). */
const used = new WeakMap<Ctx, Set<string>>();

/**
 * The primary reads a new device's code, answers it through the relay and waits for the reveal; then both screens
 * show the same short code. Nothing is certified or sent until `confirm`.
 */
export async function answerLinkCode(ctx: Ctx, code: string): Promise<PrimaryLink> {
  const me = requireMe(ctx);
  if (me.identity) throw new BwError('not-author', 'only the device that holds the identity links new devices');
  const seen = used.get(ctx) ?? new Set<string>();
  used.set(ctx, seen);
  const offer = readLinkOffer(code, ctx.clock.now(), seen);
  if (ctx.relay?.status !== 'connected') throw new BwError('unavailable', 'not connected to the relay');
  const r = answerLink(offer, { identity: me.sigPub, device: me.sigPub });
  const to = peerId(offer.device.sigPub);
  let got!: (f: DeviceFrame) => void;
  let stored!: (f: DeviceFrame) => void;
  const frames = new Promise<DeviceFrame>((resolve) => (got = resolve));
  // The new device's last word: it stored my state and lets my friends and devices leave posts for it.
  const wanted = new Promise<DeviceFrame>((resolve) => (stored = resolve));
  ctx.linking.set(to, (f) => (f.kind === 'link-want' ? stored(f) : got(f)));
  const done = async () => {
    ctx.linking.delete(to);
    ctx.linkWatch = undefined;
    // Best effort: the link's tag stops being presented at the next watch anyway (a login, a friend added).
    await watch(ctx).catch((e: unknown) => ctx.log.warn('[bw] linking: watch list not updated', isBwError(e) ? e.code : e));
  };
  try {
    // The new device accepts the link's tag, so it is visible to me; I watch its key, so my answer's reply reaches me.
    ctx.linkWatch = { keys: [to], present: [linkTag(offer.linkId)] };
    await patiently(ctx, () => watch(ctx));
    await ctx.relay.call('signal:send', { to, data: { kind: 'link-answer', a: toB64u(r.answer.bytes) } });
    seen.add(linkKey(offer.linkId)); // answered: the code is spent (one that could not reach its device is not)
    const reveal = await frames;
    if (reveal.kind !== 'link-reveal') throw new BwError('bad-frame', `expected the link's reveal, got ${reveal.kind}`);
    const session = acceptReveal(r, fromB64u(reveal.r, 'link reveal'));
    return {
      sas: session.sas,
      name: offer.device.name,
      confirm: async () => {
        try {
          await provision(ctx, session, to, wanted);
        } finally {
          await done();
        }
      },
      cancel: () => void done(),
    };
  } catch (e) {
    await done();
    throw isBwError(e, 'offline') ? new BwError('unavailable', 'the new device is not connected to the relay: make a new code on it') : e;
  }
}

/**
 * Runs a relay call again after a pause while the relay says this key is over its share (a post to a hundred
 * friends spends a couple of seconds of it): linking is rare and worth the wait. Other failures are thrown.
 */
async function patiently<T>(ctx: Ctx, call: () => Promise<T>, tries = 4): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await call();
    } catch (e) {
      if (!isBwError(e, 'rate-limited') || i >= tries) throw e;
      await new Promise((r) => ctx.clock.setTimeout(() => r(undefined), 1000 * i));
    }
  }
}

/** How long the primary waits for the new device to say it stored the state before telling friends anyway. */
const STORED_WAIT_MS = 20_000;
/** How long the primary waits for a data channel to the new device before sending the state through the relay. */
const DIRECT_WAIT_MS = 3_000;
/**
 * The largest state sent over the data channel: it is written in one go, and a browser's channel buffer holds
 * 16 MiB at most (its JSON frames are a third larger than the chunks); a larger state goes through the relay, whose
 * acknowledgements pace it.
 */
const DIRECT_MAX_BYTES = 4 * 1024 * 1024;

/**
 * After the user confirmed the code: the new device joins my list, then gets the provision (through the relay) and
 * my state in chunks: over a data channel when one opens (the new device is in my list now, so our meshes may
 * connect), else through the relay as signals, never mixed (chunks must arrive in order). Once it says it stored
 * them (its mailbox now takes posts from my friends and devices), friends are told of it, so what they seal to it
 * from then on is taken by the relay at once instead of waiting in their outboxes.
 */
async function provision(ctx: Ctx, session: LinkSession, to: string, stored: Promise<DeviceFrame>): Promise<void> {
  const list = await addMyDevice(ctx, { ...session.device, added: ctx.clock.now() }, { share: false });
  const state = encodeLinkState(await linkState(ctx));
  const card = await myCard(ctx);
  const relay = ctx.relay;
  if (!relay) throw new BwError('unavailable', 'not connected to the relay');
  const p = sealProvision(session, { list, profile: card.bytes, manifest: syncManifest(state.length) });
  await patiently(ctx, () => relay.call('signal:send', { to, data: { kind: 'link-provision', p: toB64u(p) } }));
  const chunks = sealSync(session, state);
  const direct = state.length <= DIRECT_MAX_BYTES && (await channelTo(ctx, to));
  for (const c of chunks) {
    const f = { kind: 'link-chunk', c: toB64u(c) } as const;
    if (!direct) await patiently(ctx, () => relay.call('signal:send', { to, data: f }));
    else if (!sendChannel(ctx, to, { t: 'link', f })) throw new BwError('unavailable', 'the direct connection to the new device closed while linking: link it again');
  }
  const ack = await within(ctx, stored, STORED_WAIT_MS);
  if (ack?.kind !== 'link-want' || ack.next !== chunks.length) ctx.log.warn('[bw] linking: the new device did not confirm it stored my state; friends are told of it now');
  await shareDevices(ctx); // friends learn of the new device (what the relay does not take now waits in the outbox)
}

/** Whether a data channel to `to` is open, after waiting up to DIRECT_WAIT_MS for one (never, in relay-only mode). */
async function channelTo(ctx: Ctx, to: string): Promise<boolean> {
  const mesh = ctx.mesh;
  if (!mesh) return false;
  if (isInitiator(myDeviceKey(ctx), to)) mesh.connect(to);
  if (mesh.isOpen(to)) return true;
  try {
    await within(ctx, new Promise<void>((opened) => ctx.opens.set(to, opened)), DIRECT_WAIT_MS);
  } finally {
    ctx.opens.delete(to);
  }
  return mesh.isOpen(to);
}

/** `p`'s value, or undefined once `ms` have passed on the core's clock. */
async function within<T>(ctx: Ctx, p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: unknown;
  try {
    return await Promise.race([p, new Promise<undefined>((r) => (timer = ctx.clock.setTimeout(() => r(undefined), ms)))]);
  } finally {
    ctx.clock.clearTimeout(timer);
  }
}

/** What a new device of mine needs (shared/link-state.ts): friends and their lists, blocks, my posts, my read mark. */
export async function linkState(ctx: Ctx): Promise<LinkState> {
  const mine = myKey(ctx);
  const friends = [...ctx.friends.values()].filter((f) => f.status === 'mutual');
  const posts = (await ctx.store.itemsByAuthor(mine, ['post'], MAX_LINK_POSTS)).filter((p) => p.signed && !p.deleted);
  return {
    v: 1,
    friends: await friendEntries(ctx, friends),
    blocked: (await ctx.store.listBlocked()).slice(0, 1000).map((b) => ({ key: b.key, at: b.at })),
    mine: posts.slice(0, MAX_LINK_POSTS).map((p) => ({ item: p.signed!, ...(p.audience?.list && { list: p.audience.list }), ...(p.audience && { to: p.audience.to.slice(0, 1000) }) })),
    readUpTo: (await ctx.store.getMeta('readUpTo')) ?? 0,
  };
}

/**
 * The new device: makes its own keys and a one-time code (shown as a QR code or pasted on the primary), waits on the
 * relay for the primary's answer, reveals itself, and takes in the provision and the state that follow.
 */
export function startLinking(ctx: Ctx, opts: { name: string; relay: string }): NewLink {
  if (ctx.me) throw new BwError('bad-frame', 'this device already has an identity');
  const dev = generateDevice();
  const start = createLinkOffer(dev, { name: opts.name, relay: opts.relay, now: ctx.clock.now() });
  const tag = linkTag(start.offer.linkId);
  let sasOk!: (s: string) => void;
  let sasFail!: (e: unknown) => void;
  let doneOk!: () => void;
  let doneFail!: (e: unknown) => void;
  let readyOk!: () => void;
  let readyFail!: (e: unknown) => void;
  const ready = new Promise<void>((a, b) => ((readyOk = a), (readyFail = b)));
  ready.catch(() => undefined);
  const sas = new Promise<string>((a, b) => ((sasOk = a), (sasFail = b)));
  const done = new Promise<void>((a, b) => ((doneOk = a), (doneFail = b)));
  sas.catch(() => undefined);
  let session: LinkSession | undefined;
  let prov: Provision | undefined;
  const chunks: Uint8Array[] = [];
  let over = false;
  const fail = (e: unknown) => {
    if (over) return;
    over = true;
    conn.close();
    mesh?.close();
    readyFail(e);
    sasFail(e);
    doneFail(e);
  };
  const onFrame = async (from: string, data: unknown): Promise<void> => {
    const frame = parse(DeviceFrameSchema, data, 'link frame');
    if (frame.kind === 'link-answer') {
      if (session) throw new BwError('link-used', 'this code was already answered');
      const out = revealLink(start, dev, fromB64u(frame.a, 'link answer'));
      if (peerId(out.session.answerer) !== from) throw new BwError('unknown-device', 'the answer names another device than the one that sent it');
      session = out.session;
      await conn.call('signal:send', { to: from, data: { kind: 'link-reveal', r: toB64u(out.reveal) } });
      sasOk(session.sas);
      return;
    }
    if (!session || from !== peerId(session.answerer)) throw new BwError('unknown-device', 'a link message from a device that did not answer this code');
    if (frame.kind === 'link-provision') {
      prov = openProvision(session, fromB64u(frame.p, 'link provision'));
      if (mesh && isInitiator(peerId(dev.sigPub), from)) mesh.connect(from); // it lists me now: it takes my offer
    } else if (frame.kind === 'link-chunk') {
      if (!prov) throw new BwError('out-of-order', 'a sync chunk before the provision');
      chunks.push(openSyncChunk(session, prov, fromB64u(frame.c, 'link chunk'), chunks.length));
    } else {
      throw new BwError('bad-frame', `a ${frame.kind} does not go to a new device`);
    }
    if (prov && chunks.length === prov.manifest.chunks) {
      const tags = await adopt(ctx, dev, session, prov, joined(chunks, prov.manifest.bytes));
      // Stored: linked. Before the primary tells anyone of me, my mailbox takes posts from my friends and devices
      // (else the primary tells them after a wait, and what they send me waits in their outboxes until I am online).
      try {
        await conn.call('mailbox:allow', { tags: tags.slice(0, LIMITS.maxWatchKeys) });
        await conn.call('signal:send', { to: from, data: { kind: 'link-want', next: chunks.length } });
      } catch (e) {
        if (!isBwError(e)) throw e;
        ctx.log.warn('[bw] linking: stored, but the primary was not told so', e.code);
      }
      over = true;
      conn.close();
      mesh?.close();
      doneOk();
    }
  };
  // Frames are taken one at a time; a bad one is refused with its name and the link fails (nothing is stored).
  let queue = Promise.resolve();
  const take = (from: string, frame: unknown) => void (queue = queue.then(() => onFrame(from, frame)).catch(fail));
  // My state may come over a data channel from the device linking me, once it lists me (client/core/link.ts
  // provision); only its link chunks are read there (what else it sends is for when I am online as myself).
  const mesh = ctx.createMesh?.(peerId(dev.sigPub), {
    signal: (to, signal, lost) => void conn.call('signal:send', { to, data: { kind: 'sdp', signal } }).catch(() => lost()),
    open: () => {},
    close: () => {},
    message: (from, text) => {
      try {
        const msg = readChannelMessage(text);
        if (msg.t === 'link') take(from, msg.f);
      } catch (e) {
        fail(e);
      }
    },
  });
  const conn: RelayConnection = ctx.connect(dev, {
    status: (s, detail) => {
      if (s === 'offline' && detail) fail(new BwError('unavailable', detail));
    },
    authenticated: (ice) => {
      mesh?.setIceServers(ice);
      void conn.call('presence:watch', { keys: [], accept: [tag], present: [] }).then(() => readyOk(), fail);
    },
    signal: (from, data) => {
      if (isLinkFrame(data)) return take(from, data);
      // The data channel offer or answer of the device linking me; anything else is not part of the link.
      const sdp = session && from === peerId(session.answerer) && mesh ? sdpOf(data) : undefined;
      if (sdp === undefined) return ctx.log.warn('[bw] linking: a signal that is not part of the link, ignored');
      mesh!.signal(from, sdp);
    },
    presence: () => {},
    mailbox: () => {},
  });
  return { code: start.code, ready, sas, done, cancel: () => fail(new BwError('unavailable', 'linking was cancelled')) };
}

/** A relay signal's data channel offer, answer or candidate, if that is what it is. */
function sdpOf(data: unknown): unknown {
  try {
    const msg = parse(SignalDataSchema, data, 'signal');
    return msg.kind === 'sdp' ? msg.signal : undefined;
  } catch {
    return undefined;
  }
}

function joined(chunks: readonly Uint8Array[], bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let at = 0;
  for (const c of chunks) {
    if (at + c.length > bytes) throw new BwError('bad-link', 'the sync chunks hold more than the manifest says');
    out.set(c, at);
    at += c.length;
  }
  if (at !== bytes) throw new BwError('bad-link', 'the sync chunks hold less than the manifest says');
  return out;
}

/**
 * Stores what the primary sent, the identity row last (a link cut short leaves no identity, so it can simply be run
 * again): friends with pairwise keys of this device's own, their device lists (verified again), my list and card,
 * my posts (each verified as signed by the identity), blocks and my read mark. Returns the mailbox allow tags of the
 * friends and devices now held.
 */
async function adopt(ctx: Ctx, dev: DeviceKeys, session: LinkSession, prov: Provision, bytes: Uint8Array): Promise<string[]> {
  const state = decodeLinkState(bytes);
  const { store } = ctx;
  const now = ctx.clock.now();
  const identity = session.identity;
  const mine = peerId(identity);
  const primary = prov.list.devices.find((d) => equalBytes(d.sigPub, identity));
  if (!primary) throw new BwError('bad-device-list', 'the provisioned list does not hold the identity’s own device');
  const profile = prov.profile.item;
  if (!equalBytes(prov.profile.signer, identity) || profile.kind !== 'profile') throw new BwError('not-author', 'the provisioned card is not the identity’s');
  const me: Me = { name: profile.name, sigPub: dev.sigPub, sigSecret: dev.sigSecret, dhPub: dev.dhPub, dhSecret: dev.dhSecret, identity: { sigPub: identity, dhPub: primary.dhPub } };
  const friends: FriendRow[] = [];
  const items: ItemRow[] = [];
  const lists: [FriendRow, DeviceList][] = [];
  for (const f of state.friends) {
    const { row, devices } = friendFromEntry(me, f, now);
    friends.push(row);
    if (!devices) continue;
    items.push(devices.item);
    lists.push([row, devices.list]);
  }
  for (const p of state.mine) {
    const s = openItem(fromB64u(p.item, 'my post'));
    if (!equalBytes(s.signer, identity)) throw new BwError('not-author', 'a post in the link state not signed by me');
    const it = s.item;
    if (it.kind !== 'post' && it.kind !== 'reply') continue;
    items.push({
      key: `${mine}:${it.id}`, author: mine, id: it.id, kind: it.kind, ts: it.ts, text: it.text, signed: p.item, via: 'self', received: it.ts,
      ...(it.kind === 'post' && it.photos && { photos: it.photos }),
      ...(it.kind === 'reply' && { parent: refKey(it.to) }),
      ...(p.to && { audience: { ...(p.list && { list: p.list }), to: p.to } }),
    });
  }
  items.push({ key: `${mine}:profile`, author: mine, id: profile.id, kind: 'profile', ts: profile.ts, name: profile.name, bio: profile.bio, ...(profile.avatar && { avatar: profile.avatar }), signed: toB64u(prov.profile.bytes), via: 'self', received: now });
  // My list as the primary signed it (its item is the primary's to send; this device only reads it).
  items.push({ key: `${mine}:devices`, author: mine, id: `link-${toB64u(session.linkId)}`, kind: 'devices', ts: now, list: toB64u(prov.list.bytes), via: 'self', received: now });
  await store.putBatch({ friends, items });
  for (const b of state.blocked) await store.putBlocked(b);
  await store.putMeta('readUpTo', state.readUpTo);
  // Device rows (friends' other devices, and mine: the primary among them) are made by the rules friends use.
  const held = { ...ctx, me, friends: new Map(friends.map((f) => [f.key, f])), devices: new Map<string, FriendRow>(), relay: undefined };
  for (const [row, list] of lists) await applyDeviceList(held, row, list);
  await applyDeviceList(held, { key: mine, sigPub: identity }, prov.list);
  const row: IdentityRow = { id: 'me', ...me, created: now };
  await store.putIdentity(row);
  return [...held.friends.values(), ...held.devices.values()].flatMap((r) => (r.mailboxAllow ? [r.mailboxAllow] : []));
}
