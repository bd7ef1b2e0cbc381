/**
 * The messenger's unread counts (src/node/core/unread.ts): read from the
 * store once per conversation, then moved by received messages and read
 * marks, and exact while messages arrive during reads and read marks.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { SottoStore } from '../../src/node/store/store.ts';
import { UnreadCounts } from '../../src/node/core/unread.ts';
import { homesOnOneHub, type Home } from '../helpers/homes.ts';
import { settle } from '../helpers/scheduler.ts';

/** Two contacts on one in-memory network. */
async function pair(): Promise<{ alice: Home; bob: Home }> {
  const { homes, scheduler } = await homesOnOneHub('alice', 'bob');
  const [alice, bob] = homes as [Home, Home];
  await alice.messenger.addContact('bob', bob.peerId);
  await bob.messenger.addContact('alice', alice.peerId);
  await scheduler.advance(1);
  return { alice, bob };
}

/** Counts the messages `store` reads for conversations (listMessages). */
function countReads(store: SottoStore): { readonly messages: number } {
  const list = store.listMessages.bind(store);
  const counter = { messages: 0 };
  store.listMessages = async (peerId, page = {}) => {
    const found = await list(peerId, page);
    counter.messages += found.length;
    return found;
  };
  return counter;
}

/** The unread messages of `peerId` as the store holds them. */
async function storedUnread(home: Home, peerId: string): Promise<number> {
  return (await home.store.listMessages(peerId)).filter((m) => m.direction === 'in' && m.status === 'received').length;
}

describe('unread counts', () => {
  test('a change moves only the count it was queued against: one queued before the reading is in it already', () => {
    const counts = new UnreadCounts();
    const early = counts.token('p');
    counts.set('p', 3); // read under the lock, after the early change's write
    const late = counts.token('p');
    counts.landed('p', early, 1);
    assert.equal(counts.known('p'), 3, 'the early change was in the reading');
    counts.landed('p', late, 1);
    assert.equal(counts.known('p'), 4);
    const beforeDelete = counts.token('p');
    counts.forget('p');
    counts.landed('p', beforeDelete, -4);
    assert.equal(counts.known('p'), undefined);
    counts.set('p', 0);
    counts.landed('p', beforeDelete, -4);
    assert.equal(counts.known('p'), 0, 'a change queued against a forgotten count moves nothing');
  });

  test('a count is read once, from the newest message back to the newest read one; received messages and read marks move it without a read', async () => {
    const { alice, bob } = await pair();
    for (let i = 0; i < 120; i++) await alice.messenger.send('bob', `old ${i}`, { waitMs: 5_000 });
    assert.equal(await bob.messenger.markRead('alice'), 120);
    for (const text of ['one', 'two', 'three']) await alice.messenger.send('bob', text, { waitMs: 5_000 });
    await bob.stop();
    await bob.start();
    const reads = countReads(bob.store);
    assert.equal(await bob.messenger.unreadCount(alice.peerId), 3);
    assert.ok(reads.messages <= 100, `${reads.messages} messages read to count 3 unread`);
    const afterCount = reads.messages;
    await alice.messenger.send('bob', 'four', { waitMs: 5_000 });
    assert.equal(await bob.messenger.unreadCount(alice.peerId), 4);
    assert.equal(reads.messages, afterCount, 'a received message moves the count without a read');
    assert.equal(await bob.messenger.markRead('alice'), 4);
    assert.equal(await bob.messenger.unreadCount(alice.peerId), 0);
    const afterMark = reads.messages;
    // Nothing unread: marking read reads nothing at all.
    assert.equal(await bob.messenger.markRead('alice'), 0);
    await alice.messenger.send('bob', 'five', { waitMs: 5_000 });
    assert.equal(await bob.messenger.unreadCount(alice.peerId), 1);
    assert.equal(reads.messages, afterMark);
    assert.equal(await storedUnread(bob, alice.peerId), 1);
  });

  test('a deleted conversation is counted again; a message deleted alone too', async () => {
    const { alice, bob } = await pair();
    for (const text of ['one', 'two']) await alice.messenger.send('bob', text, { waitMs: 5_000 });
    assert.equal(await bob.messenger.unreadCount(alice.peerId), 2);
    const [first] = await bob.messenger.history('alice');
    await bob.messenger.deleteMessages('alice', first!.id);
    assert.equal(await bob.messenger.unreadCount(alice.peerId), 1);
    await bob.messenger.deleteMessages('alice');
    assert.equal(await bob.messenger.unreadCount(alice.peerId), 0);
  });

  test('exact while messages arrive during counts and read marks, and after a restart', async () => {
    const { alice, bob } = await pair();
    await alice.messenger.send('bob', 'a session first', { waitMs: 5_000 });
    const sends: Promise<unknown>[] = [];
    const reads: Promise<unknown>[] = [];
    // Sends, counts and read marks interleave: each send is queued and delivered while the others run.
    for (let i = 0; i < 40; i++) {
      sends.push(alice.messenger.send('bob', `message ${i}`, { waitMs: 5_000 }));
      if (i % 5 === 0) reads.push(bob.messenger.unreadCount(alice.peerId));
      if (i % 7 === 3) reads.push(bob.messenger.markRead('alice'));
      if (i % 3 === 0) await new Promise((r) => setImmediate(r));
    }
    await Promise.all([...sends, ...reads]);
    await settle();
    assert.equal(bob.received.length, 41);
    assert.equal(await bob.messenger.unreadCount(alice.peerId), await storedUnread(bob, alice.peerId));
    // Read marks left every unread message newer than every read one: a fresh count from the newest back agrees.
    await bob.stop();
    await bob.start();
    assert.equal(await bob.messenger.unreadCount(alice.peerId), await storedUnread(bob, alice.peerId));
    const marked = await bob.messenger.markRead('alice');
    assert.equal(await bob.messenger.unreadCount(alice.peerId), 0);
    assert.equal(await storedUnread(bob, alice.peerId), 0);
    assert.ok(marked > 0, 'some messages arrived after the last read mark');
  });

  test('concurrent read marks of one conversation mark each message once', async () => {
    const { alice, bob } = await pair();
    for (let i = 0; i < 5; i++) await alice.messenger.send('bob', `m${i}`, { waitMs: 5_000 });
    const marked = await Promise.all([bob.messenger.markRead('alice'), bob.messenger.markRead('alice'), bob.messenger.markRead('alice')]);
    assert.deepEqual(marked, [5, 0, 0]);
    assert.equal(await bob.messenger.unreadCount(alice.peerId), 0);
    const receipts = (await bob.store.listOutbox()).filter((e) => e.kind === 'receipt');
    assert.ok(receipts.length <= 1, 'one receipt at most is waiting');
  });
});
