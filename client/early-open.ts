// Owns starting the page's database open before the rest of its code has evaluated (imported first by the entries).
import { openEarly } from './dexie-store.js';
import { stamp } from './core/trace.js';

// The <bw-feed> already in the document (module scripts run after parsing) names its database; the open then runs
// in IndexedDB's process while the components and the core evaluate here, instead of after them.
stamp('entry');
const el = globalThis.document?.querySelector('bw-feed');
if (el) openEarly(el.getAttribute('db-name') || 'default');
