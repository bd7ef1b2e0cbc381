/**
 * A member that comes back online reads what it missed before an
 * operation that arrives directly can move it on (docs/GROUPS.md, "A member
 * who was offline"). Found by `npm run sim -- --groups`: a member removed
 * right after its return processed the removal (sent straight to it) before
 * its first mailbox fetch, stopped taking part, and never read the
 * messages sent to it while it was away, before its removal. A removal
 * that comes straight from a member waits ('retry') until a fetch of the
 * group's mailboxes has read what was sent before it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { groupWorld, startGroups } from '../helpers/group-world.ts';
import type { Home } from '../helpers/homes.ts';
import { settle } from '../helpers/scheduler.ts';
import { fromBase64 } from '../../src/node/encoding/base64.ts';

test('a member removed right after its return still reads what was sent to it while it was away, and nothing after', async () => {
  const world = await groupWorld(['alice', 'bob', 'carol']);
  const { scheduler, groups } = world;
  const [alice, bob] = world.homes as [Home, Home, Home];
  for (const g of groups.values()) await g.upkeepKeyPackages();
  await scheduler.advance(1);
  await groups.get('alice')!.create('friends', ['bob', 'carol']);
  await scheduler.advance(1);
  await groups.get('carol')!.send('friends', 'before bob left', { waitMs: 5_000 });
  await scheduler.advance(1);

  await groups.get('bob')!.stop();
  await bob.stop();
  const away = await groups.get('carol')!.send('friends', 'while bob was away', { waitMs: 5_000 });
  assert.equal(away.status, 'stored', 'the mailboxes hold it for bob');
  await scheduler.advance(1);

  // Bob is back; before his first group poll runs, alice removes him and the removal reaches him directly.
  await bob.start();
  const back = await startGroups(bob);
  await groups.get('alice')!.remove('friends', 'bob');
  // The direct delivery of the removal runs now (pending promise chains on the in-memory network), before any timer.
  await settle();
  // It comes again before bob's fetch ran (a retry of its author): still held.
  const removal = (await alice.store.listGroupOutbox()).find((e) => e.kind === 'operation');
  assert.ok(removal, 'alice still hands the removal on to bob');
  assert.equal(await back.receive(fromBase64(removal.frame), alice.peerId), 'retry', 'held until bob read his mailboxes');
  assert.equal((await back.list())[0]!.active, true);
  await scheduler.advance(1);
  await scheduler.advance(1);
  await groups.get('alice')!.send('friends', 'after the removal', { waitMs: 5_000 });
  await scheduler.advance(1);

  const texts = (await back.history('friends')).map((m) => m.text);
  assert.deepEqual(texts, ['before bob left', 'while bob was away'], 'bob read what was sent before his removal, and nothing after');
  assert.equal((await back.list())[0]!.active, false, 'bob knows he was removed');
  for (const g of groups.values()) await g.stop();
  await back.stop();
});

test('with no mailbox to read first (a LAN without one), a member removed directly still learns it was removed, after a few fetches that reached nothing', async () => {
  const world = await groupWorld(['alice', 'bob'], { mailboxes: 0 });
  const { scheduler, groups } = world;
  for (const g of groups.values()) await g.upkeepKeyPackages();
  await scheduler.advance(1);
  await groups.get('alice')!.create('friends', ['bob']);
  await scheduler.advance(1);
  await groups.get('alice')!.send('friends', 'before the removal', { waitMs: 5_000 });
  await groups.get('alice')!.remove('friends', 'bob');
  await settle();
  assert.equal((await groups.get('bob')!.list())[0]!.active, true, 'held while bob tries his mailboxes first');
  // Bob's fetches reach no mailbox (2, 4, 8 s apart); alice hands the removal on again with her backoff.
  for (let step = 0; step < 120 && (await groups.get('bob')!.list())[0]!.active; step++) await scheduler.advance(1_000);
  assert.equal((await groups.get('bob')!.list())[0]!.active, false, 'bob knows he was removed');
  assert.deepEqual((await groups.get('bob')!.history('friends')).map((m) => m.text), ['before the removal']);
  for (const g of groups.values()) await g.stop();
});
