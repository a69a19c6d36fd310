// Owns the device list: an identity's signed, versioned set of device keys, each device cross-signing its own entry.
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { BwError } from '../errors.js';
import { concat, equalBytes, fromUtf8, readU64be, toB64u, u64be, utf8 } from '../bytes.js';
import { compareBytes, defaultRng, KEY_LEN, sign, SIG_LEN, verifySig, type Identity, type Rng } from './identity.js';
import { LABEL, signedMessage } from './kdf.js';

/**
 * Device list v1: which device keys speak for an identity. Signed by the identity's Ed25519 key; every entry also
 * carries its device's own signature binding it to that identity, so a list cannot claim a key whose holder never
 * agreed (Matrix cross-signing: the master key signs device keys, each device key self-signs).
 *
 * | off | len | field                                                                        |
 * |-----|-----|------------------------------------------------------------------------------|
 * | 0   | 1   | format version = 1                                                           |
 * | 1   | 32  | identity Ed25519 public key                                                  |
 * | 33  | 8   | list version u64be (≥ 1; every change publishes a higher one)                |
 * | 41  | 8   | issued, ms since the epoch, u64be                                            |
 * | 49  | 1   | device count n (1..MAX_DEVICES)                                              |
 * | 50  | …   | n × device entry, strictly ascending by device id                            |
 * | end | 64  | identity's Ed25519 signature over LABEL.deviceListSig ‖ 0x00 ‖ every byte before |
 *
 * A device entry:
 *
 * | off  | len | field                                                                          |
 * |------|-----|--------------------------------------------------------------------------------|
 * | 0    | 16  | device id (random; stays with the device while its name or keys change)       |
 * | 16   | 32  | device Ed25519 public key (its relay address; signs what the device sends)    |
 * | 48   | 32  | device X25519 public key (its pairwise keys with each friend's device)        |
 * | 80   | 8   | added, ms since the epoch, u64be                                               |
 * | 88   | 1   | name length L in bytes (1..MAX_DEVICE_NAME_BYTES)                              |
 * | 89   | L   | name, UTF-8, 1..MAX_DEVICE_NAME_CHARS code points, no control characters        |
 * | 89+L | 64  | binding: the device key's signature over LABEL.deviceBindSig ‖ 0x00 ‖          |
 * |      |     |   identity ‖ device id ‖ device Ed25519 key ‖ device X25519 key                |
 *
 * One list has one encoding (fixed order, lengths exact, no trailing bytes), so "same version, other bytes" is
 * detectable: that, or a lower version than one already accepted, is a rollback. Device keys are unique within a
 * list. A device may use the identity's own keys (the device that created the identity, so an identity from before
 * device lists is its own first device and its relay address does not move).
 *
 * `issued` is inside the signed bytes, so a reader can bound a list's age on the identity's word alone: a list riding
 * along with someone else's item, to a reader who holds none of that person's, is taken only while it is at most
 * MAX_RIDING_LIST_AGE_MS old (verifyRidingDeviceList). No new format version was needed for that: v1 has always signed
 * `issued`, and a v2 would be refused ('bad-version') by every reader not yet updated, item and all.
 */
export const DEVICE_LIST_VERSION = 1;
export const MAX_DEVICES = 16;
export const DEVICE_ID_LEN = 16;
export const MAX_DEVICE_NAME_CHARS = 32;
export const MAX_DEVICE_NAME_BYTES = MAX_DEVICE_NAME_CHARS * 4; // worst case UTF-8: 128
const DAY_MS = 24 * 60 * 60 * 1000;
/**
 * The oldest a device list may be when it rides along with someone else's item (a reply passed on by a post's author)
 * to a reader who holds no list of that person. Such a reader cannot tell an old list from the current one by version,
 * so this bound is how long a device removed since, helped by a post's author, can still speak as its person to them.
 * Honest lists stay well inside it: the identity's device re-signs its list once it is DEVICE_LIST_REFRESH_MS old
 * (client/core/devices.ts, on each login), which leaves the other 15 days for that device being offline and for the
 * reader fetching late. Lists are otherwise signed only when a device is linked or removed, which may be never.
 */
export const MAX_RIDING_LIST_AGE_MS = 30 * DAY_MS;
/** When the identity's device re-signs an unchanged list (same devices, next version): half the riding bound. */
export const DEVICE_LIST_REFRESH_MS = MAX_RIDING_LIST_AGE_MS / 2;
/**
 * How far ahead of the reader's clock a riding list's `issued` may be (the identity's device's clock running fast).
 * Further ahead, its age cannot be bounded: a list issued in the future would stay "fresh" until then.
 */
export const DEVICE_LIST_CLOCK_SKEW_MS = DAY_MS;
const HEAD_LEN = 1 + KEY_LEN + 8 + 8 + 1; // 50
const ENTRY_FIXED = DEVICE_ID_LEN + KEY_LEN + KEY_LEN + 8 + 1; // 89
export const MIN_DEVICE_LIST_BYTES = HEAD_LEN + ENTRY_FIXED + 1 + SIG_LEN + SIG_LEN; // 268
export const MAX_DEVICE_LIST_BYTES = HEAD_LEN + MAX_DEVICES * (ENTRY_FIXED + MAX_DEVICE_NAME_BYTES + SIG_LEN) + SIG_LEN; // 4610

/** A device's own keys: held by that device alone, never copied. */
export interface DeviceKeys {
  id: Uint8Array;
  sigPub: Uint8Array;
  sigSecret: Uint8Array;
  dhPub: Uint8Array;
  dhSecret: Uint8Array;
}

/** One entry of a list: what friends and my other devices know of a device. */
export interface Device {
  id: Uint8Array;
  sigPub: Uint8Array;
  dhPub: Uint8Array;
  name: string;
  added: number;
  /** The device key's binding signature (see the entry table). */
  bind: Uint8Array;
}

/** A decoded device list; `bytes` is its one encoding, signature included. */
export interface DeviceList {
  identity: Uint8Array;
  version: number;
  issued: number;
  devices: Device[];
  sig: Uint8Array;
  bytes: Uint8Array;
}

/** Fresh device keys: draws the id, then the Ed25519 secret, then the X25519 secret. */
export function generateDevice(rng: Rng = defaultRng): DeviceKeys {
  const id = rng(DEVICE_ID_LEN);
  const sigSecret = rng(KEY_LEN);
  const dhSecret = rng(KEY_LEN);
  return { id, sigSecret, sigPub: ed25519.getPublicKey(sigSecret), dhSecret, dhPub: x25519.getPublicKey(dhSecret) };
}

/** The identity's own keys as its first device (an identity from before device lists): only the id is new. */
export function deviceFromIdentity(id: Pick<Identity, 'sigPub' | 'sigSecret' | 'dhPub' | 'dhSecret'>, rng: Rng = defaultRng): DeviceKeys {
  return { id: rng(DEVICE_ID_LEN), sigPub: id.sigPub, sigSecret: id.sigSecret, dhPub: id.dhPub, dhSecret: id.dhSecret };
}

const bindMessage = (identity: Uint8Array, d: Pick<Device, 'id' | 'sigPub' | 'dhPub'>): Uint8Array =>
  signedMessage(LABEL.deviceBindSig, identity, d.id, d.sigPub, d.dhPub);

/** The device's consent to speak for `identity`: its entry's binding signature. */
export const bindDevice = (identity: Uint8Array, dev: DeviceKeys): Uint8Array => sign(bindMessage(identity, dev), dev.sigSecret);

/** Checks a binding signature (Device.bind) made by the device key it names. */
export const verifyBinding = (identity: Uint8Array, d: Pick<Device, 'id' | 'sigPub' | 'dhPub' | 'bind'>): boolean =>
  verifySig(d.bind, bindMessage(identity, d), d.sigPub);

/** A device's entry, bound by its own key (what a new device hands the identity when it is linked). */
export function deviceEntry(identity: Uint8Array, dev: DeviceKeys, name: string, added: number): Device {
  const d: Device = { id: dev.id, sigPub: dev.sigPub, dhPub: dev.dhPub, name, added, bind: bindDevice(identity, dev) };
  checkName(d.name);
  return d;
}

const chars = (s: string): number => [...s].length;
const CONTROL = /\p{Cc}/u;

/** A device name: 1..32 code points, no control characters (nothing that could fake a line in a notice). */
export function checkName(name: string): void {
  if (typeof name !== 'string' || !name.trim()) throw new BwError('bad-device-list', 'a device needs a name');
  const n = chars(name);
  if (n < 1) throw new BwError('bad-device-list', 'a device needs a name');
  if (n > MAX_DEVICE_NAME_CHARS) throw new BwError('bad-device-list', `device name is over ${MAX_DEVICE_NAME_CHARS} characters`);
  if (CONTROL.test(name)) throw new BwError('bad-device-list', 'device name has control characters');
}

/** The rules a list's content must meet whichever way it came: count, unique ids and keys, names. */
function checkDevices(devices: readonly Device[]): void {
  if (devices.length < 1) throw new BwError('bad-device-list', 'a device list names at least one device');
  if (devices.length > MAX_DEVICES) throw new BwError('too-many-devices', `a device list names at most ${MAX_DEVICES} devices, not ${devices.length}`);
  const seen = new Set<string>();
  for (const d of devices) {
    if (d.id.length !== DEVICE_ID_LEN || d.sigPub.length !== KEY_LEN || d.dhPub.length !== KEY_LEN || d.bind.length !== SIG_LEN) {
      throw new BwError('bad-device-list', 'a device entry has a field of the wrong length');
    }
    checkName(d.name);
    for (const k of [`i${toB64u(d.id)}`, `s${toB64u(d.sigPub)}`, `d${toB64u(d.dhPub)}`]) {
      if (seen.has(k)) throw new BwError('bad-device-list', 'two devices share an id or a key');
      seen.add(k);
    }
  }
}

/** The canonical bytes of everything the identity signs (the list without its signature). */
function encodeBody(identity: Uint8Array, version: number, issued: number, devices: readonly Device[]): Uint8Array {
  const parts: Uint8Array[] = [Uint8Array.of(DEVICE_LIST_VERSION), identity, u64be(version), u64be(issued), Uint8Array.of(devices.length)];
  for (const d of devices) {
    const name = utf8(d.name);
    parts.push(d.id, d.sigPub, d.dhPub, u64be(d.added), Uint8Array.of(name.length), name, d.bind);
  }
  return concat(...parts);
}

const sortById = (devices: readonly Device[]): Device[] => [...devices].sort((a, b) => compareBytes(a.id, b.id));

/**
 * Signs a list with the identity key. Devices are put in canonical order; each must already carry its binding
 * (deviceEntry), which is checked, so the identity cannot sign a list its devices would not verify.
 */
export function signDeviceList(
  identity: Pick<Identity, 'sigPub' | 'sigSecret'>,
  list: { version: number; issued: number; devices: readonly Device[] },
): DeviceList {
  if (!Number.isSafeInteger(list.version) || list.version < 1) throw new BwError('bad-device-list', 'list version must be a positive integer');
  const devices = sortById(list.devices);
  checkDevices(devices);
  for (const d of devices) if (!verifyBinding(identity.sigPub, d)) throw new BwError('bad-signature', `device "${d.name}" did not bind itself to this identity`);
  const body = encodeBody(identity.sigPub, list.version, list.issued, devices);
  const sig = sign(signedMessage(LABEL.deviceListSig, body), identity.sigSecret);
  return { identity: identity.sigPub, version: list.version, issued: list.issued, devices, sig, bytes: concat(body, sig) };
}

/** Reads the layout only (no signature checked): every length is checked before it is used. Throws BwError only. */
export function decodeDeviceList(bytes: Uint8Array): DeviceList {
  const bad = (why: string) => new BwError('bad-device-list', `device list ${why}`);
  if (!(bytes instanceof Uint8Array)) throw bad('must be bytes');
  if (bytes.length < 1) throw bad('is empty');
  if (bytes[0] !== DEVICE_LIST_VERSION) throw new BwError('bad-version', `unknown device list version ${bytes[0]}`);
  if (bytes.length > MAX_DEVICE_LIST_BYTES) throw new BwError('oversize', `device list is ${bytes.length} bytes, max ${MAX_DEVICE_LIST_BYTES}`);
  if (bytes.length < HEAD_LEN) throw bad(`is ${bytes.length} bytes, min ${MIN_DEVICE_LIST_BYTES}`);
  const n = bytes[49]!;
  if (n > MAX_DEVICES) throw new BwError('too-many-devices', `device list names ${n} devices, max ${MAX_DEVICES}`);
  if (bytes.length < MIN_DEVICE_LIST_BYTES) throw bad(`is ${bytes.length} bytes, min ${MIN_DEVICE_LIST_BYTES}`);
  const identity = bytes.slice(1, 33);
  const version = readU64be(bytes, 33);
  const issued = readU64be(bytes, 41);
  if (version < 1) throw bad('has version 0');
  const devices: Device[] = [];
  let at = HEAD_LEN;
  for (let i = 0; i < n; i++) {
    if (at + ENTRY_FIXED > bytes.length) throw bad('is cut short');
    const id = bytes.slice(at, at + 16);
    const sigPub = bytes.slice(at + 16, at + 48);
    const dhPub = bytes.slice(at + 48, at + 80);
    const added = readU64be(bytes, at + 80);
    const len = bytes[at + 88]!;
    at += ENTRY_FIXED;
    if (len < 1 || len > MAX_DEVICE_NAME_BYTES) throw bad(`has a device name of ${len} bytes`);
    if (at + len + SIG_LEN > bytes.length) throw bad('is cut short');
    const name = fromUtf8(bytes.subarray(at, at + len), 'device name');
    const bind = bytes.slice(at + len, at + len + SIG_LEN);
    at += len + SIG_LEN;
    if (devices.length && compareBytes(devices[devices.length - 1]!.id, id) >= 0) throw bad('is not in ascending device id order');
    devices.push({ id, sigPub, dhPub, name, added, bind });
  }
  if (at + SIG_LEN !== bytes.length) throw bad(at + SIG_LEN > bytes.length ? 'is cut short' : 'has bytes after its signature');
  checkDevices(devices);
  return { identity, version, issued, devices, sig: bytes.slice(at), bytes: bytes.slice() };
}

/**
 * Decodes and verifies a list for `identity`: the layout, the identity's signature, every device's binding, and
 * that it does not roll back `lastAccepted` (the newest list already accepted for this identity): a lower version,
 * or the same version with other bytes, is 'rollback'. The same bytes again verify (a resend is harmless).
 * Throws BwError only; nothing is returned unless every check passed.
 */
export function verifyDeviceList(bytes: Uint8Array, identity: Uint8Array, lastAccepted?: DeviceList): DeviceList {
  const list = decodeDeviceList(bytes);
  if (!equalBytes(list.identity, identity)) throw new BwError('bad-signature', 'device list is for another identity');
  if (!verifySig(list.sig, signedMessage(LABEL.deviceListSig, bytes.subarray(0, bytes.length - SIG_LEN)), identity)) {
    throw new BwError('bad-signature', 'device list is not signed by its identity');
  }
  for (const d of list.devices) if (!verifyBinding(identity, d)) throw new BwError('bad-signature', `device "${d.name}" did not bind itself to this identity`);
  if (lastAccepted) {
    if (!equalBytes(lastAccepted.identity, identity)) throw new BwError('bad-device-list', 'lastAccepted is a list of another identity');
    if (list.version < lastAccepted.version) throw new BwError('rollback', `device list version ${list.version} is older than ${lastAccepted.version}, already accepted`);
    if (list.version === lastAccepted.version && !equalBytes(list.bytes, lastAccepted.bytes)) {
      throw new BwError('rollback', `device list version ${list.version} differs from the one already accepted under that version`);
    }
  }
  return list;
}

/**
 * The age bound on a list riding along with someone else's item, for a reader who holds no list of its identity:
 * issued at most MAX_RIDING_LIST_AGE_MS before `now` and at most DEVICE_LIST_CLOCK_SKEW_MS after it, else 'stale'.
 */
export function checkRidingAge(list: Pick<DeviceList, 'issued'>, now: number): void {
  const age = now - list.issued;
  if (age < -DEVICE_LIST_CLOCK_SKEW_MS) throw new BwError('stale', `device list was issued ${-age} ms ahead of this reader's clock: its age cannot be bounded`);
  if (age > MAX_RIDING_LIST_AGE_MS) throw new BwError('stale', `device list is ${age} ms old; one riding along with another's item may be at most ${MAX_RIDING_LIST_AGE_MS}`);
}

/**
 * Verifies a list riding along with someone else's item (a reply passed on by a post's author). A reader who holds a
 * list of that identity (`held`) decides as verifyDeviceList does, by version: not older, not forked, whatever its
 * age. A reader who holds none cannot compare, so it also bounds the list's age (checkRidingAge, after the signatures):
 * a device removed more than MAX_RIDING_LIST_AGE_MS ago is named by no list it will take. Throws BwError only.
 */
export function verifyRidingDeviceList(bytes: Uint8Array, identity: Uint8Array, held: DeviceList | undefined, now: number): DeviceList {
  const list = verifyDeviceList(bytes, identity, held);
  if (!held) checkRidingAge(list, now);
  return list;
}

/** Whether the identity's device should re-sign its unchanged list now, so that it can keep riding along. */
export const dueForRefresh = (list: Pick<DeviceList, 'issued'>, now: number): boolean => now - list.issued >= DEVICE_LIST_REFRESH_MS;

/** The next version of a list: `devices` replaces the set (bindings checked), version + 1. */
export function nextDeviceList(identity: Pick<Identity, 'sigPub' | 'sigSecret'>, prev: DeviceList, devices: readonly Device[], now: number): DeviceList {
  if (!equalBytes(prev.identity, identity.sigPub)) throw new BwError('bad-device-list', 'previous list is of another identity');
  return signDeviceList(identity, { version: prev.version + 1, issued: now, devices });
}

/** Adds a device (its entry from deviceEntry) as the next version. */
export const addDevice = (identity: Pick<Identity, 'sigPub' | 'sigSecret'>, prev: DeviceList, entry: Device, now: number): DeviceList =>
  nextDeviceList(identity, prev, [...prev.devices, entry], now);

/** Removes a device by id as the next version; an unknown id is 'unknown-device'. */
export function removeDevice(identity: Pick<Identity, 'sigPub' | 'sigSecret'>, prev: DeviceList, id: Uint8Array, now: number): DeviceList {
  const rest = prev.devices.filter((d) => !equalBytes(d.id, id));
  if (rest.length === prev.devices.length) throw new BwError('unknown-device', 'no device with that id in the list');
  return nextDeviceList(identity, prev, rest, now);
}

const deviceKey = (d: Device): string => `${toB64u(d.id)}.${toB64u(d.sigPub)}.${toB64u(d.dhPub)}`;

/**
 * What changed between two lists of one identity, for the "friend added a device" notice: a device counts as the same
 * only with the same id and both keys, so new keys under an old id show as one removed and one added. Renames are
 * not changes here.
 */
export function diffDevices(old: DeviceList | undefined, next: DeviceList): { added: Device[]; removed: Device[] } {
  const before = new Map((old?.devices ?? []).map((d) => [deviceKey(d), d]));
  const after = new Map(next.devices.map((d) => [deviceKey(d), d]));
  return {
    added: next.devices.filter((d) => !before.has(deviceKey(d))),
    removed: (old?.devices ?? []).filter((d) => !after.has(deviceKey(d))),
  };
}

/** The entry whose Ed25519 key is `sigPub`, or undefined: is this sender one of the identity's devices? */
export const findDevice = (list: DeviceList, sigPub: Uint8Array): Device | undefined => list.devices.find((d) => equalBytes(d.sigPub, sigPub));

/** Like findDevice, but a key not in the list is 'unknown-device'. */
export function requireDevice(list: DeviceList, sigPub: Uint8Array): Device {
  const d = findDevice(list, sigPub);
  if (!d) throw new BwError('unknown-device', 'that key is not one of this identity\'s devices');
  return d;
}
