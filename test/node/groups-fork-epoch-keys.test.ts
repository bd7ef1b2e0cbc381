/**
 * A message sent in the epoch two concurrent operations forked from, read
 * by a member after it moved to the other branch and committed again
 * (docs/GROUPS.md, "Ordering without a server"; docs/SCALING.md §4). Found
 * by `npm run sim -- --groups --quick` on a loaded machine: the add of one
 * admin and the removal of the other became concurrent, the remover lost
 * the fork choice, moved to the adder's branch and made its removal again;
 * messages other members had sent in the fork epoch, arriving after that,
 * were refused as too old and never read. The move had kept the fork
 * epoch's receiving keys but dropped the epoch from the list of past epochs
 * that the next commit keeps keys for.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareBytes } from '../../src/crypto/bytes.ts';
import { GROUP_POLL_INTERVAL_MS } from '../../src/node/constants.ts';
import { signingKeyOfPeerId } from '../../src/node/encoding/peer-id.ts';
import type { GroupService } from '../../src/node/groups/group-service.ts';
import { acksTo, groupWorld } from '../helpers/group-world.ts';
import type { Home } from '../helpers/homes.ts';

/** Steps of simulated time allowed for each phase to settle: past two group polls. */
const STEP_MS = 1_000;
const MAX_STEPS = (2 * GROUP_POLL_INTERVAL_MS) / STEP_MS;

test('a message sent in the fork epoch is read by the member that moved to the winning branch and committed again', { timeout: 180_000 }, async () => {
  const { hub, scheduler, mailboxes, homes, groups } = await groupWorld(['alice', 'bob', 'carol', 'dave', 'erin']);
  const [alice, bob, carol, dave, erin] = homes as [Home, Home, Home, Home, Home];
  const g = (home: Home): GroupService => groups.get(home.name)!;
  await g(alice).create('team', [bob.name, carol.name, dave.name]);
  await scheduler.advance(1);
  await g(alice).setAdmins('team', [null, bob.name]);
  for (let i = 0; i < 3; i++) await scheduler.advance(1);
  for (const home of [bob, carol, dave]) assert.equal(g(home).epochAuthenticator('team'), g(alice).epochAuthenticator('team'), `${home.name} holds the fork epoch`);

  // Of two privileged operations on one epoch, the one by the lower identity key wins (fork-choice.ts).
  const [winner, loser] = compareBytes(signingKeyOfPeerId(alice.peerId), signingKeyOfPeerId(bob.peerId)) < 0 ? [alice, bob] : [bob, alice];
  const statuses = acksTo(g(loser), carol.peerId);

  // Carol writes in the fork epoch, cut off from everyone; the two admins change membership at once, apart.
  hub.partition([carol.peerId], [loser.peerId], [winner.peerId, dave.peerId, erin.peerId, ...mailboxes.map((m) => m.peerId)]);
  const text = 'written in the fork epoch';
  await g(carol).send('team', text);
  await g(winner).add('team', [erin.name]);
  await g(loser).remove('team', dave.name);
  await scheduler.advance(1);
  assert.notEqual(g(winner).epochAuthenticator('team'), g(loser).epochAuthenticator('team'), 'the admins forked');

  // The admins meet: the loser moves to the winning branch and makes its removal again there.
  hub.partition([carol.peerId], [loser.peerId, winner.peerId, dave.peerId, erin.peerId, ...mailboxes.map((m) => m.peerId)]);
  const removedOnWinningBranch = async (): Promise<boolean> =>
    g(loser).epochAuthenticator('team') === g(winner).epochAuthenticator('team') && !(await g(winner).list())[0]!.members.some((m) => m.peerId === dave.peerId);
  for (let step = 0; !(await removedOnWinningBranch()); step++) {
    assert.ok(step < MAX_STEPS, 'the loser moved to the winning branch and removed dave again within two polls');
    await scheduler.advance(STEP_MS);
  }
  assert.ok((await g(winner).list())[0]!.members.some((m) => m.peerId === erin.peerId), 'the winning branch holds erin');

  // Carol's message of the fork epoch arrives only now, directly and from the mailboxes.
  hub.heal();
  const reads = async (home: Home): Promise<boolean> => (await g(home).history('team')).some((m) => m.text === text);
  for (let step = 0; !((await reads(loser)) && (await reads(winner))); step++) {
    assert.ok(step < MAX_STEPS, `both admins read carol's message within two polls (the loser answered carol: ${statuses.join(', ') || 'nothing'})`);
    await scheduler.advance(STEP_MS);
  }
  assert.equal((await g(loser).history('team')).filter((m) => m.text === text).length, 1, 'the loser reads it once');
  for (const service of groups.values()) await service.stop();
});
