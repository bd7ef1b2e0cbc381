/**
 * Smoke run of `npm run sim -- --churn --quick --json`: 12 real libp2p nodes on
 * loopback under churn (users leave and return, a mailbox vanishes), then a
 * node drains a backlog from its mailboxes. Asserts the invariants only,
 * never a time:
 * - every message held by at least one mailbox that survived its
 *   recipient's absence is delivered (and the mailbox path was taken);
 * - the application sees each message once, from the right sender, with the
 *   right text;
 * - the drain delivers the whole backlog, it is on disk after the drain
 *   recipient is killed, and the mailboxes no longer hold it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSim } from '../helpers/sim-json.ts';

test('sim --churn --quick --json: delivery, no duplicates, a complete drain', { timeout: 240_000 }, () => {
  const { lines, one } = runSim('churn', ['--churn', '--quick']);

  assert.equal(one('nodes').value, 12);
  assert.equal(lines.filter((l) => l.metric === 'mailbox-use').length, one('nodes').detail!['mailboxes']);
  const churn = one('churn-events').detail!;
  assert.ok((churn['leaves'] as number) > 0 && (churn['returns'] as number) + (churn['settleReturns'] as number) > 0, 'users left and came back');
  assert.ok((churn['vanished'] as number) > 0, 'a mailbox vanished');
  assert.ok(one('messages').value! > 0, 'messages were sent');

  const eligible = one('delivery-eligible');
  assert.ok((eligible.detail!['eligible'] as number) > 0, 'some messages went through mailboxes');
  assert.equal(eligible.value, 100, `every eligible message delivered (${JSON.stringify(eligible.detail)})`);

  const duplicates = one('duplicates');
  assert.equal(duplicates.value, 0, 'no message reached the application twice');
  assert.equal(duplicates.detail!['wrongSenderOrText'], 0, 'every message came from its sender with its text');
  assert.equal(duplicates.detail!['unknownIds'], 0, 'no message the simulation did not send');

  const drain = one('drain');
  const detail = drain.detail!;
  assert.ok((detail['messages'] as number) > 0);
  assert.equal(detail['error'], null, 'the drain ran');
  assert.equal(detail['heldByK'], detail['messages'], 'the whole backlog was held by k mailboxes');
  assert.equal(detail['delivered'], detail['messages'], 'the whole backlog reached the application');
  assert.equal(one('drain-complete').value, 100, 'the whole backlog is on disk after SIGKILL');
  assert.equal(detail['leftInMailboxes'], 0, 'the mailboxes deleted what was acknowledged');
  assert.ok(Number.isFinite(drain.value), 'the drain was timed');
});
