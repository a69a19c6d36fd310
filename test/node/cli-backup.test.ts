// `bw backup export/import` (backup v2) against a real relay process: a terminal restored from a backup has its friend and profile back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { bwUser, ok, relayForTests } from './cli-harness.js';

const relay = relayForTests();

test('a v2 backup made in bw restores in a fresh bw with its friend and profile: posts both ways, no befriending again', async () => {
  const eve = bwUser(relay.url);
  const fay = bwUser(relay.url);
  ok(await eve.run(['init', 'Eve']), 'eve init');
  ok(await fay.run(['init', 'Fay']), 'fay init');
  ok(await eve.run(['accept', (await fay.run(['invite', '--json'])).json[0].code]), 'eve accepts');
  ok(await fay.run(['feed']), 'fay hears the request');
  ok(await fay.run(['post', 'hello Eve']), 'fay post');
  ok(await eve.run(['profile', '--bio', 'kept in the backup']), 'eve profile');
  ok(await eve.run(['post', 'before the backup']), 'eve post');
  const file = join(eve.home, 'eve.backup');
  const exported = await eve.run(['backup', 'export', file, '--json']);
  ok(exported, 'export');
  assert.equal(exported.json[0].friends, 1);
  assert.match(readFileSync(file, 'utf8'), /^bwbackup2\./);
  ok(await eve.run(['post', 'after the backup']), 'eve posts after the backup (it is stale now)');
  assert.ok((await fay.run(['feed', '--json'])).json.some((p) => p.body === 'after the backup'));

  const eve2 = bwUser(relay.url); // same passphrase, empty data directory: the wiped machine
  const imported = await eve2.run(['backup', 'import', file, '--json']);
  ok(imported, 'import');
  assert.equal(imported.json[0].friends, 1);
  const friends = await eve2.run(['friends', '--json']);
  assert.deepEqual(friends.json.map((f) => [f.name, f.status]), [['Fay', 'mutual']]);
  ok(await eve2.run(['post', 'restored and posting']), 'eve2 post');
  const fayFeed = await fay.run(['feed', '--json']);
  assert.ok(fayFeed.json.some((p) => p.body === 'restored and posting' && p.name === 'Eve'), `Fay takes the restored post: ${fayFeed.stdout}`);
  ok(await fay.run(['post', 'welcome back']), 'fay post');
  const eveFeed = await eve2.run(['feed', '--json']);
  assert.ok(eveFeed.json.some((p) => p.body === 'welcome back' && p.name === 'Fay'), eveFeed.stdout);
});
