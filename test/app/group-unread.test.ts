/**
 * Group unread counts (src/app/group-api.ts, the chat's and the page's
 * list): received messages after the group's read mark; reading the
 * group's history moves the mark; the mark is stored with the group, so
 * the counts survive a restart as a conversation's do.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Home } from '../helpers/homes.ts';
import { groupWorld, startGroups } from '../helpers/group-world.ts';
import { groupMethods } from '../../src/app/group-api.ts';

test('group unread counts: received messages after the read mark, cleared by reading, kept across a restart', async () => {
  const { scheduler, homes, groups } = await groupWorld(['alice', 'bob']);
  const [, bob] = homes as [Home, Home];
  const alice = groups.get('alice')!;
  await alice.create('pair', ['bob']);
  await scheduler.advance(1);
  const unreadOf = async (api: ReturnType<typeof groupMethods>): Promise<number> => (await api.groupConversations()).find((g) => g.name === 'pair')!.unread;

  let bobApi = groupMethods(groups.get('bob')!);
  assert.equal(await unreadOf(bobApi), 0);
  await alice.send('pair', 'one', { waitMs: 5_000 });
  await alice.send('pair', 'two', { waitMs: 5_000 });
  await scheduler.advance(1);
  assert.equal(await unreadOf(bobApi), 2, 'two received, none read');
  assert.equal(await unreadOf(groupMethods(alice)), 0, 'her own messages are not unread to the sender');
  assert.deepEqual((await bobApi.groupHistory('pair')).map((m) => m.text), ['one', 'two']);
  assert.equal(await unreadOf(bobApi), 0, 'reading the history read them');
  await alice.send('pair', 'three', { waitMs: 5_000 });
  await scheduler.advance(1);
  assert.equal(await unreadOf(bobApi), 1);

  // Bob's node restarts: the count is the same (it was only in memory before).
  await groups.get('bob')!.stop();
  await bob.stop();
  await bob.start();
  const restarted = await startGroups(bob);
  bobApi = groupMethods(restarted);
  assert.equal(await unreadOf(bobApi), 1, 'the unread count survived the restart');
  const [newest] = await bobApi.groupHistory('pair', { limit: 1 });
  assert.equal(newest!.text, 'three');
  assert.equal(await unreadOf(bobApi), 0);
  // Paging back to older messages does not move the mark back.
  assert.deepEqual((await bobApi.groupHistory('pair', { limit: 1, before: newest!.seq })).map((m) => m.text), ['two']);
  await alice.send('pair', 'four', { waitMs: 5_000 });
  await scheduler.advance(1);
  assert.equal(await unreadOf(bobApi), 1, 'only the new one');
  await bobApi.groupHistory('pair');
  await restarted.stop();
  await bob.stop();
  await bob.start();
  assert.equal(await unreadOf(groupMethods(await startGroups(bob))), 0, 'read stays read');
});
