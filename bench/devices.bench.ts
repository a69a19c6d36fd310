// Owns the device benchmarks that need no wiring: sealing for friends with two devices each against one, the link's crypto, list checks.
import { generateIdentity } from '../shared/crypto/identity.js';
import { pairKeys } from '../shared/crypto/pairwise.js';
import { sealContent } from '../shared/crypto/envelope.js';
import { encodeBundle, newItemId, signItem } from '../shared/crypto/content.js';
import { addDevice, deviceEntry, deviceFromIdentity, generateDevice, signDeviceList, verifyDeviceList } from '../shared/crypto/devices.js';
import { acceptReveal, answerLink, createLinkOffer, openProvision, openSyncChunk, readLinkOffer, revealLink, sealProvision, sealSync, syncManifest } from '../shared/crypto/link.js';
import { round, timeIt } from './stats.js';

/** One post for `friends` friends with `perFriend` devices each: sign once, encrypt once, one wrap per device (keys computed once). */
function sealer(friends: number, perFriend: number) {
  const me = generateIdentity('author');
  const devices = Array.from({ length: friends * perFriend }, (_, i) => generateIdentity(`d${i}`));
  const rs = devices.map((d) => ({ sigPub: d.sigPub, wrapKey: pairKeys(me, d).wrap, stream: 1 }));
  return () => sealContent(me, encodeBundle([signItem(me, { kind: 'post', id: newItemId(), ts: 1, text: 'x'.repeat(200) }).bytes]), rs);
}

/** The crypto of linking, both sides in one process: offer → answer → reveal → provision → `syncBytes` of state in chunks. */
function linkOnce(syncBytes: number): () => void {
  const ann = generateIdentity('Ann');
  const laptop = deviceFromIdentity(ann);
  const v1 = signDeviceList(ann, { version: 1, issued: 1, devices: [deviceEntry(ann.sigPub, laptop, 'laptop', 1)] });
  const profile = signItem(ann, { kind: 'profile', id: newItemId(), ts: 1, name: 'Ann', bio: '' }).bytes;
  const state = new Uint8Array(syncBytes).fill(7);
  return () => {
    const phone = generateDevice();
    const start = createLinkOffer(phone, { name: 'phone', relay: 'wss://relay.example', now: 1000 });
    const r = answerLink(readLinkOffer(start.code, 1000), { identity: ann.sigPub, device: laptop.sigPub });
    const { reveal, session } = revealLink(start, phone, r.answer.bytes);
    const old = acceptReveal(r, reveal);
    const list = addDevice(ann, v1, { ...old.device, added: 2 }, 2);
    const p = openProvision(session, sealProvision(old, { list, profile, manifest: syncManifest(state.length) }));
    sealSync(old, state).forEach((c, i) => openSyncChunk(session, p, c, i));
  };
}

export function devicesBench(ms = 600): Record<string, number> {
  const one = sealer(100, 1);
  const two = sealer(100, 2);
  const a: number[] = [];
  const b: number[] = [];
  // Interleaved, so drift in machine load hits both.
  for (let i = 0; i < 3; i++) {
    a.push(timeIt(one, { ms: ms / 3 }));
    b.push(timeIt(two, { ms: ms / 3 }));
  }
  const ann = generateIdentity('Ann');
  const full = signDeviceList(ann, { version: 1, issued: 1, devices: Array.from({ length: 16 }, (_, i) => deviceEntry(ann.sigPub, generateDevice(), `d${i}`, 1)) });
  return {
    seal_100_friends_1_device_ms: round(Math.min(...a)),
    seal_100_friends_2_devices_ms: round(Math.min(...b)),
    seal_100_friends_2_devices_ratio: round(Math.min(...b) / Math.min(...a)),
    verify_device_list_16_ms: round(timeIt(() => verifyDeviceList(full.bytes, ann.sigPub), { ms })),
    // 500 KB of state: about what 100 friends and 1,000 posts come to. Crypto only; link_device_ms adds the transport.
    link_crypto_500kb_ms: round(timeIt(linkOnce(500 * 1024), { ms, min: 3 })),
  };
}
