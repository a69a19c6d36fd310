// Owns the Session's lifecycle for a Lit host: opens it before the first render, reopens it when the options
// (relay, db-name, no-direct) change, closes it on disconnect, and re-renders on change.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { Session, type SessionOptions, type SessionState } from '../session.js';

const keyOf = (o: SessionOptions) => JSON.stringify([o.relay, o.dbName, o.direct ?? true]);

export class SessionController implements ReactiveController {
  session?: Session;
  error?: string;
  readonly #host: ReactiveControllerHost & EventTarget;
  readonly #options: () => SessionOptions;
  readonly #onChange = () => this.#host.requestUpdate();
  /** Hears the session's 'post' events (a friend's post arrived), whichever session is open. */
  readonly #onPost: (e: Event) => void;
  #connected = false;
  #key?: string;
  /** Lets the open session go online (see shown()). */
  #shown?: () => void;

  constructor(host: ReactiveControllerHost & EventTarget, options: () => SessionOptions, onPost: (e: Event) => void = () => {}) {
    this.#host = host;
    this.#options = options;
    this.#onPost = onPost;
    host.addController(this);
  }

  get state(): SessionState | undefined {
    return this.session?.state;
  }

  hostConnected(): void {
    this.#connected = true;
    this.#host.requestUpdate();
  }

  /**
   * Runs before every render. Opening here, not in hostConnected, lets attributes set right after the element is
   * upgraded (a page script, a framework) count: the element may be upgraded before its page sets `no-direct`.
   */
  hostUpdate(): void {
    if (!this.#connected) return;
    const options = this.#options();
    const key = keyOf(options);
    if (key === this.#key) return;
    this.#close();
    this.#key = key;
    this.error = undefined;
    const s = new Session(options);
    this.session = s;
    s.addEventListener('change', this.#onChange);
    s.addEventListener('post', this.#onPost);
    const online = new Promise<void>((go) => (this.#shown = go));
    s.start({ online }).catch((e: Error) => {
      if (this.session !== s) return;
      this.error = `Could not open local storage: ${e.message}`;
      this.#host.requestUpdate();
    });
  }

  /**
   * The host has painted what the store holds (its first feed page, or onboarding): the session goes online now,
   * so the network chunk and the relay's status changes do not compete with that first paint.
   */
  shown(): void {
    this.#shown?.();
  }

  hostDisconnected(): void {
    this.#connected = false;
    this.#close();
  }

  #close(): void {
    this.shown(); // a session closed before its first paint: nothing left waiting
    this.#shown = undefined;
    this.session?.removeEventListener('change', this.#onChange);
    this.session?.removeEventListener('post', this.#onPost);
    this.session?.close();
    this.session = undefined;
    this.#key = undefined;
  }
}
