/**
 * The 'mail-progress' event of a mail fetch, over an in-memory network: counts
 * of distinct items received and handled (copies from several mailboxes count
 * once), one final event, and silence for a fetch that finds nothing.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MAILBOX_REPLICAS } from '../../src/node/constants.ts';
import type { MailProgress } from '../../src/node/core/core.ts';
import { MailProgressTracker } from '../../src/node/messaging/mail-progress.ts';
import { testClock } from '../helpers/context.ts';
import { Home } from '../helpers/homes.ts';
import { MemoryHub } from '../helpers/memory-network.ts';
import { ManualScheduler } from '../helpers/scheduler.ts';

async function network() {
  const hub = new MemoryHub();
  const clock = testClock();
  const scheduler = new ManualScheduler(clock);
  for (let i = 0; i < MAILBOX_REPLICAS; i++) await new Home(`mailbox-${i}`, hub, clock, scheduler, { mailbox: true }).init();
  const alice = await new Home('alice', hub, clock, scheduler).init();
  const bob = await new Home('bob', hub, clock, scheduler).init();
  await alice.messenger.addContact('bob', bob.peerId);
  await bob.messenger.addContact('alice', alice.peerId);
  return { alice, bob };
}

describe('mail-progress', () => {
  test('draining mailboxes after being away: counts grow to the number of distinct items, then one final event', async () => {
    const { alice, bob } = await network();
    await alice.messenger.send('bob', 'start', { waitMs: 5_000 });
    await bob.stop();
    const away = 6;
    for (let i = 0; i < away; i++) assert.equal((await alice.messenger.send('bob', `while away ${i}`, { waitMs: 5_000 })).status, 'stored');
    await bob.start();
    const events: MailProgress[] = [];
    bob.messenger.on('mail-progress', (p) => events.push(p));
    assert.equal(await bob.messenger.fetchMail(), away, 'each item is downloaded once: the other mailboxes drop their copies unread');

    assert.ok(events.length > away, 'an event per batch and per item');
    const last = events.at(-1)!;
    assert.deepEqual(last, { fetched: away, total: away, more: false, finished: true }, 'copies from other mailboxes count once');
    assert.equal(events.filter((e) => e.finished).length, 1);
    for (const [i, e] of events.entries()) {
      assert.ok(e.fetched <= e.total, `event ${i}: fetched ≤ total`);
      if (i > 0) {
        assert.ok(e.total >= events[i - 1]!.total && e.fetched >= events[i - 1]!.fetched, `event ${i}: counts never go back`);
      }
    }
    assert.equal(events[0]!.fetched, 0, 'the first event comes with the first batch, before any item is handled');
    assert.equal(events[0]!.total, away);
    assert.equal(bob.received.filter((m) => m.text.startsWith('while away')).length, away);
  });

  test('a fetch that finds no mail emits nothing', async () => {
    const { bob } = await network();
    const events: MailProgress[] = [];
    bob.messenger.on('mail-progress', (p) => events.push(p));
    assert.equal(await bob.messenger.fetchMail(), 0);
    assert.deepEqual(events, []);
  });

  test('the tracker: distinct ids, the "more" flag of the last batch, finish clears it', () => {
    const events: MailProgress[] = [];
    const tracker = new MailProgressTracker((p) => events.push(p));
    tracker.finish();
    assert.deepEqual(events, [], 'nothing received: nothing said');
    tracker.received(['a', 'b'], true);
    tracker.handled('a');
    tracker.received(['b', 'c'], false); // 'b' again: a copy
    tracker.handled('b');
    tracker.handled('b');
    tracker.handled('c');
    tracker.finish();
    assert.deepEqual(events, [
      { fetched: 0, total: 2, more: true, finished: false },
      { fetched: 1, total: 2, more: true, finished: false },
      { fetched: 1, total: 3, more: false, finished: false },
      { fetched: 2, total: 3, more: false, finished: false },
      { fetched: 2, total: 3, more: false, finished: false },
      { fetched: 3, total: 3, more: false, finished: false },
      { fetched: 3, total: 3, more: false, finished: true },
    ]);
  });
});
