/**
 * A message sent during a partition reaches the members on the other side
 * after it heals, whichever of the group's mailboxes each side could reach
 * (docs/GROUPS.md, "Forks"): the sender's side deposits it with the
 * mailboxes it reaches, k of them hold it; after the heal the other side
 * fetches from the k mailboxes closest to the group's key, which may all be
 * on its own side. The sender's entry stays dormant and is handed on when a
 * connection to a member that has not acked it opens.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GROUP_POLL_INTERVAL_MS, MAILBOX_REPLICAS } from '../../src/node/constants.ts';
import { groupWorld } from '../helpers/group-world.ts';
import type { Home } from '../helpers/homes.ts';

/** Poll intervals allowed after each heal. */
const ROUNDS = 5;

test('a message sent during a partition is read on the other side after the heal, whichever mailboxes each side held', async () => {
  const world = await groupWorld(['ann', 'ben', 'cal', 'dee'], { mailboxes: 2 * MAILBOX_REPLICAS });
  const { hub, scheduler, groups, mailboxes } = world;
  const byName = new Map(world.homes.map((h) => [h.name, h]));
  for (const g of groups.values()) await g.upkeepKeyPackages();
  await scheduler.advance(1);
  await groups.get('ann')!.create('crew', ['ben', 'cal', 'dee']);
  await scheduler.advance(1);
  const side = (names: string[], boxes: Home[]): string[] => [...names.map((n) => byName.get(n)!.peerId), ...boxes.map((b) => b.peerId)];
  const halves = [mailboxes.slice(0, MAILBOX_REPLICAS), mailboxes.slice(MAILBOX_REPLICAS)] as const;
  const read: string[] = [];
  for (const [mine, theirs] of [halves, [halves[1], halves[0]]] as const) {
    hub.partition(side(['ann', 'cal'], theirs), side(['ben', 'dee'], mine));
    const text = `from dee beside ${mine.map((m) => m.name).join(' ')}`;
    await groups.get('dee')!.send('crew', text);
    await scheduler.advance(1);
    hub.heal();
    for (let i = 0; i < ROUNDS; i++) await scheduler.advance(GROUP_POLL_INTERVAL_MS);
    if ((await groups.get('cal')!.history('crew')).some((m) => m.text === text)) read.push(text);
  }
  for (const g of groups.values()) await g.stop();
  assert.equal(read.length, 2, `cal read both (${read.join(' | ')})`);
});
