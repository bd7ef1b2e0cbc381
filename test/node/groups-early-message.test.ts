/**
 * A message that reaches a new member before its invitation does (the
 * member answers `refused`: it is in no such group yet) goes to the group's
 * mailboxes too, and the member reads it once it joined.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GroupService } from '../../src/node/groups/group-service.ts';
import { MAILBOX_REPLICAS } from '../../src/node/constants.ts';
import { Home } from '../helpers/homes.ts';
import { MemoryHub } from '../helpers/memory-network.ts';
import { testClock } from '../helpers/context.ts';
import { ManualScheduler } from '../helpers/scheduler.ts';

test('a message that reaches a new member before its invitation is read from the mailboxes once it joined', async () => {
  const hub = new MemoryHub();
  const clock = testClock();
  const scheduler = new ManualScheduler(clock);
  for (let i = 0; i < MAILBOX_REPLICAS; i++) await new Home(`mailbox-${i}`, hub, clock, scheduler, { mailbox: true }).init();
  const alice = await new Home('alice', hub, clock, scheduler).init();
  const bob = await new Home('bob', hub, clock, scheduler).init();
  await alice.messenger.addContact('bob', bob.peerId);
  await bob.messenger.addContact('alice', alice.peerId);
  const groups = new Map<string, GroupService>();
  for (const home of [alice, bob]) {
    const service = await GroupService.open(home.messenger);
    await service.start();
    groups.set(home.name, service);
  }
  await scheduler.advance(1);
  // Bob's node takes no 1:1 message for now: the invitation waits in alice's outbox.
  const refusals: string[] = [];
  const bobs = groups.get('bob')!;
  const original = bobs.receive.bind(bobs);
  bobs.receive = async (bytes, from) => {
    const status = await original(bytes, from);
    refusals.push(status);
    return status;
  };
  hub.goOffline(bob.peerId);
  await groups.get('alice')!.create('pair', ['bob']);
  hub.goOnline(bob.peerId);
  const sent = await groups.get('alice')!.send('pair', 'early bird', { waitMs: 5_000 });
  assert.deepEqual(refusals, ['refused'], 'bob was not in the group yet');
  assert.equal(sent.members, 1);
  await scheduler.advance(60_000);
  assert.equal((await bobs.list()).length, 1, 'bob joined once the invitation arrived');
  await bobs.fetch('pair');
  assert.deepEqual((await bobs.history('pair')).map((m) => m.text), ['early bird']);
});
