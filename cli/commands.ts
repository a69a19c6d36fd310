// Owns what each `bw` command does, over the terminal client (cli/node-client.ts) and the output (cli/output.ts).
import { readFileSync, writeFileSync } from 'node:fs';
import { renderUnicodeCompact } from 'uqr';
import { BwError, isBwError } from '../shared/errors.js';
import { fingerprint } from '../shared/crypto/identity.js';
import { extractInviteCode, inviteLink, readInvite } from '../shared/crypto/invite.js';
import type { ClientState } from '../client/core/context.js';
import type { PostRow } from '../client/core/types.js';
import { openClient, type ClientOptions, type NodeClient } from './node-client.js';
import { openSqliteStore } from './sqlite-store.js';
import { EXIT, type Output } from './output.js';

export interface Run {
  client: ClientOptions;
  out: Output;
}

/** Reads a file ('-': stdin); an unreadable one is a usage error naming it. */
function readText(file: string): string {
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (e) {
    throw new BwError('usage', `cannot read ${file}: ${(e as Error).message}`);
  }
}

async function withClient<T>(run: Run, connect: boolean, fn: (c: NodeClient) => Promise<T>): Promise<T> {
  const c = await openClient(run.client, connect);
  try {
    if (!c.core.state.me) throw new BwError('unauthenticated', `there is no identity in ${run.client.dataDir} yet`);
    return await fn(c);
  } finally {
    c.close();
  }
}

/** Goes online with a spinner; 'unavailable' (exit 2) names the relay tried. */
const online = (run: Run, c: NodeClient) => run.out.wait(`Connecting to ${run.client.relay}`, () => c.online());

function refuseExisting(run: Run): void {
  const store = openSqliteStore({ dataDir: run.client.dataDir, passphrase: () => '' });
  const me = store.peekIdentity();
  store.close();
  if (me) throw new BwError('bad-frame', `${run.client.dataDir} already holds the identity "${me.name}"; use another --data-dir (or BW_HOME)`);
}

export async function init(run: Run, name: string): Promise<number> {
  refuseExisting(run);
  const c = await openClient(run.client, false);
  try {
    await run.out.wait('Making your keys', () => c.core.createIdentity(name));
    const me = c.core.state.me!;
    run.out.line(`Created ${me.name}\nkey          ${me.key}\nfingerprint  ${me.fingerprint}`, { ok: true, name: me.name, key: me.key, fingerprint: me.fingerprint });
  } finally {
    c.close();
  }
  return EXIT.ok;
}

/** Online if it can be: the relay then keeps a friend request that answers the invite until I next connect. */
export const invite = (run: Run, qr: boolean): Promise<number> =>
  withClient(run, true, async (c) => {
    let down: unknown;
    await online(run, c).catch((e) => {
      if (!isBwError(e, 'unavailable')) throw e;
      down = e; // still made: a friend request waits at the relay until I next connect
    });
    const code = await c.core.createInvite();
    await c.core.idle();
    const link = inviteLink(code, new URL('/', run.client.relay).href); // the relay's own page opens it
    const picture = qr && !run.out.json ? `\n${renderUnicodeCompact(link)}` : '';
    run.out.line(`Send this to a friend (valid 7 days):\n${code}\n\nor the link:\n${link}${picture}`, { ok: true, code, link });
    if (down) throw down;
    return EXIT.ok;
  });

export const accept = (run: Run, code: string): Promise<number> =>
  withClient(run, true, async (c) => {
    readInvite(extractInviteCode(code), Date.now()); // a bad code is refused (exit 3) before any network wait
    await online(run, c);
    const { name, key } = await c.core.acceptInvite(code);
    await c.core.idle();
    const heard = c.core.state.friends.find((f) => f.key === key)?.online ?? false;
    const waiting = !heard && (await c.store.listFriends()).some((f) => f.key === key && f.invite?.dropped);
    const where = heard ? 'they got your request' : waiting ? 'your request waits at the relay until they next connect' : 'your request reaches them when you are both online';
    run.out.line(`Added ${name} (${key.slice(0, 8)}…); ${where}`, { ok: true, name, key, delivered: heard, waiting });
    return EXIT.ok;
  });

export const friends = (run: Run): Promise<number> =>
  withClient(run, false, async (c) => {
    const rows = await c.store.listFriends();
    const safety = new Map(c.core.state.friends.map((f) => [f.key, f.safetyNumber]));
    if (!rows.length) run.out.line('No friends yet: `bw invite`, or `bw accept CODE`', { ok: true, friends: 0 });
    for (const f of rows) {
      const data = { name: f.name, key: f.key, fingerprint: fingerprint(f), safetyNumber: safety.get(f.key), status: f.status };
      run.out.line(`${f.name}  ${f.status}\n  key ${f.key}\n  fingerprint ${data.fingerprint}\n  safety number ${data.safetyNumber}`, data);
    }
    return EXIT.ok;
  });

/** A friend by exact key or by name (case-insensitive, must be unique). */
function findFriend(state: ClientState, who: string): string {
  const byKey = state.friends.find((f) => f.key === who);
  if (byKey) return byKey.key;
  const named = state.friends.filter((f) => f.name.toLowerCase() === who.toLowerCase());
  if (named.length === 1) return named[0]!.key;
  if (named.length > 1) throw new BwError('not-friend', `${named.length} friends are called "${who}"; give the key instead`);
  throw new BwError('not-friend', `no friend called "${who}"`);
}

/** Remove or block: done locally at once; the relay hears of it now if it is reachable, else on the next command. */
export const drop = (run: Run, who: string, how: 'remove' | 'block'): Promise<number> =>
  withClient(run, true, async (c) => {
    const key = findFriend(c.core.state, who);
    const name = c.core.state.friends.find((f) => f.key === key)!.name;
    await c.online().catch((e) => {
      if (!isBwError(e, 'unavailable')) throw e;
    });
    await (how === 'block' ? c.core.block(key) : c.core.unfriend(key));
    await c.core.idle();
    run.out.line(`${how === 'block' ? 'Blocked' : 'Removed'} ${name}`, { ok: true, [how === 'block' ? 'blocked' : 'removed']: key, name });
    return EXIT.ok;
  });

export const post = (run: Run, text: string): Promise<number> =>
  withClient(run, true, async (c) => {
    const body = text === '-' ? readText('-').replace(/\n$/, '') : text;
    let down: unknown;
    await online(run, c).catch((e) => {
      if (!isBwError(e, 'unavailable')) throw e;
      down = e; // still saved: it leaves from the outbox on a later command
    });
    const row = await c.core.post(body);
    await c.core.idle();
    const delivery = (await c.store.postsBy(row.author)).find((p) => p.seq === row.seq)?.delivery ?? {};
    const queued = Object.values(delivery).filter((d) => d === 'queued').length;
    run.out.line(`Posted #${row.seq} to ${Object.keys(delivery).length} friend(s)${queued ? `, ${queued} waiting in the outbox` : ''}`, { ok: true, seq: row.seq, delivery });
    if (down) throw new BwError('unavailable', `${(down as Error).message}; the post is saved and leaves with the next bw command that reaches it`);
    return EXIT.ok;
  });

const showPost = (run: Run, p: ClientState['posts'][number] | (PostRow & { authorName: string; mine: boolean })) =>
  run.out.line(`${new Date(p.ts).toISOString()}  ${p.authorName}${p.mine ? ' (me)' : ''}  [${p.via}]\n  ${p.body.replace(/\n/g, '\n  ')}`, {
    author: p.author, name: p.authorName, seq: p.seq, ts: p.ts, body: p.body, via: p.via, mine: p.mine,
  });

export const feed = (run: Run, limit: number, follow: boolean): Promise<number> =>
  withClient(run, true, async (c) => {
    await online(run, c);
    for (const p of c.core.state.posts.slice(0, limit)) showPost(run, p);
    if (!follow) return EXIT.ok;
    const names = () => new Map(c.core.state.friends.map((f) => [f.key, f.name]));
    c.onPost((p) => showPost(run, { ...p, authorName: names().get(p.author) ?? p.author.slice(0, 8), mine: false }));
    let known = new Set(c.core.state.friends.map((f) => f.key));
    void c.until((s) => {
      for (const f of s.friends) if (!known.has(f.key)) run.out.line(`${f.name} is now your friend`, { event: 'friend', name: f.name, key: f.key });
      known = new Set(s.friends.map((f) => f.key));
      return false;
    });
    run.out.line('Following; Ctrl-C to stop', { event: 'following' });
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await c.core.idle();
    return EXIT.ok;
  });

export const status = (run: Run): Promise<number> =>
  withClient(run, true, async (c) => {
    const reached = await online(run, c).then(() => undefined, (e: unknown) => {
      if (!isBwError(e, 'unavailable')) throw e;
      return e;
    });
    const data = {
      relay: run.client.relay,
      reachable: !reached,
      loggedIn: c.core.state.relay === 'connected',
      name: c.core.state.me!.name,
      friends: c.core.state.friends.length,
      outbox: (await c.store.listOutbox()).length,
    };
    run.out.line(`relay      ${data.relay} (${data.reachable ? 'reachable' : 'unreachable'})\nlogged in  ${data.loggedIn ? 'yes' : 'no'} as ${data.name}\nfriends    ${data.friends}\noutbox     ${data.outbox} waiting`, data);
    if (reached) throw reached;
    return EXIT.ok;
  });

export const backupExport = (run: Run, file: string): Promise<number> =>
  withClient(run, false, async (c) => {
    const text = await run.out.wait('Encrypting', async () => c.core.exportBackup(await run.client.passphrase()));
    if (file === '-') process.stdout.write(`${text}\n`);
    else writeFileSync(file, `${text}\n`, { mode: 0o600 });
    if (file !== '-') run.out.line(`Wrote a key backup to ${file} (it opens with your passphrase; in a browser, "Restore from a key backup")`, { ok: true, file });
    return EXIT.ok;
  });

export async function backupImport(run: Run, file: string): Promise<number> {
  refuseExisting(run);
  const text = readText(file);
  const c = await openClient(run.client, false);
  try {
    await run.out.wait('Decrypting', async () => c.core.importIdentity(text, await run.client.passphrase()));
    const me = c.core.state.me!;
    run.out.line(`Restored ${me.name}\nkey          ${me.key}\nfingerprint  ${me.fingerprint}`, { ok: true, name: me.name, key: me.key, fingerprint: me.fingerprint });
  } finally {
    c.close();
  }
  return EXIT.ok;
}
