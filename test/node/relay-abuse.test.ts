// The relay-abuse attacks of issue 30 against a real relay process with its default limits (bench/abuse-clients.ts):
// each refusal has a named code, honest clients are never refused, and what the relay holds stays bounded. How fast
// the honest clients are meanwhile is measured by `npm run bench` (bench/abuse.bench.ts), not asserted here.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ERROR_CODES } from '../../shared/errors.js';
import { runAttack, runUploads, withRelay } from '../../bench/abuse.bench.js';
import type { AttackStats } from '../../bench/abuse-clients.js';

/** Every answer an attacker read is a success or a named error code (a login refused, too). */
function named(stats: AttackStats) {
  for (const code of Object.keys(stats.answers)) {
    const bare = code.replace(/^login:/, '');
    assert.ok(bare === 'ok' || (ERROR_CODES as readonly string[]).includes(bare), `an answer without a named code: ${code}`);
  }
}

describe('relay abuse (real relay process, default limits)', { timeout: 240_000 }, () => {
  test('presence amplification: connections past the tag cap are refused as busy; the honest pairs lose nothing', async (t) => {
    const r = await withRelay([], (url, relay, h, a) => runAttack('presence', url, relay, h, a, 4000));
    t.diagnostic(`honest p50 ${r.before.p50Ms} → ${r.during.p50Ms} ms; RSS peak ${r.rssPeakMb} MiB; ${JSON.stringify(r.stats.answers)}`);
    named(r.stats);
    assert.ok((r.stats.answers.busy ?? 0) > 0, 'watches past the cap of connections per invite tag are refused as busy');
    assert.ok((r.stats.answers.ok ?? 0) > 0, 'watches under the cap are taken');
    assert.equal(r.during.failures, 0);
  });

  test("a key's many connections that never read: logins past the cap refused as busy, and what the relay holds stays under 300 MB", async (t) => {
    const r = await withRelay([], (url, relay, h, a) => runAttack('sink', url, relay, h, a, 4000));
    t.diagnostic(`honest p50 ${r.before.p50Ms} → ${r.during.p50Ms} ms; RSS peak ${r.rssPeakMb} MiB; ${JSON.stringify(r.stats.answers)}`);
    named(r.stats);
    assert.equal(r.stats.answers['login:busy'], 200 - 16, 'the 17th connection of one key on is refused');
    assert.ok(r.rssPeakMb < 300, `relay RSS peak ${r.rssPeakMb} MiB`);
    assert.equal(r.during.failures, 0);
  });

  test('uploads announced and then trickled (a byte every 3 s, past a 2 s grace) hold none of the budget: every honest upload is stored meanwhile', async (t) => {
    const r = await withRelay(['--blob-grace-ms', '2000'], (url, _relay, h, a) => runUploads(url, h, a, 6000, 3000));
    t.diagnostic(`honest stored ${r.alone.stored}/${r.alone.tried} alone, ${r.during.stored}/${r.during.tried} during; ${JSON.stringify(r.stats.answers)}`);
    named(r.stats);
    assert.ok(r.during.tried > 0);
    assert.equal(r.during.stored, r.during.tried, JSON.stringify(r.during.refusals));
    assert.ok((r.stats.answers['bad-frame'] ?? 0) > 0, 'a trickled upload is dropped after the grace: its next piece names no open upload');
  });
});
