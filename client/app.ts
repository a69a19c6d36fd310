// Owns the full client page's entry: points <bw-feed> at the page's relay and hands it an invite link's code.
import './early-open.js'; // first: the database opens while the rest evaluates
import './components/bw-feed.js';
import './components/bw-qr.js'; // the page shows invites as QR codes; the embed leaves it out to stay small
import { registerServiceWorker } from './pwa.js';

const el = document.querySelector('bw-feed');
// The relay is a setting of the page (client/index.html's bw-relay meta), so the page can live on any static host.
const relay = document.querySelector<HTMLMetaElement>('meta[name="bw-relay"]')?.content ?? '';
if (el && relay) {
  el.setAttribute('relay', relay);
  el.setAttribute('invite-base', location.origin + location.pathname); // invites open this page, not the relay's
}
const hash = new URLSearchParams(location.hash.slice(1));
// The page is the app: its title shows the unread count (an embed leaves its host's title alone).
el?.setAttribute('title-unread', '');
if (el && hash.get('invite')) el.setAttribute('invite', hash.get('invite')!);
// A new device's link code, scanned from its QR code with this device's camera: Profile → Devices, pre-filled.
if (el && hash.get('link')) el.setAttribute('link-code', hash.get('link')!);
// ?direct=off: relay-only mode, for people who must not reveal their IP address to friends.
if (el && new URLSearchParams(location.search).get('direct') === 'off') el.setAttribute('no-direct', '');
// The app shell is kept for offline opening (the embed, on other sites, never registers a worker).
registerServiceWorker();
