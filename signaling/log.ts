// Owns the relay's JSON-lines logger: one object per line on stdout, levels filtered at the source.
import type { Config } from './config.js';

export type Logger = Record<'debug' | 'info' | 'warn' | 'error', (msg: string, fields?: Record<string, unknown>) => void>;
const ORDER = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 } as const;

export function createLogger(level: Config['logLevel'], write: (line: string) => void = (l) => process.stdout.write(l + '\n')): Logger {
  const at = (lvl: Exclude<Config['logLevel'], 'silent'>) => (msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[lvl] >= ORDER[level]) write(JSON.stringify({ time: new Date().toISOString(), level: lvl, msg, ...fields }));
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
