/**
 * Frames a member refuses for now (docs/GROUPS.md, "Delivery"): a message
 * that reaches a new member before its invitation does, a commit ahead of
 * a member's epoch, a message from a member added by a commit not processed
 * yet. The sender counts the refusing member as stored, not delivered; the
 * refusing member fetches the group's mailboxes a few seconds later, not at
 * the next group poll, and reads the frame then; refusals while a fetch is
 * due cost no more fetches.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Home } from '../helpers/homes.ts';
import type { AckStatus } from '../../src/node/messaging/wire.ts';
import type { GroupService } from '../../src/node/groups/group-service.ts';
import { groupWorld } from '../helpers/group-world.ts';
import { GroupCatchUp } from '../../src/node/groups/group-catch-up.ts';
import { GROUP_CATCH_UP_ATTEMPTS, GROUP_CATCH_UP_DELAY_MS, GROUP_POLL_INTERVAL_MS } from '../../src/node/constants.ts';
import { ManualScheduler } from '../helpers/scheduler.ts';
import { testClock } from '../helpers/context.ts';

/** Records the status of every frame `service` is handed directly. */
function directStatuses(service: GroupService): AckStatus[] {
  const statuses: AckStatus[] = [];
  const original = service.receive.bind(service);
  service.receive = async (bytes, from) => {
    const status = await original(bytes, from);
    if (from !== undefined) statuses.push(status);
    return status;
  };
  return statuses;
}

/** Time a test may advance and still be before every node's next group poll (the first ran at start). */
const BEFORE_THE_POLL_MS = GROUP_POLL_INTERVAL_MS / 2;

test('a message that reaches a new member before its invitation: counted as stored, read seconds after the member joined, before any group poll', async () => {
  const { hub, scheduler, homes, groups } = await groupWorld(['alice', 'bob']);
  const [, bob] = homes as [Home, Home];
  const bobs = groups.get('bob')!;
  const refusals = directStatuses(bobs);
  // Bob's node takes no 1:1 message for now: the invitation waits in alice's outbox.
  hub.goOffline(bob.peerId);
  await groups.get('alice')!.create('pair', ['bob']);
  hub.goOnline(bob.peerId);
  const sent = await groups.get('alice')!.send('pair', 'early bird', { waitMs: 5_000 });
  assert.deepEqual(refusals, ['refused'], 'bob was not in the group yet');
  // Not delivered: bob did not take it. The mailboxes hold it for him.
  assert.deepEqual({ status: sent.status, delivered: sent.delivered, stored: sent.stored, queued: sent.queued, members: sent.members }, { status: 'stored', delivered: 0, stored: 1, queued: 0, members: 1 });
  let waited = 0;
  while ((await bobs.list()).length === 0 && waited < BEFORE_THE_POLL_MS) {
    await scheduler.advance(250);
    waited += 250;
  }
  assert.equal((await bobs.list()).length, 1, 'bob joined once the invitation arrived');
  await scheduler.advance(GROUP_CATCH_UP_DELAY_MS);
  assert.ok(waited + GROUP_CATCH_UP_DELAY_MS < GROUP_POLL_INTERVAL_MS);
  assert.deepEqual((await bobs.history('pair')).map((m) => m.text), ['early bird'], 'read from the mailboxes right after joining');
});

test('a commit ahead of a member\'s epoch and a message from a member it does not know yet: refused, then read within seconds from the mailboxes', async () => {
  const { hub, scheduler, homes, groups } = await groupWorld(['alice', 'bob', 'carol', 'dave']);
  const [, bob] = homes as [Home, Home, Home, Home];
  const alice = groups.get('alice')!;
  await alice.create('club', ['bob', 'carol']);
  await scheduler.advance(1);
  assert.equal((await groups.get('bob')!.list()).length, 1);
  const bobs = groups.get('bob')!;
  const statuses = directStatuses(bobs);
  // Bob misses the add of dave (offline), then is back for what follows.
  hub.goOffline(bob.peerId);
  await alice.add('club', ['dave']);
  await scheduler.advance(1);
  hub.goOnline(bob.peerId);
  // Dave's first message: bob does not know dave as a member yet.
  const fromDave = await groups.get('dave')!.send('club', 'dave says hi', { waitMs: 5_000 });
  assert.equal(fromDave.delivered, 2, 'alice and carol took it');
  assert.equal(fromDave.stored, 1, 'bob refused it: stored for him, not delivered');
  // A commit on top of the add: ahead of bob's epoch.
  await alice.remove('club', 'carol');
  await scheduler.advance(1);
  assert.deepEqual([...new Set(statuses)].sort(), ['refused', 'retry']);
  const before = (await bobs.history('club')).map((m) => m.text);
  assert.deepEqual(before, [], 'nothing read yet');
  await scheduler.advance(GROUP_CATCH_UP_DELAY_MS);
  assert.deepEqual((await bobs.history('club')).map((m) => m.text), ['dave says hi']);
  assert.equal(bobs.epochAuthenticator('club'), alice.epochAuthenticator('club'), 'bob processed both commits');
  assert.ok(statuses.length < GROUP_POLL_INTERVAL_MS / GROUP_CATCH_UP_DELAY_MS);
});

test('a frame from a member that does not open (a branch this member has not seen): it fetches the mailboxes within seconds, not at the poll', async () => {
  const { hub, scheduler, homes, groups } = await groupWorld(['alice', 'bob', 'carol']);
  const [, bob, carol] = homes as [Home, Home, Home];
  const alice = groups.get('alice')!;
  await alice.create('club', ['bob', 'carol']);
  await scheduler.advance(1);
  const bobs = groups.get('bob')!;
  // A message bob missed (he was away): the mailboxes hold it.
  hub.goOffline(bob.peerId);
  await alice.send('club', 'while bob was away', { waitMs: 5_000 });
  await scheduler.advance(1);
  // Alice is away when bob comes back (no connection between them opens), so she does not hand it over: only the mailboxes have it for him.
  const [aliceHome] = homes as [Home];
  hub.goOffline(aliceHome.peerId);
  hub.goOnline(bob.peerId);
  hub.goOnline(aliceHome.peerId);
  // A frame from carol that bob cannot open (here: one of her frames with a byte changed).
  const frames: Uint8Array[] = [];
  const original = bobs.receive.bind(bobs);
  bobs.receive = async (bytes, from) => {
    if (from === carol.peerId) frames.push(bytes);
    return original(bytes, from);
  };
  await groups.get('carol')!.send('club', 'carol speaks', { waitMs: 5_000 });
  await scheduler.advance(1);
  const bad = Uint8Array.from(frames[0]!);
  bad[bad.length - 20]! ^= 1;
  // A message that does not open may be of a branch bob has not seen: try it again (from the mailboxes).
  assert.equal(await bobs.receive(bad, carol.peerId), 'retry');
  assert.ok(!(await bobs.history('club')).some((m) => m.text === 'while bob was away'), 'not read yet');
  await scheduler.advance(GROUP_CATCH_UP_DELAY_MS);
  assert.ok((await bobs.history('club')).some((m) => m.text === 'while bob was away'), 'read from the mailboxes two seconds later');
});

test('refusals coalesce: one fetch while one is due, bounded retries when a fetch brings nothing, none after stop', async () => {
  const clock = testClock();
  const scheduler = new ManualScheduler(clock);
  const fetched: string[] = [];
  let found = 0;
  const catchUp = new GroupCatchUp(scheduler, async (groupId) => {
    fetched.push(groupId);
    return found;
  });
  // Ten refusals of one group and one of another, within the delay: one fetch each.
  found = 1;
  for (let i = 0; i < 10; i++) catchUp.soon('g1');
  catchUp.soon('g2');
  await scheduler.advance(GROUP_CATCH_UP_DELAY_MS - 1);
  assert.deepEqual(fetched, []);
  await scheduler.advance(1);
  assert.deepEqual(fetched.sort(), ['g1', 'g2']);
  await scheduler.advance(10 * GROUP_CATCH_UP_DELAY_MS);
  assert.equal(fetched.length, 2, 'a fetch that brought something is not repeated');

  // Nothing in the mailboxes yet: tried GROUP_CATCH_UP_ATTEMPTS times, each after twice the delay, then left to the poll.
  fetched.length = 0;
  found = 0;
  catchUp.soon('g1');
  const at: number[] = [];
  const start = clock.now();
  for (let t = 0; t < 2 ** (GROUP_CATCH_UP_ATTEMPTS + 1) * GROUP_CATCH_UP_DELAY_MS; t += 100) {
    const n = fetched.length;
    await scheduler.advance(100);
    if (fetched.length > n) at.push(clock.now() - start);
  }
  assert.deepEqual(at, Array.from({ length: GROUP_CATCH_UP_ATTEMPTS }, (_, i) => GROUP_CATCH_UP_DELAY_MS * (2 ** (i + 1) - 1)));

  catchUp.soon('g1');
  catchUp.stop();
  await scheduler.advance(10 * GROUP_CATCH_UP_DELAY_MS);
  assert.equal(fetched.length, GROUP_CATCH_UP_ATTEMPTS, 'nothing after stop');
});
