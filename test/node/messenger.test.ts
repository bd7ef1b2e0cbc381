/**
 * The messenger over an in-memory network: direct chat both ways, exactly
 * once delivery, the outbox across offline periods and restarts, receipts,
 * and the identity rules for contacts.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { memoryBackend } from '../../src/node/store/backend.ts';
import { SottoStore } from '../../src/node/store/store.ts';
import { Messenger } from '../../src/node/messaging/messenger.ts';
import { receiveEnvelope } from '../../src/node/messaging/inbox.ts';
import type { MessageRecord } from '../../src/node/store/records.ts';
import { fromBase64 } from '../../src/node/encoding/base64.ts';
import { testClock, testContext, type TestClock } from '../helpers/context.ts';
import { MemoryHub } from '../helpers/memory-network.ts';
import { MSG_PROTOCOL } from '../../src/node/constants.ts';
import { ManualScheduler, settle } from '../helpers/scheduler.ts';

/** How long each write of a slow disk takes, ms. */
const SLOW_WRITE_MS = 3;

/** One Sotto home in memory: its store survives restarts of its messenger. */
class Home {
  readonly store: SottoStore;
  messenger!: Messenger;
  readonly received: MessageRecord[] = [];
  private starts = 0;
  constructor(
    readonly name: string,
    readonly hub: MemoryHub,
    readonly clock: TestClock,
    readonly scheduler: ManualScheduler,
    backend = memoryBackend(),
  ) {
    this.store = new SottoStore(backend);
  }

  get ctx() {
    return testContext(`home:${this.name}:${this.received.length}`, { clock: this.clock });
  }

  async init(): Promise<this> {
    await this.store.open();
    await Messenger.initialise(this.store, testContext(`init:${this.name}`, { clock: this.clock }), { name: this.name });
    return this.start();
  }

  /** (Re)starts the messenger on the same store, online. */
  async start(): Promise<this> {
    const ctx = testContext(`run:${this.name}:${++this.starts}`, { clock: this.clock });
    const identity = await this.store.getIdentity(ctx);
    const peerId = (await import('../../src/node/encoding/peer-id.ts')).peerIdOfIdentity(identity!.public);
    this.messenger = await Messenger.open({ ctx, store: this.store, scheduler: this.scheduler, network: this.hub.network(peerId) });
    this.messenger.on('message', (m) => this.received.push(m));
    await this.messenger.start();
    this.hub.goOnline(peerId);
    return this;
  }

  async stop(): Promise<void> {
    await this.messenger.stop();
    this.hub.remove(this.messenger.peerId);
  }
}

async function pairOfHomes(): Promise<{ alice: Home; bob: Home; hub: MemoryHub; scheduler: ManualScheduler; clock: TestClock }> {
  const hub = new MemoryHub();
  const clock = testClock();
  const scheduler = new ManualScheduler(clock);
  const alice = await new Home('alice', hub, clock, scheduler).init();
  const bob = await new Home('bob', hub, clock, scheduler).init();
  await alice.messenger.addContact('bob', bob.messenger.peerId);
  await bob.messenger.addContact('alice', alice.messenger.peerId);
  await scheduler.advance(1); // each delivers its profile and mailbox pass to the other
  assert.equal(alice.messenger.outboxSize() + bob.messenger.outboxSize(), 0);
  return { alice, bob, hub, scheduler, clock };
}

describe('messenger: direct messages', () => {
  test('chat both ways: each message arrives once, and the sender sees it delivered', async () => {
    const { alice, bob } = await pairOfHomes();
    const first = await alice.messenger.send('bob', 'hello bob', { waitMs: 5_000 });
    assert.equal(first.status, 'delivered');
    await settle();
    assert.deepEqual(bob.received.map((m) => m.text), ['hello bob']);
    const reply = await bob.messenger.send('alice', 'hi alice', { waitMs: 5_000 });
    assert.equal(reply.status, 'delivered');
    for (let i = 0; i < 5; i++) {
      await alice.messenger.send('bob', `a${i}`, { waitMs: 5_000 });
      await bob.messenger.send('alice', `b${i}`, { waitMs: 5_000 });
    }
    await settle();
    assert.deepEqual(bob.received.map((m) => m.text), ['hello bob', 'a0', 'a1', 'a2', 'a3', 'a4']);
    assert.deepEqual(alice.received.map((m) => m.text), ['hi alice', 'b0', 'b1', 'b2', 'b3', 'b4']);
    const history = await alice.messenger.history('bob');
    assert.deepEqual(
      history.map((m) => [m.direction, m.text, m.status]),
      [
        ['out', 'hello bob', 'delivered'],
        ['in', 'hi alice', 'received'],
        ...[0, 1, 2, 3, 4].flatMap((i) => [
          ['out', `a${i}`, 'delivered'],
          ['in', `b${i}`, 'received'],
        ]),
      ],
    );
    assert.equal(alice.messenger.outboxSize(), 0);
  });

  test('a message to an offline contact waits in the outbox and arrives once when it comes back', async () => {
    const { alice, bob, hub, scheduler } = await pairOfHomes();
    hub.goOffline(bob.messenger.peerId);
    const result = await alice.messenger.send('bob', 'are you there?', { waitMs: 5_000 });
    assert.equal(result.status, 'queued');
    assert.match(result.reason!, /unreachable/);
    assert.equal(alice.messenger.outboxSize(), 1);
    await scheduler.advance(60_000); // retries while Bob is away: still queued
    assert.equal(bob.received.length, 0);
    hub.goOnline(bob.messenger.peerId);
    await scheduler.advance(1);
    assert.deepEqual(bob.received.map((m) => m.text), ['are you there?']);
    assert.equal(alice.messenger.outboxSize(), 0);
    const [sent] = await alice.messenger.history('bob');
    assert.equal(sent!.status, 'delivered');
  });

  test('either side restarting mid-conversation: the sessions carry on', async () => {
    const { alice, bob } = await pairOfHomes();
    await alice.messenger.send('bob', 'one', { waitMs: 5_000 });
    await bob.messenger.send('alice', 'two', { waitMs: 5_000 });
    await bob.stop();
    await bob.start();
    assert.equal((await alice.messenger.send('bob', 'three', { waitMs: 5_000 })).status, 'delivered');
    await alice.stop();
    await alice.start();
    assert.equal((await bob.messenger.send('alice', 'four', { waitMs: 5_000 })).status, 'delivered');
    assert.equal((await alice.messenger.send('bob', 'five', { waitMs: 5_000 })).status, 'delivered');
    await settle();
    assert.deepEqual(bob.received.map((m) => m.text), ['one', 'three', 'five']);
    assert.deepEqual(alice.received.map((m) => m.text), ['two', 'four']);
  });

  test('a connection that closes under a message in flight (a relayed one giving way to a direct one): sent again on a new stream, delivered once, no mailbox', async () => {
    const { alice, bob, hub } = await pairOfHomes();
    // A fresh start: no stream kept from an earlier round, the first one opens now.
    await alice.stop();
    await alice.start();
    const before = hub.opened.length;
    hub.breakNextStream(MSG_PROTOCOL);
    const sent = await alice.messenger.send('bob', 'across the upgrade', { waitMs: 5_000 });
    assert.equal(sent.status, 'delivered', JSON.stringify(sent));
    await settle();
    assert.deepEqual(bob.received.map((m) => m.text), ['across the upgrade'], 'received once, though it reached Bob on the broken stream too');
    assert.deepEqual(hub.opened.slice(before), [MSG_PROTOCOL, MSG_PROTOCOL], 'one stream broke, one more carried it; no mailbox was asked');
    assert.equal(alice.messenger.outboxSize(), 0);
  });

  test('a re-delivered envelope is acked as a duplicate and stored once', async () => {
    const { alice, bob, hub } = await pairOfHomes();
    await alice.messenger.send('bob', 'first, to start the session', { waitMs: 5_000 });
    hub.goOffline(bob.messenger.peerId);
    await alice.messenger.send('bob', 'only once');
    const entries = await alice.store.listOutbox();
    assert.ok(entries[0]!.envelope, 'encrypted at once: the session exists');
    hub.goOnline(bob.messenger.peerId);
    await settle();
    assert.equal(bob.received.length, 2);
    // The same bytes arrive again (a retry after a lost ack, or a relay replaying them).
    const envelope = fromBase64(entries[0]!.envelope!);
    const core = (bob.messenger as unknown as { core: Parameters<typeof receiveEnvelope>[0] }).core;
    assert.equal(await receiveEnvelope(core, alice.messenger.peerId, envelope), 'duplicate');
    assert.equal(await receiveEnvelope(core, alice.messenger.peerId, envelope), 'duplicate');
    await settle();
    assert.equal(bob.received.length, 2);
    assert.equal((await bob.messenger.history('alice')).length, 2);
  });

  test('reading a conversation sends a read receipt', async () => {
    const { alice, bob } = await pairOfHomes();
    await alice.messenger.send('bob', 'read me', { waitMs: 5_000 });
    assert.equal(await bob.messenger.markRead('alice'), 1);
    await settle();
    const [message] = await alice.messenger.history('bob');
    assert.equal(message!.status, 'read');
    assert.equal((await bob.messenger.history('alice'))[0]!.status, 'read');
    assert.equal(await bob.messenger.markRead('alice'), 0);
  });

  test('a read mark and its receipt land together: a crash before the write loses both (read again later), after it loses neither', async () => {
    const { alice, bob, hub } = await pairOfHomes();
    await alice.messenger.send('bob', 'read me before the crash', { waitMs: 5_000 });
    hub.goOffline(alice.messenger.peerId);
    // The write that marks it read fails (the disk is gone): nothing of it lands, and it is still unread.
    const commit = bob.store.commit.bind(bob.store);
    bob.store.commit = (tx: Parameters<typeof commit>[0], options: { sync: boolean }) => (tx.ops.some((op) => op.key.startsWith('outbox:')) ? Promise.reject(new Error('disk gone')) : commit(tx, options));
    await assert.rejects(bob.messenger.markRead('alice'), /disk gone/);
    bob.store.commit = commit;
    assert.equal((await bob.messenger.history('alice'))[0]!.status, 'received', 'not marked read without its receipt');
    // Marked for real: the mark and the queued receipt survive a restart, and the receipt goes out once alice is back.
    assert.equal(await bob.messenger.markRead('alice'), 1);
    const queued = (await bob.store.listOutbox()).filter((e) => e.kind === 'receipt');
    assert.equal(queued.length, 1);
    await bob.stop();
    await bob.start();
    hub.goOnline(alice.messenger.peerId);
    await settle();
    assert.equal((await alice.messenger.history('bob'))[0]!.status, 'read');
  });

  test('history pages back through a conversation: the newest first page, then older ones before a seq', async () => {
    const { alice, bob } = await pairOfHomes();
    for (let i = 0; i < 7; i++) await alice.messenger.send('bob', `m${i}`, { waitMs: 5_000 });
    const all = await bob.messenger.history('alice');
    assert.deepEqual(all.map((m) => m.text), ['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6']);
    const last = await bob.messenger.history('alice', { limit: 3 });
    assert.deepEqual(last.map((m) => m.text), ['m4', 'm5', 'm6']);
    const before = await bob.messenger.history('alice', { before: last[0]!.seq, limit: 3 });
    assert.deepEqual(before.map((m) => m.text), ['m1', 'm2', 'm3']);
    assert.deepEqual((await bob.messenger.history('alice', { before: before[0]!.seq, limit: 3 })).map((m) => m.text), ['m0']);
    assert.deepEqual((await bob.messenger.history('alice', { before: all[0]!.seq })).map((m) => m.text), []);
    await assert.rejects(bob.messenger.history('alice', { limit: 0 }), RangeError);
  });
});

describe('messenger: contacts and identity', () => {
  test('an identity key change for a known contact is refused until accepted', async () => {
    const { alice, bob } = await pairOfHomes();
    const hub = new MemoryHub();
    const mallory = await new Home('mallory', hub, testClock(), new ManualScheduler(testClock())).init();
    await assert.rejects(alice.messenger.addContact('bob', mallory.messenger.peerId), { name: 'ContactIdentityChangedError' });
    assert.equal((await alice.messenger.contacts()).find((c) => c.name === 'bob')!.peerId, bob.messenger.peerId);
    await alice.messenger.addContact('bob', mallory.messenger.peerId, { acceptNewKey: true });
    assert.equal((await alice.messenger.contacts()).find((c) => c.name === 'bob')!.peerId, mallory.messenger.peerId);
  });

  test('bad input is a typed error and changes nothing', async () => {
    const { alice, bob } = await pairOfHomes();
    await assert.rejects(alice.messenger.addContact('carol', 'not-a-peer-id'), { name: 'InvalidPeerIdError' });
    await assert.rejects(alice.messenger.addContact('', bob.messenger.peerId), { name: 'InvalidContactNameError' });
    await assert.rejects(alice.messenger.addContact('bob2', bob.messenger.peerId), { name: 'DuplicatePeerError' });
    await assert.rejects(alice.messenger.send('nobody', 'x'), { name: 'UnknownContactError' });
    await assert.rejects(alice.messenger.send('bob', ''), { name: 'InvalidMessageError' });
    await assert.rejects(alice.messenger.send('bob', 'x'.repeat(70_000)), { name: 'InvalidMessageError' });
    assert.deepEqual((await alice.messenger.contacts()).map((c) => c.name), ['bob']);
    assert.equal(alice.messenger.outboxSize(), 0);
  });

  test('a peer that writes before it is added is a message request until added, then a contact with its messages', async () => {
    const hub = new MemoryHub();
    const clock = testClock();
    const scheduler = new ManualScheduler(clock);
    const alice = await new Home('alice', hub, clock, scheduler).init();
    const bob = await new Home('bob', hub, clock, scheduler).init();
    await bob.messenger.addContact('alice', alice.messenger.peerId);
    assert.equal((await bob.messenger.send('alice', 'hi, you do not know me yet', { waitMs: 5_000 })).status, 'delivered');
    assert.deepEqual(await alice.messenger.contacts(), [], 'a stranger is never listed among contacts');
    assert.deepEqual(alice.received, [], 'nor announced as a message');
    assert.deepEqual(alice.messenger.requests().map((r) => [r.peerId, r.claimedName, r.messages]), [[bob.messenger.peerId, 'bob', 1]]);
    await alice.messenger.addContact('bob', bob.messenger.peerId);
    assert.deepEqual((await alice.messenger.contacts()).map((c) => [c.name, c.added]), [['bob', true]]);
    assert.deepEqual(alice.messenger.requests(), []);
    assert.deepEqual((await alice.messenger.history('bob')).map((m) => m.text), ['hi, you do not know me yet']);
  });

  test('a first message that arrives while its sender is being added leaves one contact for that peer', async () => {
    // Bob's disk is slow (each write takes a few ms), and the add starts 0 to 60
    // event-loop turns after the send: some adds land between the message being
    // decrypted and its write reaching the disk.
    for (let turns = 0; turns <= 60; turns += 4) {
      const hub = new MemoryHub();
      const clock = testClock();
      const scheduler = new ManualScheduler(clock);
      const alice = await new Home('alice', hub, clock, scheduler).init();
      const disk = memoryBackend();
      const slowDisk: typeof disk = { ...disk, batch: async (ops, options) => (await new Promise((r) => setTimeout(r, SLOW_WRITE_MS)), disk.batch(ops, options)) };
      const bob = await new Home('bob', hub, clock, scheduler, slowDisk).init();
      await alice.messenger.addContact('bob', bob.messenger.peerId);
      const sending = alice.messenger.send('bob', `hello ${turns}`, { waitMs: 5_000 });
      await settle(turns);
      await bob.messenger.addContact('alice', alice.messenger.peerId);
      assert.equal((await sending).status, 'delivered');
      await settle();
      const records = (await bob.messenger.contacts()).filter((c) => c.peerId === alice.messenger.peerId);
      assert.deepEqual(records.map((c) => [c.name, c.added]), [['alice', true]], `after ${turns} turns`);
      assert.deepEqual((await bob.messenger.history('alice')).map((m) => m.text), [`hello ${turns}`]);
    }
  });

  test('initialise refuses to overwrite an identity', async () => {
    const store = new SottoStore(memoryBackend());
    await store.open();
    const ctx = testContext('init-twice');
    const { peerId } = await Messenger.initialise(store, ctx, { name: 'x' });
    await assert.rejects(Messenger.initialise(store, ctx, { name: 'y' }), (err: { name: string; peerId: string }) => err.name === 'AlreadyInitialisedError' && err.peerId === peerId);
  });
});
