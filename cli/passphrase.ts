// Owns getting the passphrase that opens the secret keys: env BW_PASSPHRASE for scripts, else a hidden terminal prompt.
import password from '@inquirer/password';
import { BwError } from '../shared/errors.js';

/** Asks at most once per command; `confirm` asks twice (a new passphrase) and refuses a mismatch. */
export function passphraseSource(env: NodeJS.ProcessEnv, confirm = false): () => Promise<string> {
  let answer: Promise<string> | undefined;
  const ask = async (): Promise<string> => {
    if (env.BW_PASSPHRASE) return env.BW_PASSPHRASE;
    if (!process.stdin.isTTY) throw new BwError('usage', 'no passphrase: set BW_PASSPHRASE, or run bw on a terminal to be asked');
    const first = await password({ message: 'Passphrase for your keys:', mask: true });
    if (!first) throw new BwError('usage', 'the passphrase must not be empty');
    if (confirm && (await password({ message: 'Once more:', mask: true })) !== first) throw new BwError('usage', 'the two passphrases differ');
    return first;
  };
  return () => (answer ??= ask());
}
