// Owns the Session's lifecycle for a Lit host: opens it on connect, closes it on disconnect, re-renders on change.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { Session, type SessionOptions, type SessionState } from '../session.js';

export class SessionController implements ReactiveController {
  session?: Session;
  error?: string;
  readonly #host: ReactiveControllerHost & EventTarget;
  readonly #options: () => SessionOptions;
  readonly #onChange = () => this.#host.requestUpdate();

  constructor(host: ReactiveControllerHost & EventTarget, options: () => SessionOptions) {
    this.#host = host;
    this.#options = options;
    host.addController(this);
  }

  get state(): SessionState | undefined {
    return this.session?.state;
  }

  hostConnected(): void {
    const s = new Session(this.#options());
    this.session = s;
    s.addEventListener('change', this.#onChange);
    s.start().catch((e: Error) => {
      this.error = `Could not open local storage: ${e.message}`;
      this.#host.requestUpdate();
    });
  }

  hostDisconnected(): void {
    this.session?.removeEventListener('change', this.#onChange);
    this.session?.close();
    this.session = undefined;
  }
}
