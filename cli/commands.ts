// Owns what each `bw` command does, over the terminal client (cli/node-client.ts) and the output (cli/output.ts).
import { readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import { renderUnicodeCompact } from 'uqr';
import { BwError, isBwError } from '../shared/errors.js';
import { fingerprint } from '../shared/crypto/identity.js';
import { extractInviteCode, inviteLink, readInvite } from '../shared/crypto/invite.js';
import { linkLink } from '../shared/crypto/link.js';
import type { ClientState } from '../client/core/context.js';
import type { ListRow, PostRow } from '../client/core/types.js';
import type { FeedItem } from '../client/core/feed-view.js';
import { readMarkFor } from '../client/core/feed.js';
import type { Written } from '../client/core/social.js';
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
    const rows = (await c.store.listFriends()).filter((f) => f.person === undefined); // device rows are listed under their person
    const shown = new Map(c.core.state.friends.map((f) => [f.key, f]));
    if (!rows.length) run.out.line('No friends yet: `bw invite`, or `bw accept CODE`', { ok: true, friends: 0 });
    for (const f of rows) {
      const s = shown.get(f.key);
      const devices = s?.devices ?? [];
      const data = { name: f.name, key: f.key, fingerprint: fingerprint(f), safetyNumber: s?.safetyNumber, status: f.status, devices };
      const listed = devices.map((d) => `\n  device "${d.name}", added ${new Date(d.added).toISOString().slice(0, 10)}`).join('');
      run.out.line(`${f.name}  ${f.status}\n  key ${f.key}\n  fingerprint ${data.fingerprint}\n  safety number ${data.safetyNumber}${listed}`, data);
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

/**
 * Runs a command that sends: online if the relay can be reached, else it still runs and what it sent waits in the
 * outbox; the command then ends 'unavailable' (exit 2) saying so.
 */
const sending = (run: Run, what: string, fn: (c: NodeClient) => Promise<number>): Promise<number> =>
  withClient(run, true, async (c) => {
    let down: unknown;
    await online(run, c).catch((e) => {
      if (!isBwError(e, 'unavailable')) throw e;
      down = e; // still saved: it leaves from the outbox on a later command
    });
    const code = await fn(c);
    await c.core.idle();
    if (down) throw new BwError('unavailable', `${(down as Error).message}; the ${what} is saved and leaves with the next bw command that reaches it`);
    return code;
  });

const arg = (text: string) => (text === '-' ? readText('-').replace(/\n$/, '') : text);

/** How a send left: to how many, and how many wait in the outbox. */
function sentLine(run: Run, verb: string, w: Written): void {
  const delivery = w.delivery ?? {};
  const queued = Object.values(delivery).filter((d) => d === 'queued').length;
  run.out.line(`${verb} ${w.id} to ${w.to.length} friend(s)${queued ? `, ${queued} waiting in the outbox` : ''}`, { ok: true, id: w.id, key: w.key, seq: w.seq, to: w.to, delivery });
}

/** One of my lists by name (case-insensitive) or id. */
async function findList(c: NodeClient, which: string): Promise<ListRow> {
  const lists = await c.store.listLists();
  const l = lists.find((x) => x.id === which) ?? lists.find((x) => x.name.toLowerCase() === which.toLowerCase());
  if (!l) throw new BwError('usage', `no list called "${which}" (see \`bw list\`)`);
  return l;
}

export const post = (run: Run, text: string, to?: string): Promise<number> =>
  sending(run, 'post', async (c) => {
    const audience = to === undefined ? undefined : (await findList(c, to)).id;
    sentLine(run, 'Posted', await c.core.post({ text: arg(text), ...(audience && { audience }) }));
    return EXIT.ok;
  });

export const reply = (run: Run, postId: string, text: string): Promise<number> =>
  sending(run, 'reply', async (c) => {
    sentLine(run, 'Replied', await c.core.reply(postId, arg(text)));
    return EXIT.ok;
  });

export const react = (run: Run, postId: string, emoji: string | undefined): Promise<number> =>
  sending(run, 'reaction', async (c) => {
    sentLine(run, emoji ? `Reacted ${emoji}` : 'Withdrew the reaction', await c.core.react(postId, emoji ?? null));
    return EXIT.ok;
  });

export const edit = (run: Run, postId: string, text: string): Promise<number> =>
  sending(run, 'edit', async (c) => {
    sentLine(run, 'Edited', await c.core.edit(postId, arg(text)));
    return EXIT.ok;
  });

export const remove = (run: Run, postId: string): Promise<number> =>
  sending(run, 'delete', async (c) => {
    sentLine(run, 'Deleted', await c.core.delete(postId));
    return EXIT.ok;
  });

/** Shows my profile card, or signs a new one and sends it to every friend. */
export const profile = (run: Run, o: { name?: string; bio?: string }): Promise<number> => {
  const show = (c: NodeClient) => {
    const p = c.core.state.profile!;
    run.out.line(`name  ${p.name}\nbio   ${p.bio || '(none)'}`, { ok: true, ...p });
  };
  if (o.name === undefined && o.bio === undefined) return withClient(run, false, async (c) => (show(c), EXIT.ok));
  return sending(run, 'profile', async (c) => {
    const now = c.core.state.profile!;
    await c.core.saveProfile({ name: o.name ?? now.name, bio: o.bio ?? now.bio });
    show(c);
    return EXIT.ok;
  });
};

const showList = (run: Run, c: NodeClient, l: ListRow) => {
  const names = new Map(c.core.state.friends.map((f) => [f.key, f.name]));
  const who = l.members.map((k) => names.get(k) ?? `${k.slice(0, 8)}… (no longer a friend)`);
  run.out.line(`${l.name}  (${l.id})\n  ${who.join(', ') || '(nobody)'}`, { id: l.id, name: l.name, members: l.members, names: who });
};

/** `bw list`, `bw list save NAME WHO...`, `bw list delete NAME`: audience lists, kept on this device only. */
export const list = (run: Run, action: string | undefined, name: string | undefined, who: string[]): Promise<number> =>
  withClient(run, false, async (c) => {
    if (action === undefined) {
      const lists = await c.store.listLists();
      if (!lists.length) run.out.line('No lists yet: `bw list save "Close friends" NAME...`', { ok: true, lists: 0 });
      for (const l of lists) showList(run, c, l);
      return EXIT.ok;
    }
    if (!name) throw new BwError('usage', `bw list ${action} needs a list name`);
    if (action === 'delete') {
      const l = await findList(c, name);
      await c.core.deleteList(l.id);
      run.out.line(`Deleted the list ${l.name}`, { ok: true, deleted: l.id });
      return EXIT.ok;
    }
    if (action !== 'save') throw new BwError('usage', `bw list: unknown action "${action}" (save or delete)`);
    const existing = (await c.store.listLists()).find((l) => l.name.toLowerCase() === name.toLowerCase());
    const saved = await c.core.saveList({ ...(existing && { id: existing.id }), name, members: who.map((w) => findFriend(c.core.state, w)) });
    showList(run, c, saved);
    return EXIT.ok;
  });

const when = (ts: number) => new Date(ts).toISOString().replace('T', ' ').slice(0, 16);

/** A post, its reactions and its thread, compactly; --json keeps the FeedItem's fields (names for people). */
function showItem(run: Run, i: FeedItem): void {
  const who = (p: { name: string; verified: boolean }) => `${p.name}${p.verified ? '' : '?'}`;
  const flags = [i.mine && '(me)', i.unread && 'new', i.edited && 'edited', i.audience?.list && `to ${i.audience.list}`].filter(Boolean).join(' ');
  const lines = [`${when(i.ts)}  ${who(i.author)}${flags ? ` ${flags}` : ''}  [${i.via}]  ${i.id}`];
  lines.push(i.deleted ? '  (deleted)' : `  ${i.body.replace(/\n/g, '\n  ')}`);
  if (i.photos.length) lines.push(`  [${i.photos.length} photo${i.photos.length > 1 ? 's' : ''}]`);
  if (i.reactions.length) lines.push(`  ${i.reactions.map((r) => `${r.emoji} ${r.count} (${r.who.map(who).join(', ')})`).join('  ')}`);
  for (const r of i.replies) lines.push(`  ↳ ${who(r.author)}: ${r.deleted ? '(deleted)' : r.body.replace(/\n/g, ' ')}${r.edited ? ' (edited)' : ''}`);
  const person = (p: { key: string; name: string; verified: boolean }) => ({ key: p.key, name: p.name, verified: p.verified });
  run.out.line(lines.join('\n'), {
    id: i.id, author: i.author.key, name: i.author.name, verified: i.author.verified, ts: i.ts, body: i.body, via: i.via, mine: i.mine,
    ...(i.edited && { edited: i.edited }), deleted: i.deleted, unread: i.unread, photos: i.photos.length,
    reactions: i.reactions.map((r) => ({ emoji: r.emoji, count: r.count, mine: r.mine, who: r.who.map(person) })),
    replies: i.replies.map((r) => ({ id: r.id, author: r.author.key, name: r.author.name, verified: r.author.verified, ts: r.ts, body: r.body, deleted: r.deleted, ...(r.edited && { edited: r.edited }) })),
    ...(i.audience && { audience: { ...(i.audience.list && { list: i.audience.list }), to: i.audience.to.map(person) } }),
  });
}

const showPost = (run: Run, p: PostRow & { authorName: string; mine: boolean }) =>
  run.out.line(`${new Date(p.ts).toISOString()}  ${p.authorName}${p.mine ? ' (me)' : ''}  [${p.via}]\n  ${p.body.replace(/\n/g, '\n  ')}`, {
    author: p.author, name: p.authorName, seq: p.seq, ts: p.ts, body: p.body, via: p.via, mine: p.mine,
  });

/** One line for something a friend's envelope carried while following: a post in full, the rest as what happened. */
async function showReceived(run: Run, c: NodeClient, p: PostRow, authorName: string): Promise<void> {
  if (!p.kind || p.kind === 'post') return showPost(run, { ...p, authorName, mine: false });
  const item = p.item ? await c.store.getItem(p.item) : undefined;
  const who = item && item.author !== p.author ? ((await c.store.getItem(`${item.author}:profile`))?.name ?? item.author.slice(0, 8)) : authorName;
  // A reply or reaction names its post; an edit or delete is not stored as an item of its own (it changed its post).
  const on = item?.parent ?? '';
  const to = on ? ` to ${on}` : '';
  const kind = p.kind === 'forward' ? (item?.kind ?? 'forward') : p.kind;
  const text: Record<string, string> = {
    reply: `${who} replied${to}: ${item?.text ?? ''}`,
    reaction: item?.emoji ? `${who} reacted ${item.emoji}${to}` : `${who} took back a reaction${to}`,
    edit: `${who} edited a post`,
    delete: `${who} deleted a post`,
    profile: `${who} updated their profile${item?.name ? ` (${item.name})` : ''}`,
    devices: item?.addedDevices ? `${who} added a device: ${item.addedDevices.map((d) => `"${d.name}"`).join(', ')} (if they did not, compare safety numbers)` : `${who} sent their device list`,
  };
  run.out.line(`${new Date(p.ts).toISOString()}  ${text[kind] ?? `${who}: ${kind}`}`, {
    event: kind, author: item?.author ?? p.author, name: who, ts: p.ts, seq: p.seq, ...(on && { on }),
    ...(item?.text !== undefined && { body: item.text }), ...(item?.emoji !== undefined && { emoji: item.emoji }),
  });
}

export const feed = (run: Run, limit: number, follow: boolean, o: { search?: string; before?: number; read?: boolean } = {}): Promise<number> =>
  withClient(run, true, async (c) => {
    await online(run, c);
    await c.core.idle();
    const page = await c.core.feed({ limit, ...(o.search && { search: o.search }), ...(o.before && { before: o.before }) });
    for (const i of page.items) showItem(run, i);
    if (page.next && !run.out.json) run.out.line(`(older: bw feed --before ${page.next})`, {});
    if (o.read && page.items.length) await c.core.markRead(readMarkFor(page.items)); // what was printed, not what arrived since
    if (!follow) return EXIT.ok;
    const names = () => new Map(c.core.state.friends.map((f) => [f.key, f.name]));
    c.onReceived((p) => void showReceived(run, c, p, names().get(p.author) ?? p.author.slice(0, 8)).catch((e: unknown) => run.out.line(`could not show it: ${String(e)}`, { event: 'error' })));
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
    const friends = c.core.state.friends.length;
    if (file !== '-') run.out.line(`Wrote a backup of your keys, profile and ${friends} friend${friends === 1 ? '' : 's'} to ${file} (it opens with your passphrase; in a browser, "Restore from a key backup"). Friends you add later are not in it.`, { ok: true, file, friends });
    return EXIT.ok;
  });

export async function backupImport(run: Run, file: string): Promise<number> {
  refuseExisting(run);
  const text = readText(file);
  const c = await openClient(run.client, false);
  try {
    await run.out.wait('Decrypting', async () => c.core.importIdentity(text, await run.client.passphrase()));
    const me = c.core.state.me!;
    const friends = c.core.state.friends.length;
    run.out.line(`Restored ${me.name}\nkey          ${me.key}\nfingerprint  ${me.fingerprint}\nfriends      ${friends}`, { ok: true, name: me.name, key: me.key, fingerprint: me.fingerprint, friends });
  } finally {
    c.close();
  }
  return EXIT.ok;
}

/** One line from stdin (a terminal or a pipe), the question on stderr so --json output stays clean. */
async function askLine(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: !!process.stdin.isTTY });
  try {
    return await rl.question(question);
  } finally {
    rl.close();
  }
}

const digitsOf = (s: string): string => s.replace(/\D/g, '');

/** A new terminal: links this data dir to an identity held on another device (a browser or another bw). */
export async function link(run: Run, name: string, qr: boolean): Promise<number> {
  refuseExisting(run);
  const c = await openClient(run.client, false);
  try {
    const l = c.core.startLink(name);
    // The QR code holds the code as a link to the relay's page: a phone's camera opens it at Profile → Devices.
    const picture = qr && !run.out.json ? `\n${renderUnicodeCompact(linkLink(l.code, new URL('/', run.client.relay).href))}` : '';
    run.out.line(`On the device that holds your identity, link a device with this code (Profile → Devices, or \`bw link-device CODE\`); it is valid 10 minutes:\n${l.code}${picture}`, { ok: true, code: l.code });
    const sas = await l.sas;
    run.out.line(`Check that your other device shows this code: ${sas}`, { ok: true, sas });
    await run.out.wait('Waiting for your other device to confirm', () => l.done);
    // Online once as this device: the relay learns who may leave posts in its mailbox, so they wait there for it.
    c.core.connect();
    await online(run, c);
    const me = c.core.state.me!;
    const friends = c.core.state.friends.length;
    run.out.line(`Linked as ${me.name}\nkey          ${me.key}\nfingerprint  ${me.fingerprint}\nfriends      ${friends}`, { ok: true, name: me.name, key: me.key, fingerprint: me.fingerprint, friends });
  } finally {
    c.close();
  }
  return EXIT.ok;
}

/** The primary: answers a new device's code, shows the short code, and links it once the user types that code. */
export const linkDevice = (run: Run, code: string): Promise<number> =>
  withClient(run, true, async (c) => {
    await online(run, c);
    const l = await run.out.wait('Reaching the new device', () => c.core.linkDevice(code));
    run.out.line(`The new device "${l.name}" should show this code: ${l.sas}`, { ok: true, name: l.name, sas: l.sas });
    const typed = await askLine('Type the code the new device shows to link it (Enter cancels): ');
    if (!digitsOf(typed) || digitsOf(typed) !== digitsOf(l.sas)) {
      l.cancel();
      throw new BwError('bad-link', 'the codes differ, or none was typed: nothing was linked');
    }
    await run.out.wait('Linking', () => l.confirm());
    await c.core.idle();
    run.out.line(`Linked "${l.name}". Your friends see that you added a device.`, { ok: true, linked: l.name });
    return EXIT.ok;
  });

/** My devices as my list names them; `remove KEY` takes one out (on the device that holds the identity). */
export const devices = (run: Run, action: string | undefined, key: string | undefined): Promise<number> =>
  withClient(run, action === 'remove', async (c) => {
    if (action === 'remove') {
      if (!key) throw new BwError('usage', 'name the device to remove by its key (`bw devices` lists them)');
      await online(run, c);
      await c.core.removeDevice(key);
      await c.core.idle();
      run.out.line(`Removed ${key.slice(0, 8)}…: nothing posted from now on reaches it`, { ok: true, removed: key });
      return EXIT.ok;
    }
    if (action !== undefined) throw new BwError('usage', `unknown action "${action}": use \`bw devices\` or \`bw devices remove KEY\``);
    const mine = c.core.state.myDevices ?? [];
    if (!mine.length) run.out.line('Only this device (your list is made when you first go online)', { ok: true, devices: [] });
    for (const d of mine) run.out.line(`${d.name}${d.current ? '  (this device)' : ''}\n  key ${d.key}\n  added ${new Date(d.added).toISOString().slice(0, 10)}`, { ...d });
    return EXIT.ok;
  });
