// The ClientStore contract, one case table run against every real store: SQLite in Node, Dexie in Chromium (and the stand-in).
import { generateIdentity, peerId } from '../../shared/crypto/identity.js';
import type { ClientStore } from '../../client/core/ports.js';
import type { FriendRow, ItemRow, PostRow } from '../../client/core/types.js';

export interface StoreCase {
  what: string;
  run(store: ClientStore): Promise<void>;
}

function check(ok: unknown, what: string): void {
  if (!ok) throw new Error(`store contract: ${what}`);
}
const same = (a: unknown, b: unknown, what: string) => {
  const j = (v: unknown) => JSON.stringify(v, (_k, x) => (x instanceof Uint8Array ? [...x] : x));
  check(j(a) === j(b), `${what}: got ${j(a)}, expected ${j(b)}`);
};

const item = (author: string, id: string, ts: number, extra: Partial<ItemRow> = {}): ItemRow => ({ key: `${author}:${id}`, author, id, kind: 'post', ts, text: `${author} ${id}`, via: 'relay', received: ts, ...extra });

const post = (author: string, seq: number, ts: number, extra: Partial<PostRow> = {}): PostRow => ({ author, seq, ts, body: `${author}#${seq}`, via: 'relay', received: ts, ...extra });

export const storeCases: StoreCase[] = [
  {
    what: 'identity: none, then the same secrets and floor back',
    async run(s) {
      check((await s.getIdentity()) === undefined, 'no identity at first');
      const id = generateIdentity('Zoë');
      await s.putIdentity({ id: 'me', ...id, created: 5, seqFloor: 1234 });
      const back = await s.getIdentity();
      same(back, { id: 'me', ...id, created: 5, seqFloor: 1234 }, 'identity round trip');
      check(back!.sigSecret instanceof Uint8Array, 'secrets come back as bytes');
    },
  },
  {
    what: 'identity of a linked device: its own keys and the identity it speaks for, back as bytes; a friend’s device row keeps its person',
    async run(s) {
      const dev = generateIdentity('Zoë');
      const identity = { sigPub: new Uint8Array(32).fill(4), dhPub: new Uint8Array(32).fill(5) };
      await s.putIdentity({ id: 'me', ...dev, created: 6, identity });
      const back = await s.getIdentity();
      same(back, { id: 'me', ...dev, created: 6, identity }, 'linked identity round trip');
      check(back!.identity!.sigPub instanceof Uint8Array, 'the identity comes back as bytes');
      const row: FriendRow = { key: 'd1', name: 'phone', sigPub: new Uint8Array(32).fill(6), dhPub: new Uint8Array(32).fill(7), wrapKey: new Uint8Array(32).fill(8), status: 'mutual', added: 1, person: 'k1' };
      await s.putBatch({ friends: [row] });
      same((await s.listFriends()).find((f) => f.key === 'd1'), row, 'device row');
    },
  },
  {
    what: 'friends: put, status, nested invite bytes, delete',
    async run(s) {
      const f: FriendRow = { key: 'k1', name: 'Ann', sigPub: new Uint8Array(32).fill(1), dhPub: new Uint8Array(32).fill(2), wrapKey: new Uint8Array(32).fill(3), mailboxOut: 'cap', mailboxAllow: 'tag', status: 'pending', added: 7, invite: { token: new Uint8Array(16).fill(9), relay: 'http://r', expires: 99 } };
      await s.putFriend(f);
      await s.putFriend({ ...f, key: 'k2', name: 'Bo', status: 'mutual', invite: undefined, answered: 'tok' });
      await s.setFriendStatus('k1', 'mutual');
      const all = (await s.listFriends()).sort((a, b) => a.key.localeCompare(b.key));
      same(all[0], { ...f, status: 'mutual' }, 'friend with its invite');
      same(all[1]!.answered, 'tok', 'answered token');
      await s.deleteFriend('k1');
      same((await s.listFriends()).map((x) => x.key), ['k2'], 'after delete');
    },
  },
  {
    what: 'blocked and invites: put, revoke, delete',
    async run(s) {
      await s.putBlocked({ key: 'b', at: 3 });
      same(await s.listBlocked(), [{ key: 'b', at: 3 }], 'blocked');
      await s.deleteBlocked('b');
      same(await s.listBlocked(), [], 'unblocked');
      await s.putInvite({ token: 't1', expires: 10 });
      await s.putInvite({ token: 't2', expires: 20 });
      await s.revokeInvite('t1', 15);
      await s.revokeInvite('nope', 15);
      same(await s.getInvite('t1'), { token: 't1', expires: 10, revoked: 15 }, 'revoked invite');
      same(await s.getInvite('t2'), { token: 't2', expires: 20 }, 'open invite has no revoked field');
      check((await s.getInvite('nope')) === undefined, 'unknown invite');
      await s.deleteInvite('t2');
      same((await s.listInvites()).map((i) => i.token), ['t1'], 'after delete');
    },
  },
  {
    what: 'posts: keys, last seq, newest seqs, by author in order, recent by ts',
    async run(s) {
      for (const [seq, ts] of [[2, 20], [1, 10], [10, 40], [3, 30]] as const) await s.putPost(post('a', seq, ts));
      await s.putPost(post('b', 1, 35));
      await s.putPost(post('a', 3, 30, { body: 'replaced' }));
      same((await s.postKeys()).map(([a, n]) => `${a}${n}`).sort(), ['a1', 'a10', 'a2', 'a3', 'b1'], 'keys');
      same(await s.lastSeq('a'), 10, 'last seq');
      same(await s.lastSeq('nobody'), 0, 'no posts');
      same(await s.seqsOf('a'), [1, 2, 3, 10], 'seqs ascending');
      same(await s.seqsOf('a', 2), [10, 3], 'newest two, descending');
      same((await s.postsBy('a')).map((p) => p.body), ['a#1', 'a#2', 'replaced', 'a#10'], 'by author');
      same((await s.recentPosts(3)).map((p) => `${p.author}${p.seq}`), ['a10', 'b1', 'a3'], 'recent');
    },
  },
  {
    what: 'posts: edits are stored only where the edit says it changed something',
    async run(s) {
      const me = peerId(generateIdentity('x').sigPub);
      await s.putPost(post(me, 1, 1, { via: 'self', delivery: { f: 'relay' } }));
      await s.putPost(post(me, 2, 2, { via: 'self', delivery: { f: 'queued' } }));
      check(await s.editPosts(me, 2, (p) => ((p.delivery!.f = 'relay'), true)), 'one changed');
      check(!(await s.editPosts(me, 1, () => false)), 'none changed');
      check(!(await s.editPosts(me, 9, () => true)), 'no such post');
      check(await s.editPosts(me, undefined, (p) => p.seq === 1 && ((p.delivery!.f = 'delivered'), true)), 'all of an author');
      same((await s.postsBy(me)).map((p) => p.delivery!.f), ['delivered', 'relay'], 'deliveries');
    },
  },
  {
    what: 'stream rows: one by (author, seq), with the v2 fields',
    async run(s) {
      await s.putPost(post('a', 4, 40, { kind: 'reply', item: 'a:x', streams: { f: 9 }, content: 'AQ', refused: undefined }));
      same(await s.getPost('a', 4), post('a', 4, 40, { kind: 'reply', item: 'a:x', streams: { f: 9 }, content: 'AQ' }), 'round trip');
      check((await s.getPost('a', 5)) === undefined, 'absent');
    },
  },
  {
    what: 'items: put, get, replace, delete, by parent',
    async run(s) {
      const photos = [{ id: 'A'.repeat(43), key: 'B'.repeat(43), mime: 'image/webp' as const, w: 10, h: 20, bytes: 30 }];
      const p = item('a', 'p1', 10, { photos, audience: { list: 'Close', to: ['b'] }, seq: 3 });
      await s.putItem(p);
      await s.putItem(item('b', 'r1', 11, { kind: 'reply', parent: 'a:p1' }));
      await s.putItem(item('c', 'reaction:a:p1', 12, { kind: 'reaction', parent: 'a:p1', emoji: '👍', text: undefined }));
      await s.putItem(item('c', 'r2', 13, { kind: 'reply', parent: 'a:other' }));
      same(await s.getItem('a:p1'), p, 'round trip with nested fields');
      same((await s.itemsByParent(['a:p1'])).map((i) => i.key).sort(), ['b:r1', 'c:reaction:a:p1'], 'thread of one post');
      same((await s.itemsByParent(['a:p1', 'a:other'])).length, 3, 'threads of two posts');
      same(await s.itemsByParent([]), [], 'no parents');
      same((await s.itemsWithId('p1')).map((i) => i.key), ['a:p1'], 'by id');
      same(await s.itemsWithId('reaction:a:p1'), [], 'reactions are not found by id');
      await s.putItem({ ...p, text: 'edited', edited: 15 });
      same((await s.getItem('a:p1'))?.text, 'edited', 'replaced');
      await s.deleteItem('b:r1');
      check((await s.getItem('b:r1')) === undefined, 'deleted');
    },
  },
  {
    what: 'items: several by key in one call, in the order asked, undefined where none',
    async run(s) {
      const card = item('a', 'profile', 5, { kind: 'profile', name: 'Ann', text: undefined });
      await s.putItem(card);
      await s.putItem(item('b', 'p1', 6));
      const got = await s.getItems(['nobody:profile', 'a:profile', 'b:p1', 'a:profile']);
      same(got, [undefined, card, item('b', 'p1', 6), card], 'in order, with gaps');
      check(got[0] === undefined, `a missing key gives undefined, not ${got[0]}`);
      same(await s.getItems([]), [], 'no keys');
    },
  },
  {
    what: 'items: posts page by ts, newest first; search by word starts; unread counts',
    async run(s) {
      for (let i = 1; i <= 9; i++) await s.putItem(item(i % 3 ? 'a' : 'me', `p${i}`, i * 10, { text: i === 4 ? 'A Train to Zürich' : `post ${i}`, received: 100 + i }));
      await s.putItem(item('b', 'r', 55, { kind: 'reply', parent: 'a:p1', text: 'train reply' }));
      await s.putItem(item('a', 'gone', 95, { text: '', deleted: 96, received: 200 }));
      same((await s.pagePosts(undefined, 3)).map((p) => p.id), ['gone', 'p9', 'p8'], 'first page');
      same((await s.pagePosts(80, 3)).map((p) => p.id), ['p7', 'p6', 'p5'], 'before 80');
      same((await s.pagePosts(20, 5)).map((p) => p.id), ['p1'], 'last page');
      same((await s.itemsByAuthor('me', ['post'], 5)).map((p) => p.id), ['p9', 'p6', 'p3'], 'one author’s, newest first');
      same((await s.itemsByAuthor('b', ['post', 'reply'], 5)).map((p) => p.id), ['r'], 'of the kinds asked');
      same((await s.itemsByAuthor('a', ['post'], 2)).map((p) => p.id), ['gone', 'p8'], 'as many as asked');
      same((await s.searchPosts('train', 10)).map((p) => p.id), ['p4'], 'posts only, case-insensitive');
      same((await s.searchPosts('zür tra', 10)).map((p) => p.id), ['p4'], 'every word, by its start');
      same((await s.searchPosts('rain', 10)).map((p) => p.id), [], 'word starts, not inside words');
      same((await s.searchPosts('post', 2)).map((p) => p.id), ['p9', 'p8'], 'newest first, limited');
      same(await s.searchPosts('  ', 5), [], 'an empty query finds nothing');
      same(await s.countUnread('me', 104), 3, 'not mine, not deleted, received after');
      same(await s.countUnread('me', 0), 6, 'all of theirs');
    },
  },
  {
    what: 'lists and meta',
    async run(s) {
      await s.putList({ id: 'l1', name: 'Close friends', members: ['b', 'c'] });
      await s.putList({ id: 'l2', name: 'Family', members: [] });
      await s.putList({ id: 'l1', name: 'Close', members: ['b'] });
      same((await s.listLists()).sort((a, b) => a.id.localeCompare(b.id)), [{ id: 'l1', name: 'Close', members: ['b'] }, { id: 'l2', name: 'Family', members: [] }], 'lists');
      await s.deleteList('l2');
      same((await s.listLists()).map((l) => l.id), ['l1'], 'after delete');
      check((await s.getMeta('readUpTo')) === undefined, 'no meta yet');
      await s.putMeta('readUpTo', 42);
      same(await s.getMeta('readUpTo'), 42, 'meta');
    },
  },
  {
    what: 'putBatch: friends, items and stream rows written together, replacing by key; its items are found by search',
    async run(s) {
      const f: FriendRow = { key: 'kb', name: 'Bea', sigPub: new Uint8Array(32).fill(4), dhPub: new Uint8Array(32).fill(5), wrapKey: new Uint8Array(32).fill(6), mailboxOut: 'cap', mailboxAllow: 'tag', status: 'mutual', added: 1 };
      await s.putFriend({ ...f, streamOut: 1 });
      await s.putItem(item('a', 'old', 5, { text: 'before the batch' }));
      await s.putBatch({
        friends: [{ ...f, streamOut: 2 }],
        items: [item('a', 'old', 5, { text: 'replaced in the batch' }), item('a', 'new', 6, { text: 'zebra crossing' })],
        posts: [post('a', 1, 5), post('a', 2, 6, { kind: 'post', item: 'a:new' })],
      });
      same(await s.listFriends(), [{ ...f, streamOut: 2 }], 'friend replaced');
      same((await s.getItem('a:old'))?.text, 'replaced in the batch', 'item replaced');
      same((await s.searchPosts('zebra', 10)).map((i) => i.key), ['a:new'], 'a batch item is indexed for search');
      same(await s.seqsOf('a'), [1, 2], 'stream rows');
      same(await s.getPost('a', 2), post('a', 2, 6, { kind: 'post', item: 'a:new' }), 'stream row round trip');
      await s.putBatch({});
      await s.putBatch({ posts: [post('b', 1, 7)] });
      same(await s.lastSeq('b'), 1, 'a batch of one kind of row');
    },
  },
  {
    what: 'putBatchWith: the items asked for (undefined where none) in order, then the batch made of them is written',
    async run(s) {
      await s.putItem(item('c', 'held', 5));
      let saw: (ItemRow | undefined)[] = [];
      const batch = await s.putBatchWith(['c:none', 'c:held'], (found) => {
        saw = found;
        return { items: [item('c', 'new', 6, { parent: found[1]!.key })], posts: [post('c', 1, 6)] };
      });
      same(saw, [undefined, item('c', 'held', 5)], 'what decide was given');
      same(batch.items?.map((i) => i.key), ['c:new'], 'the batch it answers with');
      same((await s.itemsByParent(['c:held'])).map((i) => i.key), ['c:new'], 'its item written');
      same(await s.seqsOf('c'), [1], 'its stream row written');
      same(await s.putBatchWith([], () => ({})), {}, 'nothing asked, nothing written');
    },
  },
  {
    what: 'outbox: insertion order, delete by id and by recipient',
    async run(s) {
      for (const [to, seq] of [['x', 1], ['y', 1], ['x', 2]] as const) await s.addOutbox({ to, seq, env: `e${to}${seq}`, created: seq });
      const rows = await s.listOutbox();
      same(rows.map((r) => r.env), ['ex1', 'ey1', 'ex2'], 'order');
      check(rows.every((r) => typeof r.id === 'number'), 'ids assigned');
      await s.deleteOutbox(rows[1]!.id!);
      await s.deleteOutboxTo('x');
      same(await s.listOutbox(), [], 'emptied');
    },
  },
  {
    what: 'blobs: bytes and fields round trip, replace, the waiting ones, delete',
    async run(s) {
      const bytes = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 31) & 0xff);
      check((await s.getBlob('nope')) === undefined, 'no blob at first');
      await s.putBlob({ id: 'b1', bytes, stored: 5 });
      await s.putBlob({ id: 'b2', bytes: new Uint8Array([1, 2, 3]), stored: 6, for: ['x', 'y'], pending: ['y'], waiting: 1 });
      const b1 = await s.getBlob('b1');
      same(b1, { id: 'b1', bytes, stored: 5 }, 'a fetched blob');
      check(b1!.bytes instanceof Uint8Array, 'bytes come back as bytes');
      same(await s.getBlob('b2'), { id: 'b2', bytes: new Uint8Array([1, 2, 3]), stored: 6, for: ['x', 'y'], pending: ['y'], waiting: 1 }, 'one of mine');
      same((await s.waitingBlobs()).map((b) => b.id), ['b2'], 'waiting');
      await s.putBlob({ id: 'b2', bytes: new Uint8Array([1, 2, 3]), stored: 6, for: ['x', 'y'], pending: [] });
      same(await s.waitingBlobs(), [], 'sent: no longer waiting');
      await s.deleteBlob('b1');
      check((await s.getBlob('b1')) === undefined, 'deleted');
    },
  },
];
