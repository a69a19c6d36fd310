// Owns the relay's one error guard: every entry point (HTTP request, WebSocket upgrade, Socket.IO connection and event, timer) runs inside it, so no thrown error or rejected promise reaches the process.
import type { Logger } from './log.js';

/**
 * Wraps `fn` so that a synchronous throw or a rejected promise is logged and handed to `onError` (to answer the
 * caller with a named error) instead of escaping. `onError` itself is guarded too: a failing error path is logged.
 */
export function guarded<A extends unknown[]>(log: Logger, what: string, fn: (...args: A) => unknown, onError?: (e: unknown, ...args: A) => void): (...args: A) => void {
  const handle = (e: unknown, args: A) => {
    log.error('handler failed', { in: what, err: String((e as Error)?.stack ?? e) });
    try {
      onError?.(e, ...args);
    } catch (e2) {
      log.error('error handler failed', { in: what, err: String((e2 as Error)?.stack ?? e2) });
    }
  };
  return (...args: A) => {
    try {
      const r = fn(...args);
      if (r instanceof Promise) r.catch((e: unknown) => handle(e, args));
    } catch (e) {
      handle(e, args);
    }
  };
}
