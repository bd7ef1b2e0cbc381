/**
 * Dormant group messages (docs/GROUPS.md, "Delivery"): a message the
 * mailboxes hold for a member away costs no dials while it waits, is handed
 * over when a connection to that member opens (its status becomes
 * delivered), and is dropped without a dial once the mailbox TTL passed.
 * The choice of what to hand over and what to drop is checked on its own.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GROUP_PROTOCOL, MAILBOX_REPLICAS, MAILBOX_TTL_MS, RETRY_MAX_MS } from '../../src/node/constants.ts';
import { dormantOverflow, handoffBatch, isDormant } from '../../src/node/groups/group-dormant.ts';
import type { GroupOutboxEntry } from '../../src/node/store/group-records.ts';
import { groupWorld, startGroups } from '../helpers/group-world.ts';
import type { Home } from '../helpers/homes.ts';
import type { MemoryHub } from '../helpers/memory-network.ts';
import { settle } from '../helpers/scheduler.ts';

/** Retry periods a member stays away in the first test (each would have been a dial before). */
const AWAY_PERIODS = 24;

function groupDials(hub: MemoryHub, from: Home, to: Home): number {
  return hub.dials.filter((d) => d.from === from.peerId && d.to === to.peerId && d.protocol === GROUP_PROTOCOL).length;
}

async function threeMembers() {
  const world = await groupWorld(['ann', 'ben', 'cal']);
  for (const g of world.groups.values()) await g.upkeepKeyPackages();
  await world.scheduler.advance(1);
  await world.groups.get('ann')!.create('crew', ['ben', 'cal']);
  await world.scheduler.advance(1);
  const [ann, , cal] = world.homes as [Home, Home, Home];
  world.hub.goOffline(cal.peerId);
  const sent = await world.groups.get('ann')!.send('crew', 'while cal is away', { waitMs: 5_000 });
  assert.deepEqual({ status: sent.status, delivered: sent.delivered, stored: sent.stored }, { status: 'stored', delivered: 1, stored: 1 }, 'ben took it, the mailboxes hold it for cal');
  const [entry] = await ann.store.listGroupOutbox();
  assert.ok(entry && isDormant(entry), 'the entry stays, dormant');
  return { ...world, ann, cal, sent };
}

test('a member away costs no dials while the message waits dormant; a connection to it hands the message over', async () => {
  const { hub, scheduler, groups, ann, cal, sent } = await threeMembers();
  const before = groupDials(hub, ann, cal);
  await scheduler.advance(AWAY_PERIODS * RETRY_MAX_MS);
  assert.equal(groupDials(hub, ann, cal), before, `no dial to cal in ${AWAY_PERIODS} retry periods`);
  assert.equal((await ann.store.listGroupOutbox()).length, 1, 'still kept for cal');

  hub.goOnline(cal.peerId);
  await settle();
  assert.equal(groupDials(hub, ann, cal), before + 1, 'one dial, when cal connected');
  assert.deepEqual((await ann.store.listGroupOutbox()).length, 0, 'done once cal acked it');
  assert.deepEqual((await groups.get('cal')!.history('crew')).map((m) => m.text), ['while cal is away'], 'cal read it from the hand-over (no poll ran)');
  const record = (await groups.get('ann')!.history('crew')).find((m) => m.id === sent.id)!;
  assert.deepEqual({ status: record.status, delivered: record.delivered, stored: record.stored }, { status: 'delivered', delivered: 2, stored: 0 }, 'the status follows');
  for (const g of groups.values()) await g.stop();
});

test('a dormant message is dropped without a dial once the mailbox TTL passed (checked at a start)', async () => {
  const { hub, clock, groups, ann, cal } = await threeMembers();
  await groups.get('ann')!.stop();
  const before = groupDials(hub, ann, cal);
  clock.set(clock.now() + MAILBOX_TTL_MS);
  hub.goOnline(cal.peerId);
  const again = await startGroups(ann);
  await settle();
  assert.equal((await ann.store.listGroupOutbox()).length, 0, 'dropped: the mailbox copies are gone too');
  assert.equal(groupDials(hub, ann, cal), before, 'no dial to cal');
  await again.stop();
  for (const [name, g] of groups) if (name !== 'ann') await g.stop();
});

function entry(seq: number, kind: GroupOutboxEntry['kind'], delivered: string[], custody = MAILBOX_REPLICAS): GroupOutboxEntry {
  const boxes = Array.from({ length: custody }, (_, i) => `box-${i}`);
  return { seq, groupId: 'g', kind, messageId: kind === 'message' ? `m${seq}` : null, frame: '', epoch: 0, recipients: ['p', 'q'], delivered, custody: boxes, attempts: 1, nextAttemptAt: 0, createdAt: 0, lastError: null };
}

test('a hand-over takes, in queue order, what the member has not acked up to its last dormant message (operations included), bounded', () => {
  const entries = [entry(5, 'message', ['q']), entry(1, 'operation', []), entry(3, 'message', ['p']), entry(7, 'operation', []), entry(2, 'message', [], 1)];
  assert.deepEqual(handoffBatch(entries, 'p', 10).map((e) => e.seq), [1, 2, 5], 'the operation and the message before it first; nothing after the last dormant one');
  assert.deepEqual(handoffBatch(entries, 'p', 2).map((e) => e.seq), [1, 2]);
  assert.deepEqual(handoffBatch(entries, 'q', 10).map((e) => e.seq), [1, 2, 3], 'q acked 5');
  assert.deepEqual(handoffBatch([entry(1, 'operation', [])], 'p', 10), [], 'no dormant message: nothing (operations have their own retries)');
});

test('beyond the cap the oldest dormant entries are dropped first, other entries never', () => {
  const entries = [entry(4, 'message', []), entry(1, 'message', []), entry(2, 'operation', []), entry(3, 'message', [], 1), entry(6, 'message', ['p'])];
  assert.deepEqual(dormantOverflow(entries, 1).map((e) => e.seq), [1, 4]);
  assert.deepEqual(dormantOverflow(entries, 3), []);
});
