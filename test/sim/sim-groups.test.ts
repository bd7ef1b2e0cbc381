/**
 * Smoke run of `npm run sim -- --groups --quick --json`: one group among 11
 * real libp2p nodes on loopback, each with its GroupService, while members
 * leave and return, one of the group's mailboxes vanishes, the admins add
 * and remove members, and a partition splits the admins, each changing the
 * membership on its side. Asserts the invariants only, never a time:
 * - every (message, member) pair the member was owed and could get (it was
 *   online on the sender's side, or a mailbox holding the message survived
 *   until it was back) is delivered, and the mailbox path was taken;
 * - no member holds a message twice or gets it twice;
 * - the partition forked the group, and after the heal every member holds
 *   one state with both changes in it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSim } from '../helpers/sim-json.ts';

interface Change {
  kind: string;
  phase: string;
  done: boolean;
}

test('sim --groups --quick --json: group delivery where a mailbox survived, no duplicates, convergence after a partition', { timeout: 300_000 }, () => {
  const { one } = runSim('groups', ['--groups', '--quick']);

  assert.equal(one('group-nodes').value, 11);
  const churn = one('group-churn-events').detail!;
  assert.ok((churn['leaves'] as number) > 0, 'members left and came back');
  assert.ok((churn['vanished'] as number) > 0, 'a group mailbox vanished');
  const changes = one('group-membership-changes').detail!['changes'] as Change[];
  for (const phase of ['churn', 'partition']) {
    for (const kind of ['add', 'remove']) assert.ok(changes.some((c) => c.phase === phase && c.kind === kind && c.done), `an admin's ${kind} in the ${phase} phase was made (${JSON.stringify(changes)})`);
  }

  const messages = one('group-messages');
  assert.ok(messages.value! > 0, 'group messages were sent');
  assert.ok((messages.detail!['custodyBy3'] as number) + (messages.detail!['custodyBy2'] as number) + (messages.detail!['custodyBy1'] as number) > 0, `some messages went to the group mailboxes (${JSON.stringify(messages.detail)})`);
  const eligible = one('group-delivery-eligible');
  assert.ok((eligible.detail!['eligible'] as number) > 0);
  assert.equal(eligible.value, 100, `every eligible message delivered (${JSON.stringify(one('group-lost').detail)})`);
  assert.equal(one('group-lost').value, 0);

  const duplicates = one('group-duplicates');
  assert.equal(duplicates.value, 0, `no member holds or got a message twice (${JSON.stringify(duplicates.detail)})`);
  assert.equal(duplicates.detail!['unknownIds'], 0, 'no member holds a message the simulation did not send');

  const converge = one('group-converge-after-heal');
  assert.equal(converge.detail!['forked'], true, `the two admins held different states during the partition (${JSON.stringify(converge.detail)})`);
  assert.equal(converge.detail!['converged'], true, `every member converged after the heal (${JSON.stringify(converge.detail)})`);
  assert.ok(Number.isFinite(converge.value), 'the convergence was timed');
});
