// Device linking: the fixed vectors (test/vectors/link-v1.json), the SAS on both sides and under a man in the middle, and every refusal with its code.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import {
  acceptReveal,
  answerLink,
  createLinkOffer,
  linkKey,
  linkLink,
  linkTag,
  LINK_CHUNK_BYTES,
  LINK_PREFIX,
  MAX_LINK_CODE_CHARS,
  MAX_LINK_TTL_MS,
  openProvision,
  openSyncChunk,
  readLinkOffer,
  revealLink,
  sealProvision,
  sealSync,
  syncManifest,
  type LinkSession,
  type LinkStart,
} from '../../shared/crypto/link.js';
import { addDevice, deviceEntry, deviceFromIdentity, generateDevice, signDeviceList, type DeviceKeys, type DeviceList } from '../../shared/crypto/devices.js';
import { generateIdentity } from '../../shared/crypto/identity.js';
import { newItemId, signItem } from '../../shared/crypto/content.js';
import { concat, fromB64u, toB64u } from '../../shared/bytes.js';
import { BwError } from '../../shared/errors.js';
import { DEVICE_LIMITS, DeviceFrameSchema, LIMITS } from '../../shared/protocol.js';
import { parse } from '../../shared/validate.js';
import { fromHex, queueRng, seqBytes, throwsCode, toHex, Xorshift } from './helpers.js';

interface LinkVectors {
  now: number;
  ttlMs: number;
  name: string;
  relay: string;
  linkId: string;
  newEphSecret: string;
  nonce: string;
  oldEphSecret: string;
  offer: string;
  code: string;
  answer: string;
  reveal: string;
  channelKey: string;
  sas: string;
  linkTag: string;
  provisionList: string;
  listIssued: number;
  profileItem: string;
  syncBytes: number;
  provisionNonce: string;
  provision: string;
  chunkNonces: string[];
  chunks: string[];
}

const read = (f: string) => JSON.parse(readFileSync(new URL(`../../../test/vectors/${f}`, import.meta.url), 'utf8'));
const lv = read('link-v1.json') as LinkVectors;
const dv = read('device-list-v1.json') as { identitySecrets: [string, string]; keys: { phone: [string, string, string]; identity: [string] } };

describe('fixed vectors (test/vectors/link-v1.json, computed apart from @noble)', () => {
  const ann = generateIdentity('Ann', queueRng(...dv.identitySecrets.map(fromHex)));
  const first = deviceFromIdentity(ann, queueRng(fromHex(dv.keys.identity[0])));
  const phone = generateDevice(queueRng(...dv.keys.phone.map(fromHex)));
  const start = createLinkOffer(phone, { name: lv.name, relay: lv.relay, now: lv.now, ttlMs: lv.ttlMs }, queueRng(fromHex(lv.linkId), fromHex(lv.newEphSecret), fromHex(lv.nonce)));
  const offer = readLinkOffer(start.code, lv.now);
  const r = answerLink(offer, { identity: ann.sigPub, device: first.sigPub }, queueRng(fromHex(lv.oldEphSecret)));
  const { reveal, session: sNew } = revealLink(start, phone, r.answer.bytes);
  const sOld = acceptReveal(r, reveal);
  test('offer, code, answer, reveal: byte for byte', () => {
    assert.equal(toHex(start.offer.bytes), lv.offer, 'offer');
    assert.equal(start.code, lv.code, 'code');
    assert.equal(toHex(r.answer.bytes), lv.answer, 'answer');
    assert.equal(toHex(reveal), lv.reveal, 'reveal');
    assert.equal(linkTag(offer.linkId), lv.linkTag, 'relay tag');
  });
  test('channel key and SAS, the same on both sides', () => {
    assert.equal(toHex(sNew.key), lv.channelKey, 'new device key');
    assert.equal(toHex(sOld.key), lv.channelKey, 'existing device key');
    assert.equal(sNew.sas, lv.sas, 'new device SAS');
    assert.equal(sOld.sas, lv.sas, 'existing device SAS');
  });
  test('provision and sync chunks: byte for byte, and they open', () => {
    const v1 = signDeviceList(ann, { version: 1, issued: 1700000000000, devices: [deviceEntry(ann.sigPub, first, 'Laptop', 1700000000000)] });
    const list = addDevice(ann, v1, { ...sOld.device, added: lv.listIssued }, lv.listIssued);
    assert.equal(toHex(list.bytes), lv.provisionList, 'device list');
    const profile = signItem(ann, { kind: 'profile', id: toB64u(seqBytes(16, 0x70)), ts: lv.now, name: 'Ann', bio: 'hello' });
    assert.equal(toHex(profile.bytes), lv.profileItem, 'profile item');
    const sync = Uint8Array.from({ length: lv.syncBytes }, (_, i) => (i * 31 + 7) & 0xff);
    const prov = sealProvision(sOld, { list, profile: profile.bytes, manifest: syncManifest(sync.length) }, queueRng(fromHex(lv.provisionNonce)));
    assert.equal(toHex(prov), lv.provision, 'provision');
    const chunks = sealSync(sOld, sync, queueRng(...lv.chunkNonces.map(fromHex)));
    assert.deepEqual(chunks.map(toHex), lv.chunks, 'chunks');
    const p = openProvision(sNew, fromHex(lv.provision));
    assert.equal(p.list.version, 2);
    assert.deepEqual(p.manifest, { chunks: 2, bytes: lv.syncBytes });
    const got = concat(...lv.chunks.map((c, i) => openSyncChunk(sNew, p, fromHex(c), i)));
    assert.equal(toHex(got), toHex(sync), 'sync stream');
  });
  test('the offer layout table', () => {
    const b = fromHex(lv.offer);
    assert.equal(b[0], 1);
    assert.equal(toHex(b.subarray(1, 17)), lv.linkId);
    assert.equal(toHex(b.subarray(105, 137)), toHex(phone.sigPub));
    assert.equal(b.length, 170 + new TextEncoder().encode(lv.name).length + 1 + lv.relay.length);
  });
});

// ---- fixtures: Ann has a laptop (the identity's own keys) and links a phone ----------------------------

const NOW = 1_800_000_000_000;
const RELAY = 'wss://relay.example';
const ann = generateIdentity('Ann');
const laptop = deviceFromIdentity(ann);
const v1 = signDeviceList(ann, { version: 1, issued: NOW - 1000, devices: [deviceEntry(ann.sigPub, laptop, 'laptop', NOW - 1000)] });
const annProfile = signItem(ann, { kind: 'profile', id: newItemId(), ts: NOW, name: 'Ann', bio: '' }).bytes;

interface Linked {
  start: LinkStart;
  phone: DeviceKeys;
  newSide: LinkSession;
  oldSide: LinkSession;
  list: DeviceList;
}

/** A full honest link up to both sessions and the new list. */
function link(name = 'phone'): Linked {
  const phone = generateDevice();
  const start = createLinkOffer(phone, { name, relay: RELAY, now: NOW });
  const r = answerLink(readLinkOffer(start.code, NOW), { identity: ann.sigPub, device: laptop.sigPub });
  const { reveal, session: newSide } = revealLink(start, phone, r.answer.bytes);
  const oldSide = acceptReveal(r, reveal);
  return { start, phone, newSide, oldSide, list: addDevice(ann, v1, { ...oldSide.device, added: NOW }, NOW) };
}

describe('an honest link', () => {
  test('both screens show the same 6 digits; the whole state arrives in order', () => {
    const l = link();
    assert.match(l.newSide.sas, /^\d{3} \d{3}$/);
    assert.equal(l.newSide.sas, l.oldSide.sas);
    const sync = new Xorshift(7).bytes(3 * LINK_CHUNK_BYTES + 5);
    const prov = sealProvision(l.oldSide, { list: l.list, profile: annProfile, manifest: syncManifest(sync.length) });
    const p = openProvision(l.newSide, prov);
    assert.equal(p.manifest.chunks, 4);
    assert.deepEqual(p.list.devices.map((d) => d.name).sort(), ['laptop', 'phone']);
    const parts = sealSync(l.oldSide, sync).map((c, i) => openSyncChunk(l.newSide, p, c, i));
    assert.equal(toHex(concat(...parts)), toHex(sync));
  });
  test('an empty state is zero chunks', () => {
    const l = link();
    const p = openProvision(l.newSide, sealProvision(l.oldSide, { list: l.list, profile: annProfile, manifest: syncManifest(0) }));
    assert.deepEqual(p.manifest, { chunks: 0, bytes: 0 });
    assert.deepEqual(sealSync(l.oldSide, new Uint8Array(0)), []);
  });
  test('the longest offer (32 four-byte characters of name, a 255-byte relay URL) stays within MAX_LINK_CODE_CHARS', () => {
    const relay = `wss://${'r'.repeat(255 - 'wss://'.length)}`;
    const { code } = createLinkOffer(generateDevice(), { name: '😀'.repeat(32), relay, now: NOW });
    assert.ok(code.length <= MAX_LINK_CODE_CHARS, `${code.length}`);
    assert.equal(readLinkOffer(code, NOW).relay, relay);
  });
  test('a pasted link works like the bare code', () => {
    const { code } = createLinkOffer(generateDevice(), { name: 'p', relay: RELAY, now: NOW });
    assert.equal(readLinkOffer(`  https://bw.example/#link=${code}\n`, NOW).relay, RELAY);
    const link = linkLink(code, 'https://bw.example/app/');
    assert.equal(link, `https://bw.example/app/#link=${code}`, 'the link a QR code holds opens the page with the code in its fragment');
    assert.equal(new URLSearchParams(new URL(link).hash.slice(1)).get('link'), code, 'and the page reads it back whole');
  });
});

describe('a man in the middle', () => {
  const mallory = generateIdentity('Mallory');
  const mDev = generateDevice();
  test('swapping the pasted code (his own offer to the laptop, his own answer to the phone): the screens differ', () => {
    const phone = generateDevice();
    const start = createLinkOffer(phone, { name: 'phone', relay: RELAY, now: NOW });
    // Mallory copies the phone's link id, so nothing but the keys tells the two links apart.
    const mStart = createLinkOffer(mDev, { name: 'phone', relay: RELAY, now: NOW }, queueRng(start.offer.linkId, generateDevice().sigSecret, seqBytes(32, 1)));
    // The laptop reads Mallory's code and answers it; Mallory answers the phone's real offer himself.
    const toLaptop = answerLink(readLinkOffer(mStart.code, NOW), { identity: ann.sigPub, device: laptop.sigPub });
    const toPhone = answerLink(readLinkOffer(start.code, NOW), { identity: ann.sigPub, device: laptop.sigPub });
    const phoneSide = revealLink(start, phone, toPhone.answer.bytes);
    const mToLaptop = revealLink(mStart, mDev, toLaptop.answer.bytes);
    const laptopSide = acceptReveal(toLaptop, mToLaptop.reveal);
    assert.notEqual(phoneSide.session.sas, laptopSide.sas);
    assert.notEqual(toHex(phoneSide.session.key), toHex(laptopSide.key));
    // Mallory shares a key with each, but not the one between them: what the laptop seals, the phone cannot open.
    const prov = sealProvision(laptopSide, { list: addDevice(ann, v1, { ...laptopSide.device, added: NOW }, NOW), profile: annProfile, manifest: syncManifest(0) });
    throwsCode(() => openProvision(phoneSide.session, prov), 'bad-ciphertext');
  });
  test('passing the offer on untouched but answering the phone himself: the screens differ', () => {
    const phone = generateDevice();
    const start = createLinkOffer(phone, { name: 'phone', relay: RELAY, now: NOW });
    const real = answerLink(readLinkOffer(start.code, NOW), { identity: ann.sigPub, device: laptop.sigPub });
    const fake = answerLink(readLinkOffer(start.code, NOW), { identity: mallory.sigPub, device: mDev.sigPub });
    const phoneSide = revealLink(start, phone, fake.answer.bytes);
    // He can pass the phone's reveal on to the laptop, but its binding names his identity: refused.
    throwsCode(() => acceptReveal(real, phoneSide.reveal), 'bad-signature');
    // Even with an honest binding, the laptop's key and SAS are not the phone's.
    const honest = revealLink(start, phone, real.answer.bytes);
    assert.notEqual(honest.session.sas, phoneSide.session.sas);
  });
  test('a changed reveal nonce does not open the commitment: bad-link', () => {
    const phone = generateDevice();
    const start = createLinkOffer(phone, { name: 'phone', relay: RELAY, now: NOW });
    const r = answerLink(readLinkOffer(start.code, NOW), { identity: ann.sigPub, device: laptop.sigPub });
    const { reveal } = revealLink(start, phone, r.answer.bytes);
    const x = reveal.slice();
    x[20]! ^= 1;
    throwsCode(() => acceptReveal(r, x), 'bad-link');
  });
});

describe('refusals, each with its code', () => {
  const mallory = generateIdentity('Mallory');
  test('expired: a code past its expiry', () => {
    const { code } = createLinkOffer(generateDevice(), { name: 'p', relay: RELAY, now: NOW, ttlMs: 1000 });
    assert.ok(readLinkOffer(code, NOW + 999));
    throwsCode(() => readLinkOffer(code, NOW + 1000), 'expired');
  });
  test('bad-link: a code claiming to live longer than any may', () => {
    const { code } = createLinkOffer(generateDevice(), { name: 'p', relay: RELAY, now: NOW + MAX_LINK_TTL_MS, ttlMs: MAX_LINK_TTL_MS });
    throwsCode(() => readLinkOffer(code, NOW - 6 * 60 * 1000), 'bad-link');
    throwsCode(() => createLinkOffer(generateDevice(), { name: 'p', relay: RELAY, now: NOW, ttlMs: MAX_LINK_TTL_MS + 1 }), 'bad-link');
  });
  test('link-used: the laptop reads a code it already answered; the phone takes a second answer', () => {
    const l = link();
    const used = new Set([linkKey(l.start.offer.linkId)]);
    throwsCode(() => readLinkOffer(l.start.code, NOW, used), 'link-used');
    const again = answerLink(readLinkOffer(l.start.code, NOW), { identity: ann.sigPub, device: laptop.sigPub });
    throwsCode(() => revealLink(l.start, l.phone, again.answer.bytes, used), 'link-used');
  });
  test('bad-link, bad-version, oversize: malformed codes', () => {
    const { code } = createLinkOffer(generateDevice(), { name: 'p', relay: RELAY, now: NOW });
    const bytes = fromB64u(code.slice(LINK_PREFIX.length));
    const recode = (b: Uint8Array) => LINK_PREFIX + toB64u(b);
    throwsCode(() => readLinkOffer(code.replace('bwlink1.', 'bw1.'), NOW), 'bad-link');
    throwsCode(() => readLinkOffer(`${code}*`, NOW), 'bad-link');
    throwsCode(() => readLinkOffer(code.slice(0, -4), NOW), 'bad-link');
    throwsCode(() => readLinkOffer(recode(concat(bytes, Uint8Array.of(0))), NOW), 'bad-link');
    throwsCode(() => readLinkOffer(recode(bytes.subarray(0, 100)), NOW), 'bad-link');
    const v2 = bytes.slice();
    v2[0] = 2;
    throwsCode(() => readLinkOffer(recode(v2), NOW), 'bad-version');
    throwsCode(() => readLinkOffer(LINK_PREFIX + 'A'.repeat(MAX_LINK_CODE_CHARS), NOW), 'oversize');
    throwsCode(() => readLinkOffer(recode(concat(Uint8Array.of(1), new Uint8Array(600))), NOW), 'oversize');
    const badName = bytes.slice();
    badName[170] = 0x0a; // the 1-byte name "p" becomes a newline
    throwsCode(() => readLinkOffer(recode(badName), NOW), 'bad-link');
    throwsCode(() => createLinkOffer(generateDevice(), { name: 'p', relay: 'ftp://x', now: NOW }), 'bad-link');
  });
  test('bad-link: an answer or a reveal for another link, or of the wrong length', () => {
    const a = link();
    const b = link();
    const rB = answerLink(b.start.offer, { identity: ann.sigPub, device: laptop.sigPub });
    throwsCode(() => revealLink(a.start, a.phone, rB.answer.bytes), 'bad-link');
    throwsCode(() => revealLink(a.start, a.phone, rB.answer.bytes.subarray(0, 100)), 'bad-link');
    const rA = answerLink(a.start.offer, { identity: ann.sigPub, device: laptop.sigPub });
    const revB = revealLink(b.start, b.phone, rB.answer.bytes).reveal;
    throwsCode(() => acceptReveal(rA, revB), 'bad-link');
  });
  test('bad-link: a low-order ephemeral key (no shared secret)', () => {
    const start = createLinkOffer(generateDevice(), { name: 'p', relay: RELAY, now: NOW });
    const r = answerLink(start.offer, { identity: ann.sigPub, device: laptop.sigPub });
    const zeroEph = concat(r.answer.bytes.subarray(0, 17), new Uint8Array(32), r.answer.bytes.subarray(49));
    throwsCode(() => revealLink(start, generateDevice(), zeroEph), 'bad-link');
  });
  test('bad-device-list: a provision whose list lacks the new device, or holds it with other keys', () => {
    const l = link();
    throwsCode(() => sealProvision(l.oldSide, { list: v1, profile: annProfile, manifest: syncManifest(0) }), 'bad-device-list');
    const other = addDevice(ann, v1, deviceEntry(ann.sigPub, generateDevice(), 'phone', NOW), NOW);
    throwsCode(() => sealProvision(l.oldSide, { list: other, profile: annProfile, manifest: syncManifest(0) }), 'bad-device-list');
    // Sealed by hand past that check: the phone refuses it too.
    const forged = sealUnchecked(l.oldSide, other.bytes, annProfile, 0);
    throwsCode(() => openProvision(l.newSide, forged), 'bad-device-list');
  });
  test('bad-signature: a provisioned list not signed by the identity', () => {
    const l = link();
    const body = l.list.bytes.slice(0, -64);
    const forged = concat(body, new Uint8Array(64).fill(7));
    throwsCode(() => openProvision(l.newSide, sealUnchecked(l.oldSide, forged, annProfile, 0)), 'bad-signature');
  });
  test('not-author: a profile card not signed by the identity', () => {
    const l = link();
    const card = signItem(mallory, { kind: 'profile', id: newItemId(), ts: NOW, name: 'Ann', bio: '' }).bytes;
    throwsCode(() => openProvision(l.newSide, sealUnchecked(l.oldSide, l.list.bytes, card, 0)), 'not-author');
  });
  test('unknown-device: a provision or a chunk from a device that is not in the list', () => {
    const l = link();
    const stranger = generateDevice();
    // The channel key is right, the sender field is not the device that answered / not in the list.
    const asStranger: LinkSession = { ...l.oldSide, answerer: stranger.sigPub };
    throwsCode(() => openProvision(l.newSide, sealUnchecked(asStranger, l.list.bytes, annProfile, 0)), 'unknown-device');
    const p = openProvision(l.newSide, sealProvision(l.oldSide, { list: l.list, profile: annProfile, manifest: syncManifest(10) }));
    const [chunk] = sealSync(asStranger, new Uint8Array(10));
    throwsCode(() => openSyncChunk(l.newSide, p, chunk!, 0), 'unknown-device');
  });
  test('out-of-order: an authentic chunk that is not the next; the next one still opens afterwards', () => {
    const l = link();
    const sync = new Uint8Array(2 * LINK_CHUNK_BYTES + 1).fill(3);
    const p = openProvision(l.newSide, sealProvision(l.oldSide, { list: l.list, profile: annProfile, manifest: syncManifest(sync.length) }));
    const chunks = sealSync(l.oldSide, sync);
    assert.equal(openSyncChunk(l.newSide, p, chunks[0]!, 0).length, LINK_CHUNK_BYTES);
    throwsCode(() => openSyncChunk(l.newSide, p, chunks[2]!, 1), 'out-of-order');
    throwsCode(() => openSyncChunk(l.newSide, p, chunks[0]!, 1), 'out-of-order'); // a replayed one, too
    assert.equal(openSyncChunk(l.newSide, p, chunks[1]!, 1).length, LINK_CHUNK_BYTES);
    assert.equal(openSyncChunk(l.newSide, p, chunks[2]!, 2).length, 1);
  });
  test('bad-ciphertext: a changed byte of a chunk or its header, or another link\'s key', () => {
    const l = link();
    const p = openProvision(l.newSide, sealProvision(l.oldSide, { list: l.list, profile: annProfile, manifest: syncManifest(100) }));
    const [chunk] = sealSync(l.oldSide, new Uint8Array(100));
    for (const at of [52, 57, 60, 90, chunk!.length - 1]) {
      const x = chunk!.slice();
      x[at]! ^= 1;
      throwsCode(() => openSyncChunk(l.newSide, p, x, 0), 'bad-ciphertext', `byte ${at}`);
    }
    const other = link();
    throwsCode(() => openSyncChunk({ ...l.newSide, key: other.newSide.key }, p, chunk!, 0), 'bad-ciphertext');
  });
  test('bad-link: a chunk of another link, a provision passed off as a chunk, a total other than the manifest\'s', () => {
    const l = link();
    const other = link();
    const p = openProvision(l.newSide, sealProvision(l.oldSide, { list: l.list, profile: annProfile, manifest: syncManifest(100) }));
    throwsCode(() => openSyncChunk(l.newSide, p, sealSync(other.oldSide, new Uint8Array(100))[0]!, 0), 'bad-link');
    const prov = sealProvision(l.oldSide, { list: l.list, profile: annProfile, manifest: syncManifest(100) });
    throwsCode(() => openSyncChunk(l.newSide, p, prov, 0), 'bad-link');
    throwsCode(() => openSyncChunk(l.newSide, p, sealSync(l.oldSide, new Uint8Array(LINK_CHUNK_BYTES + 1))[0]!, 0), 'bad-link');
  });
});

test('property: random changes to a chunk are refused with a BwError or open as the original, never a crash', () => {
  const l = link();
  const p = openProvision(l.newSide, sealProvision(l.oldSide, { list: l.list, profile: annProfile, manifest: syncManifest(300) }));
  const [chunk] = sealSync(l.oldSide, new Uint8Array(300).fill(9));
  const rnd = new Xorshift(0x11c7);
  for (let i = 0; i < 2000; i++) {
    const x = chunk!.slice();
    for (let n = 1 + rnd.int(3); n > 0; n--) x[rnd.int(x.length)] = rnd.int(256);
    const input = rnd.int(10) === 0 ? x.subarray(0, rnd.int(x.length)) : x;
    try {
      openSyncChunk(l.newSide, p, input, 0);
      assert.equal(toHex(input), toHex(chunk!), `iteration ${i}: a changed chunk opened`);
    } catch (e) {
      if (!(e instanceof BwError)) assert.fail(`iteration ${i}: ${String(e)}`);
    }
  }
});

describe('wire frames (shared/protocol.ts DeviceFrameSchema)', () => {
  const l = link();
  const r = answerLink(l.start.offer, { identity: ann.sigPub, device: laptop.sigPub });
  const reveal = revealLink(l.start, l.phone, r.answer.bytes).reveal;
  const full = Array.from({ length: 16 }, (_, i) => deviceEntry(ann.sigPub, generateDevice(), '😀'.repeat(31) + String.fromCodePoint(0x1f600 + i), NOW));
  const bigList = signDeviceList(ann, { version: 1, issued: NOW, devices: full });
  const [bigChunk] = sealSync(l.oldSide, new Uint8Array(LINK_CHUNK_BYTES));
  const good = [
    { kind: 'device-list', list: toB64u(bigList.bytes) },
    { kind: 'link-answer', a: toB64u(r.answer.bytes) },
    { kind: 'link-reveal', r: toB64u(reveal) },
    { kind: 'link-provision', p: toB64u(sealProvision(l.oldSide, { list: l.list, profile: annProfile, manifest: syncManifest(0) })) },
    { kind: 'link-chunk', c: toB64u(bigChunk!) },
    { kind: 'link-want', next: 3 },
  ];
  test('the largest real frames pass, and fit a signal:send payload', () => {
    for (const f of good) {
      assert.deepEqual(parse(DeviceFrameSchema, f, 'frame'), f, f.kind);
      assert.ok(JSON.stringify(f).length <= LIMITS.maxSignalChars, `${f.kind}: ${JSON.stringify(f).length} chars`);
    }
    assert.equal(toB64u(bigChunk!).length, DEVICE_LIMITS.maxLinkMessageChars);
  });
  test('over-long, wrong-length or unknown frames are bad-frame', () => {
    const bad = [
      { kind: 'device-list', list: 'A'.repeat(DEVICE_LIMITS.maxDeviceListChars + 1) },
      { kind: 'link-answer', a: toB64u(r.answer.bytes.subarray(1)) },
      { kind: 'link-answer', a: toB64u(concat(r.answer.bytes, Uint8Array.of(0))) },
      { kind: 'link-reveal', r: `${toB64u(reveal).slice(0, -1)}B` },
      { kind: 'link-chunk', c: 'A'.repeat(DEVICE_LIMITS.maxLinkMessageChars + 1) },
      { kind: 'link-chunk', c: 'not base64url!' },
      { kind: 'link-want', next: -1 },
      { kind: 'link-want', next: 1.5 },
      { kind: 'link-hello' },
    ];
    for (const f of bad) throwsCode(() => parse(DeviceFrameSchema, f, 'frame'), 'bad-frame', JSON.stringify(f).slice(0, 60));
  });
});

/** A provision sealed without sealProvision's checks: what a faulty or hostile answering device could send. */
function sealUnchecked(s: LinkSession, list: Uint8Array, profile: Uint8Array, syncBytes: 0): Uint8Array {
  const u16 = (n: number) => Uint8Array.of(n >> 8, n & 0xff);
  const m = syncManifest(syncBytes);
  const payload = concat(u16(list.length), list, u16(profile.length), profile, Uint8Array.of(0, 0, 0, m.chunks), new Uint8Array(8));
  const head = concat(Uint8Array.of(1, 1), s.linkId, s.answerer, Uint8Array.of(0, 0, 0, 0), Uint8Array.of(0, 0, 0, 1));
  const nonce = seqBytes(24, 5);
  return concat(head, nonce, xchacha20poly1305(s.key, nonce, head).encrypt(payload));
}
