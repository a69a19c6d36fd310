// Owns what `bw` prints: human lines or one JSON object per line, the spinner, and failures mapped to exit codes.
import { createSpinner } from 'nanospinner';
import { isBwError, type ErrorCode } from '../shared/errors.js';

/** Exit codes (README "From a terminal"): 0 ok, 1 usage, 2 network, 3 refused input. */
export const EXIT = { ok: 0, usage: 1, network: 2, refused: 3 } as const;

const NETWORK: ErrorCode[] = ['unavailable', 'offline', 'rate-limited', 'quota'];
const USAGE: ErrorCode[] = ['unauthenticated', 'usage'];

/** The exit code for a failure: network trouble 2, a usage mistake 1, anything the client refused 3. */
export function exitCodeOf(e: unknown): number {
  if (!isBwError(e)) return EXIT.usage; // a bug, not the user's input: the stack is printed
  if (NETWORK.includes(e.code)) return EXIT.network;
  if (USAGE.includes(e.code)) return EXIT.usage;
  return EXIT.refused;
}

/** What to do about a failure, by code: the second half of the one line a failure prints. */
const HINT: Partial<Record<ErrorCode, string>> = {
  'wrong-passphrase': 'check the passphrase (or BW_PASSPHRASE) and try again',
  'bad-invite': 'ask your friend to send the whole invite code or link again',
  'bad-signature': 'the invite was altered on the way; ask for a new one',
  expired: 'ask your friend for a fresh invite (`bw invite`)',
  revoked: 'ask your friend for a fresh invite',
  'self-invite': 'send this invite to a friend instead',
  'not-friend': 'see `bw friends` for the names you can use',
  unavailable: 'check that the relay is running, or pass another --relay URL',
  unauthenticated: 'create one with `bw init NAME` or `bw backup import FILE`',
  busy: 'wait for it to end (Ctrl-C stops a bw feed --follow), or use another --data-dir',
};

export interface Output {
  readonly json: boolean;
  /** One result: a line for people, an object for --json. */
  line(human: string, data: object): void;
  /** Runs `work` with a spinner on a terminal (never with --json or when stderr is not a TTY). */
  wait<T>(text: string, work: () => Promise<T>): Promise<T>;
  /** Prints the failure as one line (stderr; with --json also a JSON line on stdout) and returns its exit code. */
  fail(e: unknown): number;
}

export function createOutput(json: boolean, stdout: NodeJS.WriteStream = process.stdout, stderr: NodeJS.WriteStream = process.stderr): Output {
  return {
    json,
    line(human, data) {
      stdout.write(json ? `${JSON.stringify(data)}\n` : `${human}\n`);
    },
    async wait(text, work) {
      // A terminal of unknown width (columns 0, e.g. some ptys) would make the spinner's line count infinite.
      if (json || !stderr.isTTY || !stderr.columns) return work();
      const spinner = createSpinner(text, { stream: stderr }).start();
      try {
        return await work();
      } finally {
        spinner.stop(); // clears its line
      }
    },
    fail(e) {
      const code = exitCodeOf(e);
      const message = isBwError(e) ? e.message : e instanceof Error ? e.message : String(e);
      const hint = isBwError(e) ? HINT[e.code] : undefined;
      if (!isBwError(e)) stderr.write(`${(e as Error)?.stack ?? e}\n`);
      stderr.write(`bw: ${message}${hint ? ` (${hint})` : ''}\n`);
      if (json) stdout.write(`${JSON.stringify({ ok: false, code: isBwError(e) ? e.code : 'internal', message, exit: code })}\n`);
      return code;
    },
  };
}
