// Owns the `bw` command line: global options (flags, then env, then defaults), the commands' --help, and the exit code.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import * as cmd from './commands.js';
import { BwError } from '../shared/errors.js';
import { createOutput } from './output.js';
import { passphraseSource } from './passphrase.js';

const DEFAULT_RELAY = 'http://127.0.0.1:8787';

interface Globals {
  relay?: string;
  dataDir?: string;
  json?: boolean;
  verbose?: boolean;
}

const positiveInt = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number from 1');
  return n;
};

/** Builds the program; `done` receives the exit code of the command that ran. */
export function program(env: NodeJS.ProcessEnv, done: (code: number) => void): Command {
  const p = new Command('bw')
    .description('BrainWaves from a terminal: signed, end-to-end encrypted posts to your friends, through a relay.')
    .option('--relay <url>', `relay URL (env BW_RELAY, default ${DEFAULT_RELAY})`)
    .option('--data-dir <dir>', 'where this client keeps its keys and posts (env BW_HOME, default ~/.brainwaves)')
    .option('--json', 'print one JSON object per line')
    .option('--verbose', 'also print rejected messages and retries on stderr')
    .showHelpAfterError('(add --help for usage)');

  /** Wraps a command: resolves the globals, runs it, maps a failure to its exit code. */
  const action = (confirm: boolean, f: (run: cmd.Run, ...args: any[]) => Promise<number>) =>
    async function (this: Command, ...args: unknown[]) {
      const g = this.optsWithGlobals<Globals>();
      const out = createOutput(!!g.json);
      const relay = g.relay ?? env.BW_RELAY ?? DEFAULT_RELAY;
      const dataDir = g.dataDir ?? env.BW_HOME ?? join(homedir(), '.brainwaves');
      const run: cmd.Run = { out, client: { relay, dataDir, passphrase: passphraseSource(env, confirm), verbose: !!g.verbose } };
      try {
        done(await f(run, ...args.slice(0, -2), args.at(-2)));
      } catch (e) {
        done(out.fail(e));
      }
    };

  p.command('init').argument('<name>', 'your display name').description('create your identity (keys encrypted under a passphrase)')
    .action(action(true, (run, name: string) => cmd.init(run, name)));
  p.command('invite').option('--qr', 'also draw the link as a QR code').description('print a new invite code and link')
    .action(action(false, (run, o: { qr?: boolean }) => cmd.invite(run, !!o.qr)));
  p.command('accept').argument('<code>', 'an invite code or link').description("accept a friend's invite")
    .action(action(false, (run, code: string) => cmd.accept(run, code)));
  p.command('friends').description('list friends: name, fingerprint, safety number, status')
    .action(action(false, (run) => cmd.friends(run)));
  p.command('remove').argument('<who>', 'friend name or key').description('remove a friend: nothing more goes to or comes from them')
    .action(action(false, (run, who: string) => cmd.drop(run, who, 'remove')));
  p.command('block').argument('<who>', 'friend name or key').description('remove a friend and refuse them from now on')
    .action(action(false, (run, who: string) => cmd.drop(run, who, 'block')));
  p.command('post').argument('<text>', "the post; '-' reads it from stdin").option('--to <list>', 'only the friends on one of your lists (`bw list`)')
    .description('post to all your friends, or to a list of them')
    .action(action(false, (run, text: string, o: { to?: string }) => cmd.post(run, text, o.to)));
  p.command('reply').argument('<post>', 'the post’s id (from `bw feed`)').argument('<text>', "the reply; '-' reads it from stdin")
    .description("reply under a post; everyone who can see the post sees it, through the post's author")
    .action(action(false, (run, post: string, text: string) => cmd.reply(run, post, text)));
  p.command('react').argument('<post>', 'the post’s id').argument('[emoji]', 'one emoji; leave it out with --remove').option('--remove', 'withdraw your reaction')
    .description('react to a post (one emoji per person; a new one replaces yours)')
    .action(action(false, (run, post: string, emoji: string | undefined, o: { remove?: boolean }) => {
      if (!emoji && !o.remove) throw new BwError('usage', 'give an emoji, or --remove');
      return cmd.react(run, post, o.remove ? undefined : emoji);
    }));
  p.command('edit').argument('<post>', 'the id of one of your posts').argument('<text>', "the new text; '-' reads it from stdin")
    .description('replace the text of your post, for everyone it went to (shown "edited")')
    .action(action(false, (run, post: string, text: string) => cmd.edit(run, post, text)));
  p.command('delete').argument('<post>', 'the id of one of your posts').description('delete your post: friends drop its text, replies and reactions and show "deleted"')
    .action(action(false, (run, post: string) => cmd.remove(run, post)));
  p.command('profile').option('--name <name>', 'display name (up to 64 characters)').option('--bio <text>', 'bio (up to 160 characters)')
    .description('show your profile card, or change it and send it to every friend')
    .action(action(false, (run, o: { name?: string; bio?: string }) => cmd.profile(run, o)));
  p.command('list').argument('[action]', 'save or delete; none lists them').argument('[name]', 'the list’s name').argument('[who...]', 'friends (names or keys) for save')
    .description('audience lists for `bw post --to` (kept on this device only)')
    .action(action(false, (run, a: string | undefined, name: string | undefined, who: string[]) => cmd.list(run, a, name, who ?? [])));
  p.command('feed').option('--limit <n>', 'how many posts', positiveInt, 20).option('--follow', 'stay connected and print posts as they arrive (Ctrl-C stops)')
    .option('--search <words>', 'only local posts with these words').option('--before <ts>', 'older posts: the time `bw feed` printed', positiveInt)
    .option('--read', 'mark everything received so far as read')
    .description("fetch your mailbox and print posts with their replies and reactions, newest first")
    .action(action(false, (run, o: { limit: number; follow?: boolean; search?: string; before?: number; read?: boolean }) => cmd.feed(run, o.limit, !!o.follow, o)));
  p.command('status').description('relay reachable, logged in, friends, posts waiting in the outbox')
    .action(action(false, (run) => cmd.status(run)));
  p.command('link').option('--name <name>', 'this device’s name in your device list', 'Terminal').option('--qr', 'also draw the code as a QR code')
    .description('link this terminal to an identity you already have on another device (prints a code to give that device)')
    .action(action(true, (run, o: { name: string; qr?: boolean }) => cmd.link(run, o.name, !!o.qr)));
  p.command('link-device').argument('<code>', 'the code the new device shows').description('link a new device to your identity: both show a short code, you type it here to confirm')
    .action(action(false, (run, code: string) => cmd.linkDevice(run, code)));
  p.command('devices').argument('[action]', 'remove; none lists them').argument('[key]', 'the device’s key, for remove').description('list your devices, or remove one (nothing posted afterwards reaches it)')
    .action(action(false, (run, a: string | undefined, key: string | undefined) => cmd.devices(run, a, key)));
  const backup = p.command('backup').description('move your identity between a browser and a terminal');
  backup.command('export').argument('<file>', "where to write it ('-': stdout)").description('write a backup of your keys, profile and friends (opens with your passphrase)')
    .action(action(false, (run, file: string) => cmd.backupExport(run, file)));
  backup.command('import').argument('<file>', "a key backup from a browser or a terminal ('-': stdin)").description('restore an identity (and, from a v2 backup, its friends and profile)')
    .action(action(false, (run, file: string) => cmd.backupImport(run, file)));
  return p;
}
