// Owns the relay's JSON-lines logger: one object per line on stdout, levels filtered at the source.
import type { Config } from './config.js';

export type Logger = Record<'debug' | 'info' | 'warn' | 'error', (msg: string, fields?: Record<string, unknown>) => void>;
const ORDER = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 } as const;

/**
 * Writes log lines to stdout until stdout breaks (EPIPE: whoever read the logs went away), then drops them. Left
 * unhandled, that write error came back as an uncaught exception, whose handler logs it, which failed the same way:
 * the relay spun at 100% CPU on it and never reached its SIGTERM handler (seen when the bench that started it exited).
 */
let stdoutBroken = false;
let watchingStdout = false;
function toStdout(line: string): void {
  if (!watchingStdout) {
    watchingStdout = true;
    process.stdout.on('error', () => (stdoutBroken = true));
  }
  if (!stdoutBroken) process.stdout.write(line + '\n');
}

export function createLogger(level: Config['logLevel'], write: (line: string) => void = toStdout): Logger {
  const at = (lvl: Exclude<Config['logLevel'], 'silent'>) => (msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[lvl] >= ORDER[level]) write(JSON.stringify({ time: new Date().toISOString(), level: lvl, msg, ...fields }));
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
