// Peer mesh tests in Chromium: two meshes in one page, their signals wired to each other, over real data channels
// on 127.0.0.1 — through the same simple-peer build (and stream/buffer shims) that the bundles ship.
import { expect } from '@open-wc/testing';
import SimplePeer from 'simple-peer';
import { createMesh, type Mesh, type MeshEvents } from '../../client/mesh.js';

type Event = [kind: 'open' | 'close', key: string] | ['message', string, string];

/** A mesh whose events are recorded, and a way to wait for one. */
function recorded(me: string, deliver: (to: string, signal: unknown, lost: () => void) => void) {
  const events: Event[] = [];
  const waiters: { match: (e: Event) => boolean; resolve: () => void }[] = [];
  const record = (e: Event) => {
    events.push(e);
    for (const w of [...waiters]) if (w.match(e)) (waiters.splice(waiters.indexOf(w), 1), w.resolve());
  };
  const on: MeshEvents = {
    signal: (to, s, lost) => deliver(to, s, lost),
    open: (k) => record(['open', k]),
    close: (k) => record(['close', k]),
    message: (from, text) => record(['message', from, text]),
  };
  const mesh = createMesh(SimplePeer, me, on);
  const next = (match: (e: Event) => boolean, what: string, ms = 8000) =>
    new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`${me}: no ${what} in ${ms} ms; saw ${JSON.stringify(events)}`)), ms);
      waiters.push({ match, resolve: () => (clearTimeout(t), resolve()) });
    });
  return { mesh, events, next };
}

describe('peer mesh (client/mesh.ts)', () => {
  let a: ReturnType<typeof recorded>;
  let b: ReturnType<typeof recorded>;
  const meshes: Mesh[] = [];

  beforeEach(() => {
    // Keys compare 'a…' < 'b…', so A initiates. Signals hop asynchronously, as through the relay.
    a = recorded('aaaa', (_to, s) => setTimeout(() => b.mesh.signal('aaaa', s)));
    b = recorded('bbbb', (_to, s) => setTimeout(() => a.mesh.signal('bbbb', s)));
    meshes.push(a.mesh, b.mesh);
  });
  afterEach(() => {
    for (const m of meshes.splice(0)) m.close();
  });

  it('opens one channel between two friends and carries text both ways, in order', async () => {
    const opened = Promise.all([a.next((e) => e[0] === 'open', 'open'), b.next((e) => e[0] === 'open', 'open')]);
    b.mesh.connect('aaaa'); // the non-initiator waits for the offer
    a.mesh.connect('bbbb');
    await opened;
    expect(a.mesh.isOpen('bbbb') && b.mesh.isOpen('aaaa')).to.equal(true);
    expect(a.mesh.openCount()).to.equal(1);

    const got = b.next((e) => e[0] === 'message' && e[2] === 'third', 'third message');
    for (const text of ['first', 'second 👋', 'third']) expect(a.mesh.send('bbbb', text)).to.equal(true);
    await got;
    expect(b.events.filter((e) => e[0] === 'message')).to.deep.equal([
      ['message', 'aaaa', 'first'],
      ['message', 'aaaa', 'second 👋'],
      ['message', 'aaaa', 'third'],
    ]);
    const back = a.next((e) => e[0] === 'message', 'reply');
    expect(b.mesh.send('aaaa', 'reply')).to.equal(true);
    await back;
    expect(a.events.at(-1)).to.deep.equal(['message', 'bbbb', 'reply']);
  });

  it('refuses to send to a friend with no open channel', () => {
    expect(a.mesh.send('bbbb', 'nobody there')).to.equal(false);
  });

  it('dropping a friend closes the channel on both sides, and a later connect opens a fresh one', async () => {
    const opened = b.next((e) => e[0] === 'open', 'open');
    a.mesh.connect('bbbb');
    await opened;
    const closed = b.next((e) => e[0] === 'close', 'close');
    a.mesh.drop('bbbb');
    expect(a.mesh.isOpen('bbbb')).to.equal(false);
    await closed;
    expect(b.mesh.isOpen('aaaa')).to.equal(false);

    const reopened = b.next((e) => e[0] === 'open', 'second open');
    a.mesh.connect('bbbb');
    await reopened;
    const got = b.next((e) => e[0] === 'message', 'message on the new channel');
    a.mesh.send('bbbb', 'again');
    await got;
    expect(b.events.at(-1)).to.deep.equal(['message', 'aaaa', 'again']);
  });

  it('an attempt whose offer could not be sent (the relay was restarting) is replaced, and the channel opens', async () => {
    let offers = 0;
    a = recorded('aaaa', (_to, s, lost) => {
      // The first offer never leaves (the relay answers "unavailable"); nothing else is lost.
      if ((s as { type?: string }).type === 'offer' && offers++ === 0) return void setTimeout(lost);
      setTimeout(() => b.mesh.signal('aaaa', s));
    });
    meshes.push(a.mesh);
    const opened = Promise.all([a.next((e) => e[0] === 'open', 'open'), b.next((e) => e[0] === 'open', 'open')]);
    a.mesh.connect('bbbb');
    await opened;
    expect(offers, 'a second offer replaced the lost one').to.equal(2);
    expect(a.mesh.isOpen('bbbb') && b.mesh.isOpen('aaaa')).to.equal(true);
  });
});

describe('simple-peer as bundled (client/vendor shims)', () => {
  it('delivers binary messages as bytes, ends with close on both sides after destroy', async () => {
    const p1 = new SimplePeer({ initiator: true, config: { iceServers: [] } });
    const p2 = new SimplePeer({ config: { iceServers: [] } });
    p1.on('signal', (s) => p2.signal(s));
    p2.on('signal', (s) => p1.signal(s));
    await Promise.all([new Promise((r) => p1.once('connect', r)), new Promise((r) => p2.once('connect', r))]);

    const data = new Promise<unknown>((r) => p2.once('data', r));
    p1.send(new Uint8Array([0, 1, 2, 254, 255]));
    const got = await data;
    expect(got).to.be.instanceOf(Uint8Array);
    expect([...(got as Uint8Array)]).to.deep.equal([0, 1, 2, 254, 255]);

    // Chromium reports the far side's close as an OperationError ("User-Initiated Abort") on the near channel;
    // simple-peer passes it on as 'error' before 'close' (client/mesh.ts treats both as the end).
    const errors: string[] = [];
    p2.on('error', (e: Error & { code?: string }) => errors.push(e.code ?? e.message));
    const closes = Promise.all([new Promise((r) => p1.once('close', r)), new Promise((r) => p2.once('close', r))]);
    p1.destroy();
    await closes;
    expect(errors.every((c) => c === 'ERR_DATA_CHANNEL'), errors.join()).to.equal(true);
    expect(p1.destroyed && p2.destroyed).to.equal(true);
    expect(() => p1.send('late')).to.throw(/destroyed/);
  });
});
