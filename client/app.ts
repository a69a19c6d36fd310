// Owns the full client page's entry: mounts <bw-feed> on the relay's own origin and hands it an invite link's code.
import './components/bw-feed.js';
import './components/bw-qr.js'; // the page shows invites as QR codes; the embed leaves it out to stay small
import { registerServiceWorker } from './pwa.js';

const el = document.querySelector('bw-feed');
const hash = new URLSearchParams(location.hash.slice(1));
if (el && hash.get('invite')) el.setAttribute('invite', hash.get('invite')!);
// ?direct=off: relay-only mode, for people who must not reveal their IP address to friends.
if (el && new URLSearchParams(location.search).get('direct') === 'off') el.setAttribute('no-direct', '');
// The app shell is kept for offline opening (the embed, on other sites, never registers a worker).
registerServiceWorker();
