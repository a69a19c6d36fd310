// Owns the DOM events BrainWaves components fire: names, detail types and one way to dispatch them.

export interface BwEventMap {
  'bw-create-identity': { name: string };
  'bw-import-identity': { backup: string; passphrase: string };
  'bw-export-backup': { passphrase: string };
  'bw-accept-invite': { code: string };
  'bw-request-invite': Record<string, never>;
  'bw-compose': { body: string };
  'bw-post': { author: string; authorName: string; seq: number; ts: number; body: string; via: string };
  'bw-status': { relay: string; direct: number; friends: number };
}

/** Fires a bubbling, composed (crosses shadow roots), cancelable event. Returns false if a listener cancelled it. */
export function fire<K extends keyof BwEventMap>(el: EventTarget, type: K, detail: BwEventMap[K]): boolean {
  return el.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true, cancelable: true }));
}

declare global {
  interface HTMLElementEventMap {
    'bw-create-identity': CustomEvent<BwEventMap['bw-create-identity']>;
    'bw-import-identity': CustomEvent<BwEventMap['bw-import-identity']>;
    'bw-export-backup': CustomEvent<BwEventMap['bw-export-backup']>;
    'bw-accept-invite': CustomEvent<BwEventMap['bw-accept-invite']>;
    'bw-request-invite': CustomEvent<BwEventMap['bw-request-invite']>;
    'bw-compose': CustomEvent<BwEventMap['bw-compose']>;
    'bw-post': CustomEvent<BwEventMap['bw-post']>;
    'bw-status': CustomEvent<BwEventMap['bw-status']>;
  }
}
