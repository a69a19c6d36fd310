// `bw` against a real relay process: two terminal users befriend, post both ways, read their feeds, remove; and every error's code.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { bwUser, ok, relayForTests } from './cli-harness.js';

describe('bw ↔ bw through a real relay', () => {
  const relay = relayForTests();

  // Post ids are random base64url: one in 32 starts with '-', which a command line takes for an option; `--` before
  // the id, as README says, keeps these runs from failing at random.
  test('invite, accept, post both ways; each feed shows the other with the right author; after remove nothing new arrives', async () => {
    const ann = bwUser(relay.url);
    const bob = bwUser(relay.url);
    ok(await ann.run(['init', 'Ann']), 'ann init');
    ok(await bob.run(['init', 'Bob']), 'bob init');
    const inv = await ann.run(['invite', '--json']);
    ok(inv, 'invite');
    const { code, link } = inv.json[0];
    assert.match(link, /#invite=bw1\./);

    // Ann is online (following) while Bob accepts: the request reaches her at once.
    const follow = ann.spawn(['feed', '--follow', '--json']);
    await follow.line((o) => o.event === 'following');
    const acc = await bob.run(['accept', link, '--json']);
    ok(acc, 'accept');
    assert.equal(acc.json[0].name, 'Ann');
    await follow.line((o) => o.event === 'friend' && o.name === 'Bob');
    follow.child.kill('SIGINT');
    ok(await follow.done, 'follow ends on Ctrl-C');

    ok(await bob.run(['post', 'hello from the terminal, Ann']), 'bob post');
    ok(await ann.run(['post', '-'], { input: 'and hello back, Bob\n' }), 'ann post from stdin');

    const annFeed = await ann.run(['feed', '--json']);
    ok(annFeed, 'ann feed');
    const fromBob = annFeed.json.find((p) => p.body === 'hello from the terminal, Ann');
    assert.ok(fromBob, `Ann's feed has Bob's post: ${annFeed.stdout}`);
    assert.equal(fromBob.name, 'Bob');
    assert.equal(fromBob.via, 'relay');
    assert.equal(annFeed.json[0].body, 'and hello back, Bob', 'newest first');

    const bobFeed = await bob.run(['feed', '--json']);
    ok(bobFeed, 'bob feed');
    const fromAnn = bobFeed.json.find((p) => p.body === 'and hello back, Bob');
    assert.ok(fromAnn, `Bob's feed has Ann's post: ${bobFeed.stdout}`);
    assert.equal(fromAnn.name, 'Ann');

    // Following shows what arrives besides posts: Bob's reply and reaction under Ann's post.
    const watching = ann.spawn(['feed', '--follow', '--json']);
    await watching.line((o) => o.event === 'following');
    ok(await bob.run(['reply', '--', fromAnn.id, 'nice to hear from you']), 'bob replies');
    ok(await bob.run(['react', '--', fromAnn.id, '🎉']), 'bob reacts');
    const replied = await watching.line((o) => o.event === 'reply');
    assert.deepEqual([replied.name, replied.body, replied.on], ['Bob', 'nice to hear from you', `${fromAnn.author}:${fromAnn.id}`]);
    const reacted = await watching.line((o) => o.event === 'reaction');
    assert.deepEqual([reacted.name, reacted.emoji], ['Bob', '🎉']);
    watching.child.kill('SIGINT');
    ok(await watching.done, 'follow ends on Ctrl-C');

    const friends = await bob.run(['friends', '--json']);
    assert.equal(friends.json[0].name, 'Ann');
    assert.equal(friends.json[0].status, 'mutual');
    assert.match(friends.json[0].safetyNumber, /\d/);
    assert.deepEqual(friends.json[0].devices.map((d: { name: string }) => d.name), ['Terminal'], "Ann's device list came with the friendship");

    ok(await bob.run(['remove', 'Ann']), 'bob removes Ann');
    await ann.run(['post', 'after the remove']);
    const later = await bob.run(['feed', '--json']);
    ok(later, 'bob feed after remove');
    assert.ok(!later.json.some((p) => p.body === 'after the remove'), `nothing new arrives: ${later.stdout}`);

    const status = await ann.run(['status', '--json']);
    ok(status, 'status');
    assert.deepEqual({ ...status.json[0], relay: undefined }, { relay: undefined, reachable: true, loggedIn: true, name: 'Ann', friends: 1, outbox: status.json[0].outbox });
  });

  test('befriending while never online together: the request waits at the relay until the inviter next runs a command', async () => {
    const cy = bwUser(relay.url);
    const dan = bwUser(relay.url);
    ok(await cy.run(['init', 'Cy']), 'cy init');
    ok(await dan.run(['init', 'Dan']), 'dan init');
    const { code } = (await cy.run(['invite', '--json'])).json[0];
    const acc = await dan.run(['accept', code, '--json']);
    ok(acc, 'accept while Cy is offline');
    assert.equal(acc.json[0].delivered, false);
    assert.equal(acc.json[0].waiting, true, 'the request was left at the relay, and bw says so');
    const cyFriends = await cy.run(['feed', '--json']); // Cy's next command fetches the request from her mailbox
    ok(cyFriends, 'cy feed');
    const list = await cy.run(['friends', '--json']);
    assert.deepEqual(list.json.map((f) => [f.name, f.status]), [['Dan', 'mutual']]);
    ok(await cy.run(['post', 'welcome, Dan']), 'cy post');
    const danFeed = await dan.run(['feed', '--json']);
    assert.ok(danFeed.json.some((p) => p.body === 'welcome, Dan' && p.name === 'Cy'), danFeed.stdout);
    ok(await dan.run(['post', 'thanks, Cy']), 'dan post');
    const back = await cy.run(['feed', '--json']);
    assert.ok(back.json.some((p) => p.body === 'thanks, Cy' && p.name === 'Dan'), back.stdout);

    const ed = bwUser(relay.url); // the same, as a person reads it
    ok(await ed.run(['init', 'Ed']), 'ed init');
    const said = await dan.run(['accept', (await ed.run(['invite', '--json'])).json[0].code]);
    assert.match(said.stdout, /waits at the relay until they next connect/);
  });

  test('lists, replies, reactions, edits, deletes and profiles from the terminal; refusals exit 3 with their code', async () => {
    const [ann, bob, cat] = [bwUser(relay.url), bwUser(relay.url), bwUser(relay.url)];
    ok(await ann.run(['init', 'Ann']), 'ann init');
    ok(await bob.run(['init', 'Bob']), 'bob init');
    ok(await cat.run(['init', 'Cat']), 'cat init');
    for (const friend of [bob, cat]) {
      const { code } = (await ann.run(['invite', '--json'])).json[0];
      ok(await friend.run(['accept', code]), 'accept');
      ok(await ann.run(['feed']), 'ann hears the request');
    }
    ok(await bob.run(['profile', '--bio', 'trains and tea']), 'bob profile');
    const saved = await ann.run(['list', 'save', 'Close friends', 'Bob', '--json']);
    ok(saved, 'list save');
    assert.deepEqual(saved.json[0].names, ['Bob']);
    const secret = await ann.run(['post', 'only for Bob', '--to', 'close friends', '--json']);
    ok(secret, 'post --to');
    assert.equal(secret.json[0].to.length, 1);
    const open = await ann.run(['post', 'for all', '--json']);
    ok(open, 'post');
    const id = open.json[0].id;

    ok(await bob.run(['reply', '--', id, 'hi Ann']), 'bob reply');
    ok(await bob.run(['react', '--', id, '🎉']), 'bob react');
    ok(await ann.run(['feed']), 'ann passes them on');
    const catFeed = await cat.run(['feed', '--json']);
    ok(catFeed, 'cat feed');
    assert.ok(!catFeed.json.some((p) => p.body === 'only for Bob'), `Cat never gets the list's post: ${catFeed.stdout}`);
    const seen = catFeed.json.find((p) => p.id === id);
    assert.deepEqual(seen.replies.map((r: { name: string; verified: boolean; body: string }) => [r.name, r.verified, r.body]), [['Bob', true, 'hi Ann']]);
    assert.deepEqual(seen.reactions.map((r: { emoji: string; count: number }) => [r.emoji, r.count]), [['🎉', 1]]);

    ok(await ann.run(['edit', '--', id, 'for all, edited']), 'edit');
    const edited = (await cat.run(['feed', '--json'])).json.find((p) => p.id === id);
    assert.equal(edited.body, 'for all, edited');
    assert.ok(edited.edited);
    const human = await cat.run(['feed']);
    assert.match(human.stdout, /edited/);
    assert.match(human.stdout, /↳ Bob: hi Ann/);

    const notMine = await bob.run(['edit', '--json', '--', id, 'mine now']);
    assert.equal(notMine.code, 3);
    assert.equal(notMine.json.at(-1).code, 'not-author');
    const unknown = await bob.run(['reply', 'AAAAAAAAAAAAAAAAAAAAAA', 'hello?', '--json']);
    assert.equal(unknown.code, 3);
    assert.equal(unknown.json.at(-1).code, 'unknown-post');
    const longBio = await bob.run(['profile', '--bio', 'b'.repeat(161), '--json']);
    assert.equal(longBio.code, 3);
    assert.equal(longBio.json.at(-1).code, 'oversize');
    assert.equal((await bob.run(['react', '--', id])).code, 1, 'an emoji or --remove');

    ok(await ann.run(['delete', '--', id]), 'delete');
    const gone = (await cat.run(['feed', '--json'])).json.find((p) => p.id === id);
    assert.deepEqual([gone.deleted, gone.body, gone.replies.length], [true, '', 0]);
    ok(await ann.run(['list', 'delete', 'Close friends']), 'list delete');
    assert.deepEqual((await ann.run(['list', '--json'])).json, [{ ok: true, lists: 0 }]);
  });

  test('each failure prints one line saying what and what to do, with its exit code', async () => {
    const eve = bwUser(relay.url);
    const usage = await eve.run(['post']);
    assert.equal(usage.code, 1, 'missing argument is a usage error');
    const none = await eve.run(['feed']);
    assert.equal(none.code, 1, 'no identity yet');
    assert.match(none.stderr, /bw init/);
    ok(await eve.run(['init', 'Eve']), 'init');
    const again = await eve.run(['init', 'Eve']);
    assert.equal(again.code, 3);
    assert.match(again.stderr, /already holds the identity "Eve"/);
    const wrong = await eve.run(['friends'], { env: { BW_PASSPHRASE: 'not it' } });
    assert.equal(wrong.code, 3);
    assert.match(wrong.stderr, /wrong passphrase/);
    const bad = await eve.run(['accept', 'bw1.not-an-invite']);
    assert.equal(bad.code, 3);
    assert.match(bad.stderr, /invite code/);
    const unknown = await eve.run(['remove', 'Mallory']);
    assert.equal(unknown.code, 3);
    assert.match(unknown.stderr, /no friend called "Mallory"/);
    const down = await eve.run(['feed', '--relay', 'http://127.0.0.1:9']);
    assert.equal(down.code, 2);
    assert.match(down.stderr, /relay at http:\/\/127\.0\.0\.1:9 is unreachable/);
    const queued = await eve.run(['post', 'while the relay is down', '--relay', 'http://127.0.0.1:9']);
    assert.equal(queued.code, 2);
    assert.match(queued.stderr, /unreachable; the post is saved/);
    const json = await eve.run(['status', '--json', '--relay', 'http://127.0.0.1:9']);
    assert.equal(json.code, 2);
    assert.equal(json.json.at(-1).code, 'unavailable');
    for (const r of [again, wrong, bad, unknown, down, queued]) assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
  });

  test('one bw per data dir: a second one while the first runs is refused (busy) and changes nothing; afterwards it runs', async () => {
    const gil = bwUser(relay.url);
    ok(await gil.run(['init', 'Gil']), 'init');
    const follow = gil.spawn(['feed', '--follow', '--json']);
    await follow.line((o) => o.event === 'following');
    // Two processes on one SQLite file would each number posts from their own memory, and friends would refuse the clash.
    const second = await gil.run(['post', 'from a second terminal', '--json']);
    assert.equal(second.code, 3, `refused: ${second.stderr}`);
    assert.equal(second.json.at(-1).code, 'busy');
    assert.match(second.stderr, /another bw .*is using/);
    assert.equal(second.stderr.trim().split('\n').length, 1, `one line: ${second.stderr}`);
    follow.child.kill('SIGINT');
    ok(await follow.done, 'follow ends on Ctrl-C');
    ok(await gil.run(['post', 'once the first has ended']), 'post after the first ended');
    const feed = await gil.run(['feed', '--json']);
    assert.deepEqual(feed.json.map((p) => p.body), ['once the first has ended']);
  });

  test('bw link: a second terminal becomes Ann’s device (one short code typed on the first), reads Bob’s posts and posts as Ann', async () => {
    const ann = bwUser(relay.url);
    const bob = bwUser(relay.url);
    ok(await ann.run(['init', 'Ann']), 'ann init');
    ok(await bob.run(['init', 'Bob']), 'bob init');
    const { link } = (await ann.run(['invite', '--json'])).json[0];
    const follow = ann.spawn(['feed', '--follow', '--json']);
    await follow.line((o) => o.event === 'following');
    ok(await bob.run(['accept', link, '--json']), 'accept');
    await follow.line((o) => o.event === 'friend' && o.name === 'Bob');
    follow.child.kill('SIGINT');
    ok(await follow.done, 'follow ends');
    ok(await ann.run(['post', 'before the link']), 'ann posts');

    const phone = bwUser(relay.url);
    const linking = phone.spawn(['link', '--name', 'Ann’s terminal', '--json']);
    const { code } = await linking.line((o) => typeof o.code === 'string');
    assert.match(code, /^bwlink1\./);
    const answering = ann.spawn(['link-device', code, '--json']);
    const shown = await answering.line((o) => typeof o.sas === 'string');
    const onPhone = await linking.line((o) => typeof o.sas === 'string');
    assert.equal(onPhone.sas, shown.sas, 'both show one code');
    answering.child.stdin!.end(`${onPhone.sas}\n`); // what the user reads on the new device and types here
    ok(await answering.done, 'link-device');
    const linked = await linking.done;
    ok(linked, 'link');
    const me = linked.json.at(-1);
    assert.deepEqual([me.name, me.friends], ['Ann', 1], 'the terminal is Ann, with her friend');

    const devices = await ann.run(['devices', '--json']);
    assert.deepEqual(devices.json.map((d) => d.name).sort(), ['Ann’s terminal', 'Terminal']);
    ok(await bob.run(['post', 'hello, all of Ann']), 'bob posts');
    const phoneFeed = await phone.run(['feed', '--json']);
    ok(phoneFeed, 'phone feed');
    assert.ok(phoneFeed.json.some((p) => p.body === 'hello, all of Ann' && p.name === 'Bob'), `the linked terminal reads Bob: ${phoneFeed.stdout}`);
    assert.ok(phoneFeed.json.some((p) => p.body === 'before the link'), 'Ann’s posts came with the link');
    ok(await phone.run(['post', 'from the linked terminal']), 'phone posts');
    const bobFeed = await bob.run(['feed', '--json']);
    assert.ok(bobFeed.json.some((p) => p.body === 'from the linked terminal' && p.name === 'Ann'), `Bob sees it as Ann’s: ${bobFeed.stdout}`);

    // A code typed wrong links nothing.
    const other = bwUser(relay.url);
    const again = other.spawn(['link', '--json']);
    const second = await again.line((o) => typeof o.code === 'string');
    const refusing = ann.spawn(['link-device', second.code, '--json']);
    await refusing.line((o) => typeof o.sas === 'string');
    refusing.child.stdin!.end('000 000\n');
    const refused = await refusing.done;
    assert.equal(refused.json.at(-1)?.code, 'bad-link', refused.stderr);
    again.child.kill('SIGINT');
    assert.equal((await ann.run(['devices', '--json'])).json.length, 2, 'still two devices');
  });
});
