/**
 * A message that reaches a new member before its invitation does (the
 * member answers `refused`: it is in no such group yet) goes to the group's
 * mailboxes too, and the member reads it once it joined.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Home } from '../helpers/homes.ts';
import { groupWorld } from '../helpers/group-world.ts';

test('a message that reaches a new member before its invitation is read from the mailboxes once it joined', async () => {
  const { hub, scheduler, homes, groups } = await groupWorld(['alice', 'bob']);
  const [, bob] = homes as [Home, Home];
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
