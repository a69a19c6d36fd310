// Owns the end of the relay's drain on SIGTERM/SIGINT: wait for close() within a deadline, then exit 0, or log why not and exit 1.
import type { Logger } from './log.js';

/**
 * How long the drain may take before the process gives up on it. A drain takes 30–150 ms (README, "Stopping the
 * relay"); this bounds one that waits on a database that stopped answering. Under every supervisor's SIGKILL (docker
 * stop: 10 s; the shipped compose file and systemd unit: 15 s), so the reason is logged before the kill, not lost.
 */
export const SHUTDOWN_DEADLINE_MS = 8_000;

/**
 * Runs `close` and calls `exit` exactly once: 0 when it resolves in time; 1 when it rejects or is still running after
 * `deadlineMs`, with an error log line saying which. Resolves with the exit code (tests pass an `exit` that returns).
 * The deadline timer is not unref'd: a close() stuck on a promise with nothing else pending must still end in exit(1),
 * not in the event loop emptying and the process ending 0 as if the drain had finished.
 */
export function closeWithin(close: () => Promise<void>, deadlineMs: number, log: Logger, exit: (code: number) => void): Promise<number> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (code: number) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(code);
      exit(code);
    };
    const timer = setTimeout(() => {
      log.error('shutdown did not finish within its deadline; exiting without it', { deadlineMs });
      finish(1);
    }, deadlineMs);
    let closing: Promise<void>;
    try {
      closing = close();
    } catch (e) {
      closing = Promise.reject(e);
    }
    closing.then(
      () => {
        if (done) return;
        log.info('closed');
        finish(0);
      },
      (e: unknown) => {
        if (done) return;
        log.error('shutdown failed; exiting without finishing it', { err: String((e as Error)?.stack ?? e) });
        finish(1);
      },
    );
  });
}
