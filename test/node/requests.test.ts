/**
 * Message requests over an in-memory network: a stranger reaches this home
 * only as a request (never a contact, never a 'message' event), within
 * per-sender and total quotas; accept, block, delete; the sender's outbox
 * understands a refusal; forged first messages are dropped and counted;
 * conversations and single messages can be deleted locally.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { issueBundle } from '../../src/crypto/prekeys.ts';
import { encryptMessage, startSession } from '../../src/crypto/session.ts';
import { seal } from '../../src/crypto/sealed.ts';
import type { Core } from '../../src/node/core/core.ts';
import {
  REQUEST_MAX_BYTES_PER_SENDER,
  REQUEST_MAX_MESSAGES_PER_SENDER,
  REQUEST_SENDER_OVERHEAD_BYTES,
  REQUESTS_MAX_SENDERS,
  REQUESTS_MAX_TOTAL_BYTES,
} from '../../src/node/constants.ts';
import { peerIdOfIdentity } from '../../src/node/encoding/peer-id.ts';
import { mailboxKeyOf } from '../../src/node/mailbox/keys.ts';
import { receiveEnvelope } from '../../src/node/messaging/inbox.ts';
import { Tx } from '../../src/node/store/store.ts';
import { messengerApi } from '../../src/app/api.ts';
import type { Messenger } from '../../src/node/messaging/messenger.ts';
import { encodePayload } from '../../src/node/messaging/payload.ts';
import { testClock, testContext } from '../helpers/context.ts';
import { Home } from '../helpers/homes.ts';
import { MemoryHub } from '../helpers/memory-network.ts';
import { makeParty, type Party } from '../helpers/parties.ts';
import { ManualScheduler } from '../helpers/scheduler.ts';

async function world(options: { mailbox?: boolean } = {}) {
  const hub = new MemoryHub();
  const clock = testClock();
  const scheduler = new ManualScheduler(clock);
  const boxes = options.mailbox ? [await new Home('mailbox', hub, clock, scheduler, { mailbox: true }).init()] : [];
  const alice = await new Home('alice', hub, clock, scheduler).init();
  return { hub, clock, scheduler, alice, boxes };
}

const coreOf = (messenger: Messenger): Core => (messenger as unknown as { core: Core }).core;

/** Every stored key and value of a home, to compare before and after. */
async function snapshot(home: Home): Promise<string> {
  return home.rawDump();
}

/** A stranger that starts a session from `victim`'s last-resort bundle and writes to it directly (below the network). */
class Stranger {
  private constructor(
    readonly party: Party,
    readonly peerId: string,
  ) {}

  static async to(victim: Home, label: string): Promise<Stranger> {
    const party = await makeParty(label, { oneTime: 0 });
    party.record = await startSession(party.ctx, party.identity, issueBundle(party.ctx, victim.messenger.identity, coreOf(victim.messenger).prekeys, { oneTime: false }).bundle);
    return new Stranger(party, peerIdOfIdentity(party.identity.public));
  }

  envelope(text: string): Uint8Array {
    const id = Array.from(this.party.ctx.randomBytes(16), (b) => b.toString(16).padStart(2, '0')).join('');
    const out = encryptMessage(this.party.ctx, this.party.record, encodePayload({ type: 'text', id, sentAt: 1, text }));
    this.party.record = out.record;
    return out.envelope;
  }

  send(victim: Home, text: string): Promise<string> {
    return receiveEnvelope(coreOf(victim.messenger), this.peerId, this.envelope(text));
  }
}

describe('message requests', () => {
  test('a stranger is a request: held apart, never a contact or a message event, its claimed name kept', async () => {
    const { alice, hub, clock, scheduler } = await world();
    const bob = await new Home('bob', hub, clock, scheduler).init();
    await bob.messenger.addContact('alice', alice.peerId);
    const sent = await bob.messenger.send('alice', 'hello, you do not know me', { waitMs: 5_000 });
    assert.equal(sent.status, 'delivered');
    assert.deepEqual(await alice.messenger.contacts(), []);
    assert.deepEqual(alice.received, []);
    const [request] = alice.messenger.requests();
    assert.equal(request!.peerId, bob.peerId);
    assert.equal(request!.claimedName, 'bob');
    assert.equal(request!.messages, 1);
    assert.deepEqual((await alice.messenger.requestMessages(bob.peerId)).map((m) => m.text), ['hello, you do not know me']);
    // A stranger gets no receipts: Bob's message stays delivered, never read.
    assert.equal((await bob.messenger.history('alice'))[0]!.status, 'delivered');
  });

  test('beyond its per-sender quota a stranger is refused before anything is opened; its outbox stops and shows failed: not accepted', async () => {
    const { alice, hub, clock, scheduler } = await world();
    const bob = await new Home('bob', hub, clock, scheduler).init();
    await bob.messenger.addContact('alice', alice.peerId);
    const results = [];
    for (let i = 0; i < REQUEST_MAX_MESSAGES_PER_SENDER + 2; i++) results.push(await bob.messenger.send('alice', `message ${i}`, { waitMs: 5_000 }));
    assert.deepEqual(results.map((r) => r.status), [...Array(REQUEST_MAX_MESSAGES_PER_SENDER).fill('delivered'), 'failed', 'failed']);
    assert.equal(results.at(-1)!.reason, 'not accepted');
    assert.equal(bob.messenger.outboxSize(), 0, 'a refused message is not retried');
    const history = await bob.messenger.history('alice');
    assert.deepEqual(history.at(-1), { ...history.at(-1)!, status: 'failed', failure: 'not accepted' });
    assert.equal(alice.messenger.requests()[0]!.messages, REQUEST_MAX_MESSAGES_PER_SENDER);
    assert.equal((await alice.messenger.requestMessages(bob.peerId)).length, REQUEST_MAX_MESSAGES_PER_SENDER);
    // Refused before decrypting: the store is byte-identical after another refused envelope.
    const stranger = await Stranger.to(alice, 'flooder');
    for (let i = 0; i < REQUEST_MAX_MESSAGES_PER_SENDER; i++) assert.equal(await stranger.send(alice, `flood ${i}`), 'stored');
    const before = await snapshot(alice);
    assert.equal(await stranger.send(alice, 'one more'), 'refused');
    assert.equal(await snapshot(alice), before);
  });

  test('a stranger is bounded in bytes too: one that sends the largest texts is refused past its byte quota', async () => {
    const { alice } = await world();
    const stranger = await Stranger.to(alice, 'long-winded');
    const big = 'x'.repeat(60 * 1024);
    const answers = [];
    for (let i = 0; i < REQUEST_MAX_MESSAGES_PER_SENDER; i++) answers.push(await stranger.send(alice, big));
    const stored = answers.filter((a) => a === 'stored').length;
    assert.ok(stored >= 1 && stored < REQUEST_MAX_MESSAGES_PER_SENDER, `${stored} stored`);
    assert.ok(answers.slice(stored).every((a) => a === 'refused'));
    assert.ok(alice.messenger.requests()[0]!.bytes <= REQUEST_MAX_BYTES_PER_SENDER);
  });

  test('strangers together stay within the total quota: the oldest requests are deleted whole, contacts are untouched', async () => {
    const { alice, hub, clock, scheduler } = await world();
    const carol = await new Home('carol', hub, clock, scheduler).init();
    await alice.messenger.addContact('carol', carol.peerId);
    await carol.messenger.addContact('alice', alice.peerId);
    await scheduler.advance(1);
    assert.equal((await carol.messenger.send('alice', 'from a real contact', { waitMs: 5_000 })).status, 'delivered');
    const strangers: Stranger[] = [];
    for (let i = 0; i < REQUESTS_MAX_SENDERS + 5; i++) {
      const stranger = await Stranger.to(alice, `sybil-${i}`);
      strangers.push(stranger);
      clock.advance(1);
      assert.equal(await stranger.send(alice, `sybil ${i} was here`), 'stored');
    }
    await scheduler.advance(1); // evictions run after each request is durable
    const kept = alice.messenger.requests();
    assert.equal(kept.length, REQUESTS_MAX_SENDERS);
    assert.ok(kept.reduce((n, r) => n + r.bytes, 0) <= REQUESTS_MAX_TOTAL_BYTES);
    const evicted = strangers.slice(0, 5).map((s) => s.peerId);
    assert.deepEqual(
      kept.map((r) => r.peerId).filter((p) => evicted.includes(p)),
      [],
      'the five oldest went',
    );
    const core = coreOf(alice.messenger);
    for (const peerId of evicted) {
      assert.deepEqual(await alice.store.listMessages(peerId), []);
      assert.equal(await alice.store.getSession(peerId), undefined);
      assert.deepEqual(await alice.store.conversationKeys(peerId), []);
      assert.equal(core.requests.has(peerId), false);
    }
    assert.deepEqual((await alice.messenger.history('carol')).map((m) => m.text), ['from a real contact']);
    assert.equal((await carol.messenger.send('alice', 'still here', { waitMs: 5_000 })).status, 'delivered');
    // Many small requests are charged their overhead: a thousand cannot outgrow the total.
    assert.ok(REQUESTS_MAX_SENDERS * REQUEST_SENDER_OVERHEAD_BYTES <= REQUESTS_MAX_TOTAL_BYTES);
  });

  test('accept makes a contact with the request as its conversation; a request without a usable name needs one', async () => {
    const { alice } = await world();
    const nameless = await Stranger.to(alice, 'nameless');
    await nameless.send(alice, 'hi, it is me');
    await assert.rejects(alice.messenger.acceptRequest(nameless.peerId), { name: 'RequestNameRequiredError' });
    await assert.rejects(alice.messenger.acceptRequest('12D3KooWnotapeer'), { name: 'UnknownRequestError' });
    const contact = await alice.messenger.acceptRequest(nameless.peerId, 'dora');
    assert.deepEqual([contact.name, contact.peerId, contact.added, contact.verified], ['dora', nameless.peerId, true, false]);
    assert.deepEqual(alice.messenger.requests(), []);
    assert.deepEqual((await alice.messenger.history('dora')).map((m) => m.text), ['hi, it is me']);
    // Now a contact: its next message is a message, outside any request quota.
    const before = alice.received.length;
    for (let i = 0; i < REQUEST_MAX_MESSAGES_PER_SENDER + 1; i++) assert.equal(await nameless.send(alice, `more ${i}`), 'stored');
    assert.equal(alice.received.length, before + REQUEST_MAX_MESSAGES_PER_SENDER + 1);
  });

  test('accepting under the claimed name is refused when a contact already has that name', async () => {
    const { alice, hub, clock, scheduler } = await world();
    const bob = await new Home('bob', hub, clock, scheduler).init();
    const otherBob = await new Home('bob on a new phone', hub, clock, scheduler).init();
    await otherBob.store.commit(new Tx().putProfile({ name: 'bob' }), { sync: true });
    await alice.messenger.addContact('bob', bob.peerId);
    await otherBob.messenger.addContact('alice', alice.peerId);
    await otherBob.messenger.send('alice', 'it is bob, new phone', { waitMs: 5_000 });
    const [request] = alice.messenger.requests();
    assert.equal(request!.claimedName, 'bob');
    await assert.rejects(alice.messenger.acceptRequest(otherBob.peerId), { name: 'RequestNameRequiredError' });
    // The list says whom it poses as.
    const api = messengerApi(alice.messenger, testContext('api').primitives, () => []);
    assert.deepEqual((await api.listRequests()).map((r) => [r.peerId, r.claimedName, r.looksLike]), [[otherBob.peerId, 'bob', 'bob']]);
    assert.equal((await alice.messenger.contact('bob')).peerId, bob.peerId, 'the contact bob is unchanged');
  });

  test('block deletes the request and refuses the peer at once from then on; delete lets it ask again', async () => {
    const { alice } = await world();
    const pest = await Stranger.to(alice, 'pest');
    await pest.send(alice, 'buy now');
    await alice.messenger.block(pest.peerId);
    assert.deepEqual(alice.messenger.requests(), []);
    assert.deepEqual(await alice.store.conversationKeys(pest.peerId), []);
    assert.equal(await alice.store.getSession(pest.peerId), undefined);
    const before = await snapshot(alice);
    assert.equal(await pest.send(alice, 'buy now!!'), 'refused');
    assert.equal(await snapshot(alice), before, 'nothing stored for a blocked peer');
    // Blocking survives a restart.
    await alice.stop();
    await alice.start();
    assert.equal(await pest.send(alice, 'buy now!!!'), 'refused');

    const shy = await Stranger.to(alice, 'shy');
    await shy.send(alice, 'hello?');
    await alice.messenger.deleteRequest(shy.peerId);
    assert.deepEqual(alice.messenger.requests(), []);
    await assert.rejects(alice.messenger.deleteRequest(shy.peerId), { name: 'UnknownRequestError' });
  });

  test('a contact cannot be blocked as a request', async () => {
    const { alice, hub, clock, scheduler } = await world();
    const bob = await new Home('bob', hub, clock, scheduler).init();
    await alice.messenger.addContact('bob', bob.peerId);
    await assert.rejects(alice.messenger.block(bob.peerId), { name: 'UnknownRequestError' });
    await assert.rejects(alice.messenger.block('not a peer id'), { name: 'InvalidPeerIdError' });
  });

  test('contacts that wrote first in an older home become requests when the messenger opens', async () => {
    const { alice } = await world();
    const stranger = await Stranger.to(alice, 'old');
    await stranger.send(alice, 'from before requests');
    // The record an older version wrote: a contact named by its peer id, not added.
    await alice.stop();
    await alice.store.commit(new Tx().deleteRequest(stranger.peerId).putContact({ name: stranger.peerId, peerId: stranger.peerId, addedAt: 5, verified: false, added: false }), { sync: true });
    await alice.start();
    assert.deepEqual(await alice.messenger.contacts(), []);
    assert.deepEqual(alice.messenger.requests().map((r) => [r.peerId, r.messages, r.firstAt]), [[stranger.peerId, 1, 5]]);
  });
});

describe('forged senders', () => {
  test('sealed mail claiming to be from a verified contact but carrying another identity is dropped and counted, never a key change', async () => {
    const { alice, hub, clock, scheduler, boxes } = await world({ mailbox: true });
    const bob = await new Home('bob', hub, clock, scheduler).init();
    await alice.messenger.addContact('bob', bob.peerId);
    await bob.messenger.addContact('alice', alice.peerId);
    await scheduler.advance(1);
    await alice.messenger.send('bob', 'hi bob', { waitMs: 5_000 });
    await alice.messenger.setVerified('bob', true);
    const forged: unknown[] = [];
    alice.messenger.on('forged', (e) => forged.push(e));
    // Mallory seals a first message of her own (her identity inside) and claims to be bob.
    const mallory = await makeParty('mallory', { oneTime: 0 });
    mallory.record = await startSession(mallory.ctx, mallory.identity, issueBundle(mallory.ctx, alice.messenger.identity, coreOf(alice.messenger).prekeys, { oneTime: false }).bundle);
    const envelope = encryptMessage(mallory.ctx, mallory.record, encodePayload({ type: 'text', id: '00'.repeat(16), sentAt: 1, text: 'it is bob, trust me' })).envelope;
    const sealed = await seal(mallory.ctx, alice.messenger.identity.public.dhKey, new TextEncoder().encode(bob.peerId), envelope);
    const malloryPeer = peerIdOfIdentity(mallory.identity.public);
    const answer = await boxes[0]!.mailbox!.deposit(malloryPeer, mailboxKeyOf(testContext('x').primitives, alice.peerId), sealed);
    assert.equal(answer[1], 2, 'the mailbox took it (it cannot tell)');
    const received = alice.received.length;
    await alice.messenger.fetchMail();
    assert.equal(alice.received.length, received, 'nothing shown');
    assert.deepEqual(forged, [{ peerId: bob.peerId, via: 'mailbox' }]);
    assert.equal(coreOf(alice.messenger).forged.mailbox, 1);
    const contact = await alice.messenger.contact('bob');
    assert.equal(contact.verified, true, 'still verified: no key change');
    assert.equal(contact.keyChangedAt, undefined);
    assert.deepEqual(alice.messenger.requests(), []);
    assert.equal(boxes[0]!.mailbox!.usage().items, 0, 'the forgery was deleted from the mailbox');
    // The real bob still gets through.
    assert.equal((await bob.messenger.send('alice', 'the real bob', { waitMs: 5_000 })).status, 'delivered');
  });

  test('a first message whose identity is not the claimed peer (no session yet) is dropped and counted', async () => {
    const { alice } = await world();
    const mallory = await Stranger.to(alice, 'mallory');
    const victim = await makeParty('victim', { oneTime: 0 });
    const claimed = peerIdOfIdentity(victim.identity.public);
    const core = coreOf(alice.messenger);
    const before = await snapshot(alice);
    assert.equal(await receiveEnvelope(core, claimed, mallory.envelope('i am the victim')), 'rejected');
    assert.equal(core.forged.direct, 1);
    assert.deepEqual(alice.messenger.requests(), []);
    assert.equal(await snapshot(alice), before);
  });
});

describe('deleting locally', () => {
  test('one message, then the whole conversation; the contact and its session stay', async () => {
    const { alice, hub, clock, scheduler } = await world();
    const bob = await new Home('bob', hub, clock, scheduler).init();
    await alice.messenger.addContact('bob', bob.peerId);
    await bob.messenger.addContact('alice', alice.peerId);
    await scheduler.advance(1);
    const first = await alice.messenger.send('bob', 'one', { waitMs: 5_000 });
    await bob.messenger.send('alice', 'two', { waitMs: 5_000 });
    await alice.messenger.send('bob', 'three', { waitMs: 5_000 });
    assert.equal(await alice.messenger.deleteMessages('bob', first.id), 1);
    assert.deepEqual((await alice.messenger.history('bob')).map((m) => m.text), ['two', 'three']);
    await assert.rejects(alice.messenger.deleteMessages('bob', first.id), { name: 'UnknownMessageError' });
    await assert.rejects(alice.messenger.deleteMessages('nobody'), { name: 'UnknownContactError' });
    assert.equal(await alice.messenger.deleteMessages('bob'), 2);
    assert.deepEqual(await alice.messenger.history('bob'), []);
    assert.equal((await alice.messenger.contact('bob')).peerId, bob.peerId);
    assert.equal((await alice.messenger.send('bob', 'after the delete', { waitMs: 5_000 })).status, 'delivered');
    assert.deepEqual(bob.received.map((m) => m.text), ['one', 'three', 'after the delete']);
  });
});
