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
import type { GroupService } from '../../src/node/groups/group-service.ts';
import { Home } from '../helpers/homes.ts';
import { groupWorld, startGroups } from '../helpers/group-world.ts';

async function world(names: string[]) {
  const w = await groupWorld(names);
  for (const g of w.groups.values()) await g.upkeepKeyPackages();
  await w.scheduler.advance(1);
  return w;
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

test('a member offline through three membership changes catches up from the mailboxes alone, with the admin who made them stopped', async () => {
  const { scheduler, homes, groups } = await world(['alice', 'bob', 'carol', 'dave', 'erin']);
  const [alice, , carol, dave, erin] = homes as [Home, Home, Home, Home, Home];
  await groups.get('alice')!.create('friends', ['bob', 'carol']);
  await scheduler.advance(1);
  await groups.get('alice')!.send('friends', 'one', { waitMs: 5_000 });
  await scheduler.advance(1);
  await groups.get('carol')!.stop();
  await carol.stop();
  await groups.get('alice')!.add('friends', ['dave']);
  await scheduler.advance(1);
  await groups.get('alice')!.send('friends', 'two', { waitMs: 5_000 });
  await groups.get('alice')!.remove('friends', 'bob');
  await scheduler.advance(1);
  await groups.get('alice')!.send('friends', 'three', { waitMs: 5_000 });
  await groups.get('alice')!.add('friends', ['erin']);
  await scheduler.advance(1);
  const last = await groups.get('alice')!.send('friends', 'four', { waitMs: 5_000 });
  assert.equal(last.status, 'stored', 'carol is offline: the mailboxes hold it for her');
  await scheduler.advance(1);
  await groups.get('alice')!.stop();
  await alice.stop();
  await carol.start();
  const back = await startGroups(carol);
  await back.fetch('friends');
  await scheduler.advance(1);
  const texts = (await back.history('friends')).map((m) => m.text);
  assert.deepEqual(texts, ['one', 'two', 'three', 'four']);
  const [info] = await back.list();
  assert.deepEqual(new Set(info!.members.map((m) => m.peerId)), new Set([alice.peerId, carol.peerId, dave.peerId, erin.peerId]));
});

test('a removed member reads nothing sent after its removal, directly or from the mailboxes', async () => {
  const { scheduler, homes, groups } = await world(['alice', 'bob', 'carol']);
  const [, bob] = homes as [Home, Home, Home];
  await groups.get('alice')!.create('friends', ['bob', 'carol']);
  await scheduler.advance(1);
  await groups.get('alice')!.send('friends', 'before', { waitMs: 5_000 });
  await scheduler.advance(1);
  await groups.get('alice')!.remove('friends', 'bob');
  await scheduler.advance(1);
  await groups.get('alice')!.send('friends', 'after the removal', { waitMs: 5_000 });
  await scheduler.advance(1);
  await groups.get('bob')!.fetch('friends').catch(() => 0);
  const bobTexts = (await groups.get('bob')!.history('friends')).map((m) => m.text);
  assert.deepEqual(bobTexts, ['before']);
  assert.equal((await groups.get('bob')!.list())[0]!.active, false);
  assert.ok(!(await bob.rawDump()).includes('after the removal'), 'no plaintext of it in bob\'s store');
  assert.deepEqual((await groups.get('carol')!.history('friends')).map((m) => m.text), ['before', 'after the removal']);
});

test('an invitation from a stranger waits as a request; nothing is joined', async () => {
  const { scheduler, homes, groups } = await world(['bob', 'carol']);
  const [bob, carol] = homes as [Home, Home];
  const sam = await new Home('sam', bob.hub, bob.clock, scheduler).init();
  await sam.messenger.addContact('bob', bob.peerId);
  const samGroups = await startGroups(sam);
  // Sam holds a key package of bob's (here: carol's copy, as anyone holding one could pass it on).
  const held = (await carol.store.getHeldKeyPackage(bob.peerId))!;
  const { Tx } = await import('../../src/node/store/store.ts');
  await sam.store.commit(new Tx().putHeldKeyPackage(held), { sync: true });
  await samGroups.create('club', ['bob']);
  await scheduler.advance(1);
  assert.deepEqual(await groups.get('bob')!.list(), [], 'bob joined nothing');
  const waiting = await groups.get('bob')!.invitations();
  assert.equal(waiting.length, 1);
  assert.equal(waiting[0]!.peerId, sam.peerId);
  assert.equal(waiting[0]!.name, 'club');
  assert.equal(bob.messenger.requests()[0]!.peerId, sam.peerId, 'sam is a message request');
  await groups.get('bob')!.join(waiting[0]!);
  assert.equal((await groups.get('bob')!.list())[0]!.name, 'club');
});

test('bad group frames from a member are refused and change nothing; good ones still go through', async () => {
  const { scheduler, homes, groups } = await world(['alice', 'bob']);
  const [alice] = homes as [Home, Home];
  await groups.get('alice')!.create('pair', ['bob']);
  await scheduler.advance(1);
  const bobGroups = groups.get('bob')!;
  const before = await bob2history(bobGroups);
  assert.equal(await bobGroups.receive(Uint8Array.of(1, 1, 0, 0), alice.peerId), 'rejected');
  assert.equal(await bobGroups.receive(new Uint8Array(300).fill(7), alice.peerId), 'rejected');
  await groups.get('alice')!.send('pair', 'still fine', { waitMs: 5_000 });
  await scheduler.advance(1);
  assert.deepEqual([...before, 'still fine'], await bob2history(bobGroups));
});

async function bob2history(service: GroupService): Promise<string[]> {
  return (await service.history('pair')).map((m) => m.text);
}

test('a key package from someone who is not a contact yet waits with the request; once accepted, the new contact can be added while offline', async () => {
  const { hub, scheduler, homes, groups } = await world(['bob']);
  const [bob] = homes as [Home];
  const sam = await new Home('sam', bob.hub, bob.clock, scheduler).init();
  await sam.messenger.addContact('bob', bob.peerId);
  const samGroups = await startGroups(sam);
  await scheduler.advance(1);
  const [request] = bob.messenger.requests();
  assert.equal(request?.peerId, sam.peerId, 'sam is a message request');
  assert.ok(request.keyPackage, 'its key package is kept with the request');
  assert.equal(await bob.store.getHeldKeyPackage(sam.peerId), undefined, 'not held for a contact: sam is none');
  // Sam's node counts bob as covered (it sent one at its first poll), rightly: bob holds it.
  assert.equal(await samGroups.upkeepKeyPackages(), 0);

  await bob.messenger.acceptRequest(sam.peerId, 'sam');
  assert.equal((await bob.store.getHeldKeyPackage(sam.peerId))?.record, request.keyPackage.record, 'accepting made it the contact\'s key package');
  hub.goOffline(sam.peerId);
  await groups.get('bob')!.create('club', ['sam']);
  hub.goOnline(sam.peerId);
  // The invitation waits in the mailboxes: sam fetches its mail, as it does when it comes back.
  await sam.messenger.fetchMail();
  await scheduler.advance(1);
  assert.equal((await samGroups.list())[0]?.name, 'club', 'sam joined from the invitation of bob, a contact');
});

test('an add is not handed to the member it adds (it joins from its Welcome): with one mailbox the operation is done once the others took it', async () => {
  const { scheduler, homes, groups } = await groupWorld(['alice', 'bob', 'carol'], { mailboxes: 1 });
  for (const g of groups.values()) await g.upkeepKeyPackages();
  await scheduler.advance(1);
  const [alice] = homes as [Home];
  await groups.get('alice')!.create('friends', ['bob']);
  await scheduler.advance(1);
  await groups.get('alice')!.add('friends', ['carol']);
  await scheduler.advance(1);
  const waiting = await alice.store.listGroupOutbox();
  assert.deepEqual(waiting.map((e) => ({ kind: e.kind, recipients: e.recipients })), [], 'nothing left to hand to anyone');
  const sent = await groups.get('alice')!.send('friends', 'welcome carol', { waitMs: 5_000 });
  assert.deepEqual({ status: sent.status, delivered: sent.delivered, members: sent.members }, { status: 'delivered', delivered: 2, members: 2 });
  await scheduler.advance(1);
  assert.deepEqual((await groups.get('carol')!.history('friends')).map((m) => m.text), ['welcome carol']);
});
