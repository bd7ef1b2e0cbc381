/**
 * kill -9 of the sender, the receiver and a mailbox node at seeded random
 * points of a 1,000-message exchange between `sotto` processes: nothing the
 * sender accepted is lost, nothing is doubled, and the session still
 * decrypts both ways. `npm run fuzz` repeats it with many more kills.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runKillExchange } from '../../fuzz/kill-exchange.ts';

const MESSAGES = 1_000;
/** One kill of each: sender, receiver, mailbox. */
const KILLS = 3;

test('kill -9 of sender, receiver and mailbox mid-exchange: zero lost, zero duplicated, sessions decrypt', { timeout: 400_000 }, async (t) => {
  const result = await runKillExchange({ messages: MESSAGES, kills: KILLS, seed: 'npm test', settleMs: 240_000, log: (line) => t.diagnostic(line) });
  t.diagnostic(`accepted ${result.accepted}, ambiguous ${result.ambiguous}, received ${result.received}`);
  assert.deepEqual(result.kills.map((k) => k.victim), ['sender', 'receiver', 'mailbox']);
  assert.ok(result.accepted >= MESSAGES - KILLS, 'the sender accepted the messages');
  assert.deepEqual(result.lost, [], 'lost');
  assert.deepEqual(result.duplicated, [], 'duplicated');
  assert.deepEqual(result.unexpected, []);
  assert.ok(result.received >= result.accepted && result.received <= result.accepted + result.ambiguous);
  assert.equal(result.sessionsWork, true, 'both directions still decrypt');
});
