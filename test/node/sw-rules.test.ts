// The service worker's rules (client/sw-rules.ts): what it answers from the cache, and what it never touches.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chunkUrls, isHashed, shellUrls, strategyFor } from '../../client/sw-rules.js';

const SCOPE = 'https://relay.example/';
const req = (url: string, mode = 'no-cors', method = 'GET') => ({ url, mode, method });

test('navigations are the page (network first); other same-origin GETs are assets (cache first)', () => {
  assert.equal(strategyFor(req(SCOPE, 'navigate'), SCOPE), 'page');
  assert.equal(strategyFor(req(`${SCOPE}?direct=off`, 'navigate'), SCOPE), 'page');
  assert.equal(strategyFor(req(`${SCOPE}app.3f9a1c.js`, 'cors'), SCOPE), 'asset', 'any bundle name, hashed or not');
  assert.equal(strategyFor(req(`${SCOPE}manifest.webmanifest`), SCOPE), 'asset');
});

test('never from the cache: Socket.IO, /healthz, other origins, non-GET requests', () => {
  for (const url of [`${SCOPE}socket.io/?EIO=4&transport=polling&t=abc`, `${SCOPE}healthz`, 'https://elsewhere.example/app.js']) {
    assert.equal(strategyFor(req(url), SCOPE), 'network', url);
    assert.equal(strategyFor(req(url, 'navigate'), SCOPE), 'network', `${url} (navigation)`);
  }
  assert.equal(strategyFor(req(`${SCOPE}socket.io/?EIO=4`, 'cors', 'POST'), SCOPE), 'network');
  assert.equal(strategyFor(req(`${SCOPE}app.js`, 'cors', 'POST'), SCOPE), 'network');
});

test('the shell is read from the page: its same-origin scripts, styles, icons and manifest', () => {
  const html = `<link rel="icon" href="./icon.svg" type="image/svg+xml" /><link rel="manifest" href="./manifest.webmanifest" />
    <link rel="icon" href="data:," /><script type="module" src="./app.5d41402a.js"></script>
    <script src="https://cdn.example/x.js"></script><link rel=stylesheet href='/theme.css'>`;
  assert.deepEqual(shellUrls(html, SCOPE).sort(), [`${SCOPE}app.5d41402a.js`, `${SCOPE}icon.svg`, `${SCOPE}manifest.webmanifest`, `${SCOPE}theme.css`]);
});

test('only content-hashed names count as never changing', () => {
  assert.equal(isHashed(`${SCOPE}app.GY3rt6t2.js`), true);
  assert.equal(isHashed(`${SCOPE}page.Bt_nb_Fq.css`), true);
  assert.equal(isHashed(`${SCOPE}bw-feed.js`), false);
  assert.equal(isHashed(`${SCOPE}manifest.webmanifest`), false);
  assert.equal(isHashed(`${SCOPE}sw.js`), false);
  assert.equal(isHashed(`${SCOPE}index.html`), false);
});

test('a built script names its lazy chunks by hashed name: those are precached too, resolved against the script', () => {
  const js = 'const a=new URL("./net-libs.DutiKPhS.js",import.meta.url);import("./net-libs.DutiKPhS.js");import("./x_y.A1b2C3d4e5.js");const s="./notes.txt",t="./app.js";';
  assert.deepEqual(chunkUrls(js, 'https://r.example/app/app.Bkv9yJat.js'), ['https://r.example/app/net-libs.DutiKPhS.js', 'https://r.example/app/x_y.A1b2C3d4e5.js']);
  assert.deepEqual(chunkUrls('no chunks here', 'https://r.example/app.js'), []);
});
