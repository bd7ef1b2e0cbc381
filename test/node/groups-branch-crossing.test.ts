/**
 * A message of the winning branch that reaches a member before the
 * operation that moves it there (docs/GROUPS.md, "Ordering without a
 * server"): two admins change the group concurrently on two sides of a
 * partition; right after the heal a member of the winning side sends, and
 * its message reaches the losing side before the winning admin's
 * operation. The losing side must read it once it moved.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareBytes } from '../../src/crypto/bytes.ts';
import { GROUP_POLL_INTERVAL_MS, MAILBOX_REPLICAS } from '../../src/node/constants.ts';
import { signingKeyOfPeerId } from '../../src/node/encoding/peer-id.ts';
import { groupWorld } from '../helpers/group-world.ts';
import type { Home } from '../helpers/homes.ts';
import { settle } from '../helpers/scheduler.ts';

/** Poll intervals allowed after the heal. */
const MAX_ROUNDS = 10;

test('a message of the winning branch that arrives before the operation that leads there is read once the member moved', async () => {
  const world = await groupWorld(['ann', 'ben', 'cal', 'dee'], { mailboxes: 2 * MAILBOX_REPLICAS });
  const { hub, scheduler, groups, mailboxes } = world;
  const byName = new Map(world.homes.map((h) => [h.name, h]));
  for (const g of groups.values()) await g.upkeepKeyPackages();
  await scheduler.advance(1);
  await groups.get('ann')!.create('crew', ['ben', 'cal', 'dee']);
  await scheduler.advance(1);
  await groups.get('ann')!.setAdmins('crew', [null, 'ben']);
  await scheduler.advance(1);
  // The fork choice prefers the lower identity key between two privileged operations: that admin's side wins.
  const [winner, loser] = (compareBytes(signingKeyOfPeerId(byName.get('ann')!.peerId), signingKeyOfPeerId(byName.get('ben')!.peerId)) < 0 ? ['ann', 'ben'] : ['ben', 'ann']) as [string, string];
  const side = (names: string[], boxes: Home[]): string[] => [...names.map((n) => byName.get(n)!.peerId), ...boxes.map((b) => b.peerId)];
  hub.partition(side([winner, 'cal'], mailboxes.slice(0, MAILBOX_REPLICAS)), side([loser, 'dee'], mailboxes.slice(MAILBOX_REPLICAS)));
  await groups.get(winner)!.setAdmins('crew', [null, loser]);
  await groups.get(loser)!.setAdmins('crew', [null, winner]);
  await scheduler.advance(1);
  assert.notEqual(groups.get('cal')!.epochAuthenticator('crew'), groups.get('dee')!.epochAuthenticator('crew'), 'the two sides forked');

  hub.heal();
  // Cal (winning side) sends at once: his message reaches dee and the losing admin before the winning admin's retry does.
  await groups.get('cal')!.send('crew', 'from the winning side');
  await settle();
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const states = new Set(['ann', 'ben', 'cal', 'dee'].map((n) => groups.get(n)!.epochAuthenticator('crew')));
    const read = await Promise.all(['ann', 'ben', 'dee'].map(async (n) => (await groups.get(n)!.history('crew')).some((m) => m.text === 'from the winning side')));
    if (states.size === 1 && read.every(Boolean)) break;
    await scheduler.advance(GROUP_POLL_INTERVAL_MS);
  }
  assert.equal(new Set(['ann', 'ben', 'cal', 'dee'].map((n) => groups.get(n)!.epochAuthenticator('crew'))).size, 1, 'every member holds one state');
  for (const name of ['ann', 'ben', 'dee']) {
    const texts = (await groups.get(name)!.history('crew')).map((m) => m.text);
    assert.deepEqual(texts, ['from the winning side'], `${name} reads it once`);
  }
  for (const g of groups.values()) await g.stop();
});
