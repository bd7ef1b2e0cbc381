/**
 * A message sent on a branch that a member does not hold yet (docs/GROUPS.md,
 * "Ordering without a server"). Two new members update their keys on the
 * same epoch as they join; the admin lands on the winning branch and
 * writes there at once, before the losing member has seen the winning
 * update. That member cannot decrypt the message yet (it is in its epoch
 * number, on another branch) and answers `rejected`; the message must
 * still reach it once the winning update does. Found end to end by
 * test/lan/groups-three-machines.test.ts: alice's first line never reached
 * bob's chat or carol's page (three runs of nine) while the sender counted
 * a `rejected` answer as delivered.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareBytes } from '../../src/crypto/bytes.ts';
import { GROUP_POLL_INTERVAL_MS } from '../../src/node/constants.ts';
import { signingKeyOfPeerId } from '../../src/node/encoding/peer-id.ts';
import type { GroupService } from '../../src/node/groups/group-service.ts';
import { acksTo, groupWorld } from '../helpers/group-world.ts';
import type { Home } from '../helpers/homes.ts';

/** Steps of simulated time the members get to exchange what they missed after the heal: past two group polls. */
const STEP_MS = 1_000;
const MAX_STEPS = (2 * GROUP_POLL_INTERVAL_MS) / STEP_MS;

test('a message sent on a branch a member does not hold yet reaches it once that branch does: never lost to a `rejected`', { timeout: 120_000 }, async () => {
  const { hub, scheduler, mailboxes, homes, groups } = await groupWorld(['alice', 'x', 'y']);
  const [alice, x, y] = homes as [Home, Home, Home];
  const g = (home: Home): GroupService => groups.get(home.name)!;
  // Of two self-updates on one epoch, the one by the lower identity key wins (fork-choice.ts).
  const [winner, loser] = compareBytes(signingKeyOfPeerId(x.peerId), signingKeyOfPeerId(y.peerId)) < 0 ? [x, y] : [y, x];
  const statuses = acksTo(g(loser), alice.peerId);

  // The winner's update reaches alice, not the loser (directly or through the mailboxes, all on the winner's side); alice reaches everyone.
  hub.partition([winner.peerId, ...mailboxes.map((m) => m.peerId)], [loser.peerId]);
  await g(alice).create('team', [winner.name, loser.name]);
  for (let i = 0; i < 5; i++) await scheduler.advance(1);
  assert.equal(g(alice).epochAuthenticator('team'), g(winner).epochAuthenticator('team'), 'alice is on the winning branch');
  assert.notEqual(g(loser).epochAuthenticator('team'), g(winner).epochAuthenticator('team'), 'the loser is still on its own');

  const text = 'written on the winning branch';
  await g(alice).send('team', text, { waitMs: 1_000 });
  assert.ok(statuses.includes('retry'), `the loser could not read it yet, and said to try again: ${statuses.join(', ')}`);

  hub.heal();
  const read = async (home: Home): Promise<number> => (await g(home).history('team')).filter((m) => m.text === text).length;
  for (let step = 0; step < MAX_STEPS && (await read(loser)) === 0; step++) await scheduler.advance(STEP_MS);
  assert.equal(await read(loser), 1, 'the loser read the message once');
  assert.equal(await read(winner), 1);
  assert.equal(g(loser).epochAuthenticator('team'), g(alice).epochAuthenticator('team'), 'the loser converged on the winning branch');
});
