/**
 * Groups between nodes on the in-memory network (docs/GROUPS.md,
 * "Delivery", "Key packages", "Invitations"): key packages travel to
 * contacts, an invitation from a contact joins by itself, every member
 * reads every other member's messages with their senders, a member offline
 * through membership changes catches up from the group's mailboxes alone,
 * a removed member reads nothing sent after its removal, an invitation from
 * a stranger waits as a request, and bad frames are refused with nothing lost.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GroupService } from '../../src/node/groups/group-service.ts';
import { MAILBOX_REPLICAS } from '../../src/node/constants.ts';
import { Home } from '../helpers/homes.ts';
import { MemoryHub } from '../helpers/memory-network.ts';
import { testClock } from '../helpers/context.ts';
import { ManualScheduler } from '../helpers/scheduler.ts';

async function world(names: string[]) {
  const hub = new MemoryHub();
  const clock = testClock();
  const scheduler = new ManualScheduler(clock);
  for (let i = 0; i < MAILBOX_REPLICAS; i++) await new Home(`mailbox-${i}`, hub, clock, scheduler, { mailbox: true }).init();
  const homes: Home[] = [];
  for (const name of names) homes.push(await new Home(name, hub, clock, scheduler).init());
  for (const a of homes) for (const b of homes) if (a !== b) await a.messenger.addContact(b.name, b.peerId);
  const groups = new Map<string, GroupService>();
  for (const home of homes) groups.set(home.name, await startGroups(home));
  await scheduler.advance(1);
  for (const g of groups.values()) await g.upkeepKeyPackages();
  await scheduler.advance(1);
  return { hub, clock, scheduler, homes, groups };
}

async function startGroups(home: Home): Promise<GroupService> {
  const service = await GroupService.open(home.messenger);
  await service.start();
  return service;
}

test('three members: created with two contacts, each joins by itself, and all read each other with senders', async () => {
  const { scheduler, homes, groups } = await world(['alice', 'bob', 'carol']);
  const [alice, bob, carol] = homes as [Home, Home, Home];
  const created = await groups.get('alice')!.create('friends', ['bob', 'carol']);
  assert.match(created.id, /^[0-9a-f]{64}$/);
  await scheduler.advance(1);
  for (const name of ['bob', 'carol']) {
    const list = await groups.get(name)!.list();
    assert.equal(list.length, 1, `${name} joined`);
    assert.equal(list[0]!.name, 'friends');
    assert.deepEqual(new Set(list[0]!.members.map((m) => m.peerId)), new Set([alice.peerId, bob.peerId, carol.peerId]));
    assert.deepEqual(list[0]!.admins, [alice.peerId]);
  }
  await scheduler.advance(1);
  const sent = await groups.get('alice')!.send('friends', 'hello from alice', { waitMs: 5_000 });
  assert.deepEqual({ status: sent.status, delivered: sent.delivered, members: sent.members }, { status: 'delivered', delivered: 2, members: 2 });
  await groups.get('bob')!.send('friends', 'hello from bob', { waitMs: 5_000 });
  await groups.get('carol')!.send('friends', 'hello from carol', { waitMs: 5_000 });
  await scheduler.advance(1);
  for (const home of homes) {
    const history = await groups.get(home.name)!.history('friends');
    const bySender = new Map(history.map((m) => [m.text, m.sender]));
    assert.equal(bySender.get('hello from alice'), alice.peerId, `${home.name} reads alice`);
    assert.equal(bySender.get('hello from bob'), bob.peerId, `${home.name} reads bob`);
    assert.equal(bySender.get('hello from carol'), carol.peerId, `${home.name} reads carol`);
    assert.equal(history.length, 3, `${home.name} has each message once`);
  }
});
