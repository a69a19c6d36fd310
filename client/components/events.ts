// Owns the DOM events BrainWaves components fire: names, detail types and one way to dispatch them.

export interface BwEventMap {
  'bw-create-identity': { name: string };
  'bw-import-identity': { backup: string; passphrase: string };
  'bw-export-backup': { passphrase: string };
  'bw-accept-invite': { code: string };
  'bw-request-invite': Record<string, never>;
  /** `audience`: an AudienceList id, or absent for all friends. `photos`: files as picked; the shell prepares them. */
  'bw-compose': { body: string; audience?: string; photos?: File[] };
  'bw-reply': { parent: string; body: string };
  /** `emoji` null removes my reaction. */
  'bw-react': { post: string; emoji: string | null };
  'bw-edit': { post: string; body: string };
  'bw-delete': { post: string };
  /** `avatar`: a new picture, null to remove it, absent to keep it. */
  'bw-profile-save': { name: string; bio: string; avatar?: File | null };
  'bw-list-save': { id?: string; name: string; members: string[] };
  'bw-list-delete': { id: string };
  /** A photo was opened full size: the host fetches the full image (PhotoView.fullUrl) for `post`'s photo `photo` (its ref id). */
  'bw-photo-open': { post: string; photo: string };
  /** The reader has seen the feed up to this time (unread counts follow). */
  'bw-read': { upTo: number };
  /** The feed list reached its end: the host appends items older than `before`. */
  'bw-more': { before: number };
  'bw-post': { author: string; authorName: string; seq: number; ts: number; body: string; via: string };
  'bw-status': { relay: string; direct: number; friends: number };
  /** Linking (<bw-devices>): a new device's code pasted on the primary; the codes match; cancel; remove a device; a new browser asks for its code. */
  'bw-link-device': { code: string };
  'bw-link-confirm': Record<string, never>;
  'bw-link-cancel': Record<string, never>;
  'bw-device-remove': { key: string };
  'bw-start-link': { name: string };
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
    'bw-reply': CustomEvent<BwEventMap['bw-reply']>;
    'bw-react': CustomEvent<BwEventMap['bw-react']>;
    'bw-edit': CustomEvent<BwEventMap['bw-edit']>;
    'bw-delete': CustomEvent<BwEventMap['bw-delete']>;
    'bw-profile-save': CustomEvent<BwEventMap['bw-profile-save']>;
    'bw-list-save': CustomEvent<BwEventMap['bw-list-save']>;
    'bw-list-delete': CustomEvent<BwEventMap['bw-list-delete']>;
    'bw-photo-open': CustomEvent<BwEventMap['bw-photo-open']>;
    'bw-read': CustomEvent<BwEventMap['bw-read']>;
    'bw-more': CustomEvent<BwEventMap['bw-more']>;
    'bw-link-device': CustomEvent<BwEventMap['bw-link-device']>;
    'bw-link-confirm': CustomEvent<BwEventMap['bw-link-confirm']>;
    'bw-link-cancel': CustomEvent<BwEventMap['bw-link-cancel']>;
    'bw-device-remove': CustomEvent<BwEventMap['bw-device-remove']>;
    'bw-start-link': CustomEvent<BwEventMap['bw-start-link']>;
    'bw-post': CustomEvent<BwEventMap['bw-post']>;
    'bw-status': CustomEvent<BwEventMap['bw-status']>;
  }
}
