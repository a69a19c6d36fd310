// Device lists: the fixed vectors (test/vectors/device-list-v1.json), round trips, rollback, diffs, and every refusal with its code.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  addDevice,
  checkRidingAge,
  decodeDeviceList,
  DEVICE_LIST_CLOCK_SKEW_MS,
  DEVICE_LIST_REFRESH_MS,
  deviceEntry,
  deviceFromIdentity,
  diffDevices,
  dueForRefresh,
  generateDevice,
  MAX_DEVICE_LIST_BYTES,
  MAX_DEVICES,
  MAX_RIDING_LIST_AGE_MS,
  removeDevice,
  requireDevice,
  signDeviceList,
  verifyDeviceList,
  verifyRidingDeviceList,
  type Device,
  type DeviceKeys,
  type DeviceList,
} from '../../shared/crypto/devices.js';
import { generateIdentity, sign, type Identity } from '../../shared/crypto/identity.js';
import { LABEL, signedMessage } from '../../shared/crypto/kdf.js';
import { concat } from '../../shared/bytes.js';
import { BwError } from '../../shared/errors.js';
import { fromHex, queueRng, seqBytes, throwsCode, toHex, Xorshift } from './helpers.js';

interface ListVector {
  name: string;
  version: number;
  issued: number;
  devices: { id: string; keys: 'identity' | 'phone' | 'tablet'; name: string; added: number; bind: string }[];
  list: string;
}
interface ListVectors {
  identitySecrets: [string, string];
  identity: string;
  keys: { phone: [string, string, string]; tablet: [string, string, string]; identity: [string] };
  lists: ListVector[];
  /** The age bound on riding lists: list and held index `lists` (held null: the reader holds none). */
  riding: { maxAgeMs: number; clockSkewMs: number; refreshMs: number; cases: { name: string; list: number; held: number | null; now: number; result: 'ok' | 'stale' | 'rollback' }[] };
}

const vectors = JSON.parse(readFileSync(new URL('../../../test/vectors/device-list-v1.json', import.meta.url), 'utf8')) as ListVectors;

/** The vectors' identity and devices, from their fixed secrets. */
function vectorKeys(vs: ListVectors): { id: Identity; devs: Record<'identity' | 'phone' | 'tablet', DeviceKeys> } {
  const id = generateIdentity('Ann', queueRng(...vs.identitySecrets.map(fromHex)));
  const devs = {
    identity: deviceFromIdentity(id, queueRng(fromHex(vs.keys.identity[0]))),
    phone: generateDevice(queueRng(...vs.keys.phone.map(fromHex))),
    tablet: generateDevice(queueRng(...vs.keys.tablet.map(fromHex))),
  };
  return { id, devs };
}

describe('fixed vectors (test/vectors/device-list-v1.json, computed apart from @noble)', () => {
  const { id, devs } = vectorKeys(vectors);
  test('the identity', () => assert.equal(toHex(id.sigPub), vectors.identity));
  let prev: DeviceList | undefined;
  for (const [i, v] of vectors.lists.entries()) {
    test(`list ${i}: ${v.name}`, () => {
      const where = `list ${i} (${v.name})`;
      const entries = v.devices.map((d) => deviceEntry(id.sigPub, devs[d.keys], d.name, d.added));
      for (const [j, e] of entries.entries()) assert.equal(toHex(e.bind), v.devices[j]!.bind, `${where}: binding of device ${j}`);
      const list = signDeviceList(id, { version: v.version, issued: v.issued, devices: entries });
      assert.equal(toHex(list.bytes), v.list, `${where}: bytes`);
      const got = verifyDeviceList(fromHex(v.list), id.sigPub, prev);
      assert.equal(got.version, v.version, where);
      assert.equal(got.issued, v.issued, where);
      assert.deepEqual(got.devices.map((d) => toHex(d.id)), v.devices.map((d) => d.id).sort(), `${where}: devices in id order`);
      assert.deepEqual(got.devices.map((d) => d.name).sort(), v.devices.map((d) => d.name).sort(), `${where}: names`);
      prev = got;
    });
  }
  test('the riding bound’s constants', () => {
    assert.deepEqual([MAX_RIDING_LIST_AGE_MS, DEVICE_LIST_CLOCK_SKEW_MS, DEVICE_LIST_REFRESH_MS], [vectors.riding.maxAgeMs, vectors.riding.clockSkewMs, vectors.riding.refreshMs]);
  });
  assert.ok(vectors.riding.cases.length >= 8, 'the riding cases are all there');
  for (const c of vectors.riding.cases) {
    test(`riding: ${c.name}`, () => {
      const where = `riding vector "${c.name}"`;
      const held = c.held === null ? undefined : decodeDeviceList(fromHex(vectors.lists[c.held]!.list));
      const run = () => verifyRidingDeviceList(fromHex(vectors.lists[c.list]!.list), id.sigPub, held, c.now);
      if (c.result === 'ok') assert.equal(run().version, vectors.lists[c.list]!.version, where);
      else throwsCode(run, c.result, where);
    });
  }
  test('the layout table: head, first entry, signature at the end', () => {
    const b = fromHex(vectors.lists[1]!.list);
    assert.equal(b[0], 1);
    assert.equal(toHex(b.subarray(1, 33)), vectors.identity);
    assert.equal(b[49], 3);
    const first = vectors.lists[1]!.devices.map((d) => d.id).sort()[0]!;
    assert.equal(toHex(b.subarray(50, 66)), first);
    const nameLen = b[50 + 88]!;
    assert.equal(b.length, 50 + 3 * (89 + 64) + vectors.lists[1]!.devices.reduce((n, d) => n + new TextEncoder().encode(d.name).length, 0) + 64);
    assert.ok(nameLen >= 1);
  });
});

const ann = generateIdentity('Ann');
const mallory = generateIdentity('Mallory');
const laptop = deviceFromIdentity(ann);
const phone = generateDevice();
const tablet = generateDevice();
const entry = (dev: DeviceKeys, name: string, who: Identity = ann) => deviceEntry(who.sigPub, dev, name, 1000);
const v1 = signDeviceList(ann, { version: 1, issued: 1000, devices: [entry(laptop, 'laptop')] });
const v2 = addDevice(ann, v1, entry(phone, 'phone'), 2000);

/** Re-signs arbitrary list bytes (body without the old signature) with `who`: lists only a signer could make. */
const resign = (body: Uint8Array, who: Identity = ann) => concat(body, sign(signedMessage(LABEL.deviceListSig, body), who.sigSecret));
const bodyOf = (l: DeviceList) => l.bytes.subarray(0, l.bytes.length - 64);

describe('round trip', () => {
  test('a list verifies, and decodes to what was signed', () => {
    const got = verifyDeviceList(v2.bytes, ann.sigPub, v1);
    assert.equal(got.version, 2);
    assert.deepEqual(got.devices, v2.devices);
    assert.deepEqual(decodeDeviceList(v2.bytes), v2);
  });
  test('one list, one encoding: device order given does not matter', () => {
    const a = signDeviceList(ann, { version: 5, issued: 1, devices: [entry(laptop, 'l'), entry(phone, 'p'), entry(tablet, 't')] });
    const b = signDeviceList(ann, { version: 5, issued: 1, devices: [entry(tablet, 't'), entry(laptop, 'l'), entry(phone, 'p')] });
    assert.equal(toHex(a.bytes), toHex(b.bytes));
  });
  test('the same bytes again verify against themselves (a resend is not a rollback)', () => {
    assert.equal(verifyDeviceList(v2.bytes, ann.sigPub, v2).version, 2);
  });
  test('a full list of MAX_DEVICES with the longest names fits MAX_DEVICE_LIST_BYTES exactly', () => {
    const devs = Array.from({ length: MAX_DEVICES }, (_, i) => entry(generateDevice(), '😀'.repeat(31) + String.fromCodePoint(0x1f600 + i)));
    const l = signDeviceList(ann, { version: 1, issued: 1, devices: devs });
    assert.equal(l.bytes.length, MAX_DEVICE_LIST_BYTES);
    assert.equal(verifyDeviceList(l.bytes, ann.sigPub).devices.length, MAX_DEVICES);
  });
  test('removeDevice drops it as the next version; requireDevice then refuses its key', () => {
    const v3 = removeDevice(ann, v2, phone.id, 3000);
    assert.equal(v3.version, 3);
    assert.equal(verifyDeviceList(v3.bytes, ann.sigPub, v2).devices.length, 1);
    throwsCode(() => requireDevice(v3, phone.sigPub), 'unknown-device');
    throwsCode(() => removeDevice(ann, v3, phone.id, 4000), 'unknown-device');
    assert.equal(requireDevice(v2, phone.sigPub).name, 'phone');
  });
});

describe('diff: what the "friend added a device" notice shows', () => {
  test('added and removed, matched by id and both keys', () => {
    const v3 = addDevice(ann, removeDevice(ann, v2, laptop.id, 3000), entry(tablet, 'tablet'), 4000);
    const d = diffDevices(v2, v3);
    assert.deepEqual(d.added.map((x) => x.name), ['tablet']);
    assert.deepEqual(d.removed.map((x) => x.name), ['laptop']);
  });
  test('a first list: every device is new', () => {
    assert.deepEqual(diffDevices(undefined, v2).added.length, 2);
  });
  test('new keys under an old id: one removed, one added', () => {
    const swapped = generateDevice(queueRng(phone.id, seqBytes(32, 9), seqBytes(32, 77)));
    const v3 = nextList(v2, [entry(laptop, 'laptop'), entry(swapped, 'phone')]);
    const d = diffDevices(v2, v3);
    assert.equal(d.added.length, 1);
    assert.equal(d.removed.length, 1);
  });
  test('a rename alone is no change', () => {
    const v3 = nextList(v2, [entry(laptop, 'my laptop'), entry(phone, 'phone')]);
    assert.deepEqual(diffDevices(v2, v3), { added: [], removed: [] });
  });
});

function nextList(prev: DeviceList, devices: Device[]): DeviceList {
  return signDeviceList(ann, { version: prev.version + 1, issued: prev.issued + 1, devices });
}

describe('refusals, each with its code', () => {
  test('bad-signature: a list signed by someone else, for this identity', () => {
    throwsCode(() => verifyDeviceList(resign(bodyOf(v2), mallory), ann.sigPub), 'bad-signature');
  });
  test('bad-signature: a valid list of another identity', () => {
    const m = signDeviceList(mallory, { version: 9, issued: 1, devices: [entry(generateDevice(), 'evil', mallory)] });
    throwsCode(() => verifyDeviceList(m.bytes, ann.sigPub), 'bad-signature');
  });
  test('bad-signature: one changed byte in the body or the signature', () => {
    for (const at of [10, 40, 60, 200, v2.bytes.length - 1]) {
      const x = v2.bytes.slice();
      x[at]! ^= 1;
      try {
        verifyDeviceList(x, ann.sigPub);
        assert.fail(`byte ${at}: a changed list verified`);
      } catch (e) {
        assert.ok(e instanceof BwError, `byte ${at}: ${String(e)}`);
        assert.ok(['bad-signature', 'bad-device-list', 'bad-encoding'].includes(e.code), `byte ${at}: ${e.code}`);
      }
    }
    const sig = v2.bytes.slice();
    sig[sig.length - 5]! ^= 0x80;
    throwsCode(() => verifyDeviceList(sig, ann.sigPub), 'bad-signature');
  });
  test('bad-signature: the identity signed, but a device never bound itself (its binding is for another identity)', () => {
    const stolen = { ...entry(tablet, 'tablet', mallory) };
    throwsCode(() => signDeviceList(ann, { version: 3, issued: 1, devices: [entry(laptop, 'laptop'), stolen] }), 'bad-signature');
    // The same list signed by hand, bypassing signDeviceList's check: verify refuses it too.
    const forged = signDeviceList(ann, { version: 3, issued: 1, devices: [entry(laptop, 'laptop'), entry(tablet, 'tablet')] });
    const body = bodyOf(forged).slice();
    const i = forged.devices.findIndex((d) => d.name === 'tablet');
    const bindAt = findBind(forged, i);
    body.set(stolen.bind, bindAt);
    throwsCode(() => verifyDeviceList(resign(body), ann.sigPub), 'bad-signature');
  });
  test('rollback: a lower version than one accepted', () => {
    throwsCode(() => verifyDeviceList(v1.bytes, ann.sigPub, v2), 'rollback');
  });
  test('rollback: the same version with other content (equivocation)', () => {
    const other = signDeviceList(ann, { version: 2, issued: 2000, devices: [entry(laptop, 'laptop'), entry(tablet, 'tablet')] });
    throwsCode(() => verifyDeviceList(other.bytes, ann.sigPub, v2), 'rollback');
  });
  test('rollback is judged only after the signature: a forged old list is bad-signature', () => {
    throwsCode(() => verifyDeviceList(resign(bodyOf(v1), mallory), ann.sigPub, v2), 'bad-signature');
  });
  test('too-many-devices: signing 17, or bytes that claim 17', () => {
    const devs = Array.from({ length: MAX_DEVICES + 1 }, (_, i) => entry(generateDevice(), `d${i}`));
    throwsCode(() => signDeviceList(ann, { version: 1, issued: 1, devices: devs }), 'too-many-devices');
    const x = v2.bytes.slice();
    x[49] = MAX_DEVICES + 1;
    throwsCode(() => verifyDeviceList(x, ann.sigPub), 'too-many-devices');
  });
  test('bad-device-list: cut short, bytes after the signature, no devices, a name length past the end', () => {
    throwsCode(() => verifyDeviceList(v2.bytes.subarray(0, v2.bytes.length - 1), ann.sigPub), 'bad-device-list');
    throwsCode(() => verifyDeviceList(v2.bytes.subarray(0, 30), ann.sigPub), 'bad-device-list');
    throwsCode(() => verifyDeviceList(concat(v2.bytes, new Uint8Array(1)), ann.sigPub), 'bad-device-list');
    const none = concat(v2.bytes.subarray(0, 49), Uint8Array.of(0), new Uint8Array(300));
    throwsCode(() => verifyDeviceList(none, ann.sigPub), 'bad-device-list');
    const x = v2.bytes.slice();
    x[50 + 88] = 200;
    throwsCode(() => verifyDeviceList(x, ann.sigPub), 'bad-device-list');
  });
  test('bad-device-list: duplicate keys, out of id order, bad names (each re-signed, so only the rule refuses it)', () => {
    const twin = { ...entry(phone, 'phone'), id: seqBytes(16, 0xee) };
    throwsCode(() => signDeviceList(ann, { version: 3, issued: 1, devices: [entry(phone, 'phone'), twin] }), 'bad-device-list');
    // Swap the two entries of v2 by hand: same content, wrong order.
    const a = v2.bytes.subarray(50, findEnd(v2, 0));
    const b = v2.bytes.subarray(findEnd(v2, 0), findEnd(v2, 1));
    throwsCode(() => verifyDeviceList(resign(concat(v2.bytes.subarray(0, 50), b, a)), ann.sigPub), 'bad-device-list');
    for (const name of ['', '   ', 'x'.repeat(33), 'line\nbreak']) throwsCode(() => entry(tablet, name), 'bad-device-list', JSON.stringify(name));
  });
  test('bad-version and oversize: checked before anything else', () => {
    const x = v2.bytes.slice();
    x[0] = 2;
    throwsCode(() => verifyDeviceList(x, ann.sigPub), 'bad-version');
    throwsCode(() => verifyDeviceList(concat(Uint8Array.of(1), new Uint8Array(MAX_DEVICE_LIST_BYTES)), ann.sigPub), 'oversize');
    throwsCode(() => verifyDeviceList(new Uint8Array(0), ann.sigPub), 'bad-device-list');
  });
  test('a refused list leaves the accepted one as it was', () => {
    const before = toHex(v2.bytes);
    throwsCode(() => verifyDeviceList(v1.bytes, ann.sigPub, v2), 'rollback');
    assert.equal(toHex(v2.bytes), before);
  });
});

test('property: random changes to a list are refused with a BwError or verify as the original, never a crash', () => {
  const rnd = new Xorshift(0xde71);
  for (let i = 0; i < 600; i++) {
    const x = v2.bytes.slice();
    for (let n = 1 + rnd.int(3); n > 0; n--) x[rnd.int(x.length)] = rnd.int(256);
    const input = rnd.int(10) === 0 ? x.subarray(0, rnd.int(x.length)) : x;
    try {
      verifyDeviceList(input, ann.sigPub);
      assert.equal(toHex(input), toHex(v2.bytes), `iteration ${i}: a changed list verified`);
    } catch (e) {
      if (!(e instanceof BwError)) assert.fail(`iteration ${i}: ${String(e)}`);
    }
  }
});

/** Offset just past entry `i` (entries in list order). */
function findEnd(l: DeviceList, i: number): number {
  let at = 50;
  for (let j = 0; j <= i; j++) at += 89 + l.bytes[at + 88]! + 64;
  return at;
}
function findBind(l: DeviceList, i: number): number {
  return findEnd(l, i) - 64;
}

describe('the riding bound (checkRidingAge, dueForRefresh)', () => {
  const t = Date.UTC(2026, 0, 1);
  test('checked after the signatures: a forged stale list is bad-signature, not stale', () => {
    const { id, devs } = vectorKeys(vectors);
    const list = signDeviceList(id, { version: 1, issued: t, devices: [deviceEntry(id.sigPub, devs.phone, 'phone', t)] });
    const forged = list.bytes.slice();
    forged[forged.length - 1]! ^= 1;
    throwsCode(() => verifyRidingDeviceList(forged, id.sigPub, undefined, t + 2 * MAX_RIDING_LIST_AGE_MS), 'bad-signature');
    throwsCode(() => verifyRidingDeviceList(list.bytes, id.sigPub, undefined, t + 2 * MAX_RIDING_LIST_AGE_MS), 'stale');
  });
  test('an issued time of 0 (a list signed with no real clock) is as old as it looks', () => throwsCode(() => checkRidingAge({ issued: 0 }, t), 'stale'));
  test('re-signed at half the bound, so an honest list has the other half to ride in', () => {
    assert.equal(dueForRefresh({ issued: t }, t + DEVICE_LIST_REFRESH_MS - 1), false);
    assert.equal(dueForRefresh({ issued: t }, t + DEVICE_LIST_REFRESH_MS), true);
    assert.equal(dueForRefresh({ issued: t + 1000 }, t), false, 'a clock set back re-signs nothing');
    assert.ok(2 * DEVICE_LIST_REFRESH_MS <= MAX_RIDING_LIST_AGE_MS);
  });
});
