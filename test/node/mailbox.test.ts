/**
 * Store-and-forward over an in-memory network: mail for an offline contact
 * held by its mailboxes, first contact through a published bundle record,
 * copies from several mailboxes, quotas, expiry, and who may fetch.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { toHex } from '../../src/crypto/bytes.ts';
import { bundleRecordKey, encodeBundleRecord, validateBundleRecord } from '../../src/node/bundles/bundle-record.ts';
import {
  BUNDLE_RECORD_MAX_AGE_MS,
  MAILBOX_MAX_DEPOSITS_PER_DEPOSITOR,
  MAILBOX_MAX_ITEMS_PER_RECIPIENT,
  MAILBOX_PASS_TTL_MS,
  MAILBOX_REPLICAS,
  MAILBOX_STRANGER_DEPOSITS_PER_DEPOSITOR,
  MAILBOX_STRANGER_ITEMS_PER_RECIPIENT,
  MAILBOX_STRANGER_SHARE_DIVISOR,
  MAILBOX_TTL_MS,
} from '../../src/node/constants.ts';
import { peerIdOfIdentity } from '../../src/node/encoding/peer-id.ts';
import { issuePass, type MailboxPass } from '../../src/node/mailbox/pass.ts';
import { makeParty } from '../helpers/parties.ts';
import { mailboxKeyOf } from '../../src/node/mailbox/keys.ts';
import { MailboxService } from '../../src/node/mailbox/service.ts';
import { decodeMailboxFrame } from '../../src/node/mailbox/wire.ts';
import { issueBundle } from '../../src/crypto/prekeys.ts';
import { testClock, testContext } from '../helpers/context.ts';
import { contactsWithMailboxes, Home } from '../helpers/homes.ts';
import { MemoryHub } from '../helpers/memory-network.ts';
import { ManualScheduler, settle } from '../helpers/scheduler.ts';

const network = contactsWithMailboxes;

/** A pass from `recipient` that lets `depositor` deposit for it, as the recipient's messenger would send it. */
async function passFor(recipient: Home, depositor: string): Promise<MailboxPass> {
  const expiresAt = recipient.clock.now() + MAILBOX_PASS_TTL_MS;
  const signature = await issuePass(testContext('pass', { clock: recipient.clock }), recipient.messenger.identity, depositor, expiresAt);
  return { recipientKey: recipient.messenger.identity.public.signingKey, expiresAt, signature };
}

describe('mailboxes', () => {
  test('A writes to offline B and goes offline; B comes back and reads it; mailboxes hold no plaintext', async () => {
    const { boxes, alice, bob, scheduler } = await network();
    await alice.messenger.send('bob', 'hello, to start the session', { waitMs: 5_000 });
    await bob.stop();
    const secret = 'meet at the old bridge at nine';
    const result = await alice.messenger.send('bob', secret, { waitMs: 5_000 });
    assert.equal(result.status, 'stored');
    assert.match(result.reason!, /held by 3 mailboxes until/);
    const [, sent] = await alice.messenger.history('bob');
    assert.deepEqual(sent!.custody?.mailboxes, MAILBOX_REPLICAS);
    assert.equal(alice.messenger.outboxSize(), 0, 'held by k mailboxes: it left the outbox');
    await alice.stop();
    for (const box of boxes) {
      assert.equal(box.mailbox!.usage().items, 1);
      const dump = await box.rawDump();
      assert.ok(!dump.includes(secret), 'no plaintext in a mailbox database');
      assert.ok(!dump.includes(alice.peerId), 'no sender identity in a mailbox database');
    }
    await bob.start();
    assert.equal(await bob.messenger.fetchMail(), 1, 'downloaded once: the copies on the other mailboxes are acknowledged unread');
    assert.deepEqual(bob.received.map((m) => m.text), ['hello, to start the session', secret]);
    for (const box of boxes) assert.equal(box.mailbox!.usage().items, 0, 'fetched mail is deleted');
    // Alice comes back: Bob's 'delivered' receipt reaches her.
    await alice.start();
    await alice.messenger.fetchMail();
    await scheduler.advance(1);
    assert.equal((await alice.messenger.history('bob'))[1]!.status, 'delivered');
  });

  test('a first message to a contact that was never online at the same time as the sender', async () => {
    const { hub, clock, scheduler, boxes } = await network();
    const carol = await new Home('carol', hub, clock, scheduler).init();
    await scheduler.advance(1); // carol publishes her bundle record
    await carol.stop();
    const dave = await new Home('dave', hub, clock, scheduler).init();
    await dave.messenger.addContact('carol', carol.peerId);
    const result = await dave.messenger.send('carol', 'we have never met online', { waitMs: 5_000 });
    assert.equal(result.status, 'stored');
    await dave.stop();
    await carol.start();
    await carol.messenger.fetchMail();
    // Dave is not Carol's contact: his first message is a request.
    assert.deepEqual(carol.messenger.requests().map((r) => [r.peerId, r.claimedName, r.messages]), [[dave.peerId, 'dave', 1]]);
    assert.deepEqual((await carol.messenger.requestMessages(dave.peerId)).map((m) => [m.text, m.peerId]), [['we have never met online', dave.peerId]]);
    assert.ok(boxes.every((b) => b.mailbox!.usage().items === 0));
    // And the session works both ways once both are online.
    await dave.start();
    await carol.messenger.addContact('dave', dave.peerId);
    const hello = await carol.messenger.send('dave', 'hello dave', { waitMs: 5_000 });
    assert.equal(hello.status, 'delivered', hello.reason);
  });

  test('the same envelope from three mailboxes, out of order: the app sees it once, no ratchet desync', async () => {
    const { alice, bob } = await network();
    await alice.messenger.send('bob', 'start', { waitMs: 5_000 });
    await bob.stop();
    for (let i = 0; i < 5; i++) assert.equal((await alice.messenger.send('bob', `offline ${i}`, { waitMs: 5_000 })).status, 'stored');
    await bob.start();
    await bob.messenger.fetchMail();
    // Mailboxes hand out mail in their own order; each message arrives once.
    assert.deepEqual(bob.received.map((m) => m.text).sort(), ['offline 0', 'offline 1', 'offline 2', 'offline 3', 'offline 4', 'start']);
    assert.equal((await bob.messenger.history('alice')).length, 6);
    assert.equal((await bob.messenger.send('alice', 'got them all', { waitMs: 5_000 })).status, 'delivered');
    assert.equal((await alice.messenger.send('bob', 'and this one', { waitMs: 5_000 })).status, 'delivered');
    assert.equal(bob.received.at(-1)!.text, 'and this one');
  });

  test('a fetch hands out mail in deposit order: deposits within one millisecond, after a restart, from a store without the order index', async () => {
    const { boxes, bob } = await network(1);
    const home = boxes[0]!;
    const key = mailboxKeyOf(testContext('x').primitives, bob.peerId);
    // Items whose ids (their SHA-256) sort in another order than they are deposited.
    const items = Array.from({ length: 40 }, (_, i) => Uint8Array.of(5, i));
    for (const item of items.slice(0, 20)) assert.equal(decodeMailboxFrame(await home.mailbox!.deposit('alice', key, item)).type, 'receipt');
    // The mailbox restarts on a store written before the order index (its entries are dropped
    // here): opening rebuilds them from the held items; then more mail arrives.
    home.mailbox!.close();
    const orderKeys: string[] = [];
    for await (const [k] of home.backend.entries({ gte: 'mboxord:', lt: 'mboxord;' })) orderKeys.push(k);
    assert.equal(orderKeys.length, 20);
    await home.backend.batch(orderKeys.map((k) => ({ type: 'del' as const, key: k })), { sync: true });
    const ctx = testContext('mailbox restart', { clock: home.clock });
    const reopened = await MailboxService.open({ ctx, store: home.store, identity: (await home.store.getIdentity(ctx))!, scheduler: home.scheduler });
    for (const item of items.slice(20)) assert.equal(decodeMailboxFrame(await reopened.deposit('alice', key, item)).type, 'receipt');
    const fetched = decodeMailboxFrame(await reopened.fetch(bob.peerId, 100));
    assert.equal(fetched.type, 'items');
    assert.deepEqual(fetched.type === 'items' && fetched.items.map((i) => i.item[1]), items.map((_, i) => i));
    const ids = items.map((item) => toHex(ctx.primitives.sha256(item)));
    assert.notDeepEqual([...ids].sort(), ids, 'the test items do not happen to sort by id');
    // Acknowledged items leave the order index with them.
    const first = fetched.type === 'items' ? fetched.items.slice(0, 10).map((i) => i.id) : [];
    assert.deepEqual(decodeMailboxFrame(await reopened.acknowledge(bob.peerId, first)), { type: 'acked', deleted: 10 });
    const rest = decodeMailboxFrame(await reopened.fetch(bob.peerId, 100));
    assert.deepEqual(rest.type === 'items' && rest.items.map((i) => i.item[1]), items.slice(10).map((_, i) => i + 10));
    reopened.close();
  });

  test('fetched mail is written without a sync per message, and synced before a mailbox is told to delete it', async () => {
    const { boxes, alice, bob } = await network();
    await alice.messenger.send('bob', 'start', { waitMs: 5_000 });
    await bob.stop();
    // Held by all k mailboxes: alice stops trying to deliver them herself.
    for (let i = 0; i < 5; i++) assert.equal((await alice.messenger.send('bob', `away ${i}`, { waitMs: 5_000 })).status, 'stored');
    await bob.start();
    // What reaches bob's disk and the mailboxes, in order.
    const events: string[] = [];
    const batch = bob.backend.batch.bind(bob.backend);
    bob.backend.batch = async (ops, options) => {
      await batch(ops, options);
      events.push(options.sync ? 'sync' : 'write');
    };
    for (const home of boxes) {
      const box = home.mailbox!;
      const acknowledge = box.acknowledge.bind(box);
      box.acknowledge = (recipient, ids, handedOut) => {
        if (recipient === bob.peerId) events.push('ack');
        return acknowledge(recipient, ids, handedOut);
      };
    }
    await bob.messenger.fetchMail();
    assert.deepEqual((await bob.messenger.history('alice')).map((m) => m.text), ['start', 'away 0', 'away 1', 'away 2', 'away 3', 'away 4']);
    assert.ok(events.includes('write'), `the messages were written unsynced: ${events.join(' ')}`);
    events.forEach((event, i) => {
      if (event !== 'ack') return;
      // Nothing written since the last synced write: everything before the ack is durable.
      assert.ok(!events.slice(events.lastIndexOf('sync', i) + 1, i).includes('write'), `an unsynced write before an ack: ${events.join(' ')}`);
    });
  });

  test('a FETCH continues after what its stream handed out: the next batch can be asked for before the ACK', async () => {
    const { boxes, bob } = await network(1);
    const box = boxes[0]!.mailbox!;
    const key = mailboxKeyOf(testContext('x').primitives, bob.peerId);
    const items = Array.from({ length: 25 }, (_, i) => Uint8Array.of(6, i));
    for (const item of items) assert.equal(decodeMailboxFrame(await box.deposit('alice', key, item)).type, 'receipt');
    const order = (frame: Uint8Array) => {
      const decoded = decodeMailboxFrame(frame);
      assert.equal(decoded.type, 'items');
      return decoded.type === 'items' ? { more: decoded.more, items: decoded.items.map((i) => i.item[1]), ids: decoded.items.map((i) => i.id) } : { more: false, items: [], ids: [] };
    };
    // One stream (one cursor): three FETCHes without an ACK walk the whole box once.
    const stream = { handedOut: new Map() };
    const first = order(await box.fetch(bob.peerId, 10, stream));
    const second = order(await box.fetch(bob.peerId, 10, stream));
    const third = order(await box.fetch(bob.peerId, 10, stream));
    assert.deepEqual([first.items, second.items, third.items], [items.slice(0, 10), items.slice(10, 20), items.slice(20)].map((b) => b.map((i) => i[1])));
    assert.deepEqual([first.more, second.more, third.more], [true, true, false]);
    assert.deepEqual(order(await box.fetch(bob.peerId, 10, stream)).items, [], 'nothing after the last item handed out');
    // Their ACKs need no read (the stream remembers what it handed out), in any order.
    assert.deepEqual(decodeMailboxFrame(await box.acknowledge(bob.peerId, second.ids, stream.handedOut)), { type: 'acked', deleted: 10 });
    assert.deepEqual(decodeMailboxFrame(await box.acknowledge(bob.peerId, first.ids, stream.handedOut)), { type: 'acked', deleted: 10 });
    // Another stream starts from the beginning: what was handed out and never acknowledged comes again.
    assert.deepEqual(order(await box.fetch(bob.peerId, 10, { handedOut: new Map() })).items, items.slice(20).map((i) => i[1]));
    // A deposit made after the cursor passed the end is handed out on the same stream.
    await box.deposit('alice', key, Uint8Array.of(6, 99));
    assert.deepEqual(order(await box.fetch(bob.peerId, 10, stream)).items, [99]);
  });

  test('copies held by the other mailboxes are deleted without being downloaded', async () => {
    const { boxes, alice, bob } = await network();
    await alice.messenger.send('bob', 'start', { waitMs: 5_000 });
    await bob.stop();
    for (let i = 0; i < 5; i++) assert.equal((await alice.messenger.send('bob', `away ${i}`, { waitMs: 5_000 })).status, 'stored');
    await bob.start();
    let handedOut = 0;
    for (const home of boxes) {
      const box = home.mailbox!;
      const fetch = box.fetch.bind(box);
      box.fetch = async (recipient, max, cursor) => {
        const frame = await fetch(recipient, max, cursor);
        const decoded = decodeMailboxFrame(frame);
        if (recipient === bob.peerId && decoded.type === 'items') handedOut += decoded.items.length;
        return frame;
      };
    }
    assert.deepEqual(boxes.map((b) => b.mailbox!.usage().items), [5, 5, 5]);
    assert.equal(await bob.messenger.fetchMail(), 5);
    assert.equal(handedOut, 5, 'each item downloaded once, from one mailbox');
    assert.deepEqual(boxes.map((b) => b.mailbox!.usage().items), [0, 0, 0], 'every copy deleted');
    assert.deepEqual((await bob.messenger.history('alice')).map((m) => m.text), ['start', 'away 0', 'away 1', 'away 2', 'away 3', 'away 4']);
  });

  test('a mailbox whose stream fails (its own ACK, or deleting copies) is visited again on a fresh stream; nothing is lost or doubled', async () => {
    const { boxes, alice, bob } = await network();
    await alice.messenger.send('bob', 'start', { waitMs: 5_000 });
    await bob.stop();
    for (let i = 0; i < 3; i++) assert.equal((await alice.messenger.send('bob', `away ${i}`, { waitMs: 5_000 })).status, 'stored');
    await bob.start();
    // Every mailbox fails its first ACK from bob (the stream breaks).
    for (const home of boxes) {
      const box = home.mailbox!;
      const acknowledge = box.acknowledge.bind(box);
      let failed = false;
      box.acknowledge = async (recipient, ids, handedOut) => {
        if (recipient === bob.peerId && !failed) {
          failed = true;
          throw new Error('injected failure');
        }
        return acknowledge(recipient, ids, handedOut);
      };
    }
    await bob.messenger.fetchMail();
    // Each broken stream was replaced by a fresh one, told again what had been handled.
    assert.deepEqual(boxes.map((b) => b.mailbox!.usage().items), [0, 0, 0]);
    // Announced once each, stored once each.
    assert.deepEqual(bob.received.map((m) => m.text), ['start', 'away 0', 'away 1', 'away 2']);
    assert.deepEqual((await bob.messenger.history('alice')).map((m) => m.text), ['start', 'away 0', 'away 1', 'away 2']);
  });

  test('a mailbox closed while it sweeps schedules no further sweep', async () => {
    const { boxes } = await network(1);
    const home = boxes[0]!;
    home.mailbox!.close();
    // A mailbox of its own on the same store, with its own timers, whose sweep blocks until released.
    const clock = testClock();
    const scheduler = new ManualScheduler(clock);
    const ctx = testContext('sweep', { clock });
    let release = (): void => {};
    const blocked = new Promise<void>((r) => (release = r));
    const listExpired = home.store.listExpiredMail.bind(home.store);
    home.store.listExpiredMail = async (now, limit) => (await blocked, listExpired(now, limit));
    const box = await MailboxService.open({ ctx, store: home.store, identity: (await home.store.getIdentity(ctx))!, scheduler });
    const advancing = scheduler.advance(0); // the first sweep starts, and waits
    await settle();
    box.close();
    release();
    await advancing;
    await settle();
    assert.equal(scheduler.pending, 0, 'no sweep scheduled after close');
  });

  test('a depositor over its allowance is refused with a clear error; nothing else is lost', async () => {
    const { boxes, alice, bob } = await network(1);
    const box = boxes[0]!.mailbox!;
    const ctx = testContext('x');
    const key = mailboxKeyOf(ctx.primitives, alice.peerId);
    const keyOf = (i: number): Uint8Array => Uint8Array.from(key, (b, j) => (j < 3 ? (i >> (8 * j)) & 0xff : b));
    const item = (i: number): Uint8Array => Uint8Array.of(1, i & 0xff, (i >> 8) & 0xff, (i >> 16) & 0xff);
    // A stranger's flood spread over many recipients: its stranger allowance ends it.
    for (let i = 0; i < MAILBOX_STRANGER_DEPOSITS_PER_DEPOSITOR; i++) assert.equal(decodeMailboxFrame(await box.deposit(bob.peerId, keyOf(i), item(i))).type, 'receipt');
    assert.deepEqual(decodeMailboxFrame(await box.deposit(bob.peerId, key, Uint8Array.of(9, 9, 9))), { type: 'refused', reason: 'depositor-quota' });
    // With passes, the depositor's whole allowance: alice's pass lets bob deposit for her until it is used up.
    const pass = await passFor(alice, bob.peerId);
    for (let i = MAILBOX_STRANGER_DEPOSITS_PER_DEPOSITOR; i < MAILBOX_MAX_DEPOSITS_PER_DEPOSITOR; i++) {
      assert.equal(decodeMailboxFrame(await box.deposit(bob.peerId, key, item(i), pass)).type, 'receipt', `deposit ${i}`);
    }
    assert.deepEqual(decodeMailboxFrame(await box.deposit(bob.peerId, key, Uint8Array.of(9, 9, 9), pass)), { type: 'refused', reason: 'depositor-quota' });
    // Another depositor still gets in, and nothing held was dropped.
    assert.equal(decodeMailboxFrame(await box.deposit(alice.peerId, key, Uint8Array.of(7))).type, 'receipt');
    assert.equal(box.usage().items, MAILBOX_MAX_DEPOSITS_PER_DEPOSITOR + 1);
  });

  test("strangers fill only their allowance: the recipient's contacts still get in; a pass that does not hold is refused", async () => {
    const { boxes, alice, bob, clock } = await network(1);
    const box = boxes[0]!.mailbox!;
    const key = mailboxKeyOf(testContext('x').primitives, alice.peerId);
    // Sybils: a fresh peer id per deposit, none with alice's pass.
    let sybils = 0;
    for (;;) {
      const sybil = (await makeParty(`sybil-${sybils}`)).identity;
      const answer = decodeMailboxFrame(await box.deposit(peerIdOfIdentity(sybil.public), key, Uint8Array.of(3, sybils & 0xff, sybils >> 8)));
      if (answer.type === 'refused') {
        assert.equal(answer.reason, 'stranger-quota');
        break;
      }
      sybils++;
    }
    assert.equal(sybils, MAILBOX_STRANGER_ITEMS_PER_RECIPIENT);
    // Alice's contact bob, with her pass, is not affected.
    const pass = await passFor(alice, bob.peerId);
    assert.equal(decodeMailboxFrame(await box.deposit(bob.peerId, key, Uint8Array.of(4, 4), pass)).type, 'receipt');
    // A pass for another depositor, for another recipient, tampered with, or expired: refused, nothing stored.
    const before = box.usage();
    const refusedWith = async (depositor: string, p: MailboxPass, mailboxKey = key) => decodeMailboxFrame(await box.deposit(depositor, mailboxKey, Uint8Array.of(5, 5), p));
    assert.deepEqual(await refusedWith(boxes[0]!.peerId, pass), { type: 'refused', reason: 'bad-pass' });
    assert.deepEqual(await refusedWith(bob.peerId, pass, mailboxKeyOf(testContext('x').primitives, bob.peerId)), { type: 'refused', reason: 'bad-pass' });
    assert.deepEqual(await refusedWith(bob.peerId, { ...pass, expiresAt: pass.expiresAt + 1 }), { type: 'refused', reason: 'bad-pass' });
    clock.set(pass.expiresAt);
    assert.deepEqual(await refusedWith(bob.peerId, pass), { type: 'refused', reason: 'bad-pass' });
    assert.deepEqual(box.usage(), before);
  });

  test('the stranger share of a mailbox is bounded: strangers spread over many recipients are refused once it is full', async () => {
    const hub = new MemoryHub();
    const clock = testClock();
    const scheduler = new ManualScheduler(clock);
    const home = await new Home('mailbox', hub, clock, scheduler).init();
    const ctx = testContext('small mailbox', { clock });
    const small = 64 * 1024 * MAILBOX_STRANGER_SHARE_DIVISOR; // 64 KiB of stranger mail
    const box = await MailboxService.open({ ctx, store: home.store, identity: home.messenger.identity, scheduler, maxTotalBytes: small });
    const item = new Uint8Array(16 * 1024);
    let accepted = 0;
    for (let i = 0; ; i++) {
      const depositor = peerIdOfIdentity((await makeParty(`s-${i}`)).identity.public);
      const recipientKey = mailboxKeyOf(ctx.primitives, peerIdOfIdentity((await makeParty(`r-${i}`)).identity.public));
      item[0] = i;
      const answer = decodeMailboxFrame(await box.deposit(depositor, recipientKey, item));
      if (answer.type === 'refused') {
        assert.equal(answer.reason, 'stranger-quota');
        break;
      }
      accepted++;
    }
    assert.equal(accepted, 4, 'four 16 KiB items fill the 64 KiB stranger share');
    assert.equal(box.usage().strangerBytes, 4 * item.length);
    box.close();
  });

  test('through the messenger, a refused deposit is a clear reason and the message stays queued', async () => {
    const { boxes, alice, bob } = await network(1);
    await alice.messenger.send('bob', 'start', { waitMs: 5_000 });
    await bob.stop();
    assert.equal((await alice.messenger.send('bob', 'held before the flood', { waitMs: 5_000 })).status, 'stored');
    const box = boxes[0]!.mailbox!;
    // Alice's deposits for bob carry bob's pass: they fill bob's box up to its quota.
    const key = mailboxKeyOf(testContext('x').primitives, bob.peerId);
    const pass = await passFor(bob, alice.peerId);
    for (let i = 1; i < MAILBOX_MAX_ITEMS_PER_RECIPIENT; i++) assert.equal(decodeMailboxFrame(await box.deposit(alice.peerId, key, Uint8Array.of(2, i & 0xff, i >> 8), pass)).type, 'receipt');
    const result = await alice.messenger.send('bob', 'over the quota', { waitMs: 5_000 });
    assert.equal(result.status, 'queued');
    assert.match(result.reason!, /refused the deposit: recipient-quota/);
    assert.equal(alice.messenger.outboxSize(), 2, 'nothing lost: both waiting messages are still queued');
    const [, held] = await alice.messenger.history('bob');
    assert.equal(held!.status, 'stored', 'the message held earlier is still held');
  });

  test('expired mail is gone; a stranger can neither fetch nor delete another peer\'s mail', async () => {
    const { boxes, alice, bob, hub, clock, scheduler } = await network(1);
    await alice.messenger.send('bob', 'start', { waitMs: 5_000 });
    await bob.stop();
    await alice.messenger.send('bob', 'held', { waitMs: 5_000 });
    const box = boxes[0]!.mailbox!;
    assert.equal(box.usage().items, 1);
    const eve = await new Home('eve', hub, clock, scheduler).init();
    const fetched = decodeMailboxFrame(await box.fetch(eve.peerId, 100));
    assert.deepEqual(fetched, { type: 'items', more: false, items: [] }, 'a stranger fetches only its own (empty) mailbox');
    const [held] = await boxes[0]!.store.listMail(toHex(mailboxKeyOf(testContext('x').primitives, bob.peerId)), 10);
    const deleted = decodeMailboxFrame(await box.acknowledge(eve.peerId, [Buffer.from(held!.id, 'hex')]));
    assert.deepEqual(deleted, { type: 'acked', deleted: 0 });
    assert.equal(box.usage().items, 1);
    clock.advance(MAILBOX_TTL_MS + 1);
    assert.equal(await box.sweep(), 1);
    assert.equal(box.usage().items, 0);
  });

  test('a forged or stale bundle record is refused by every node', async () => {
    const { alice, bob } = await network(0);
    const ctx = testContext('records');
    const now = ctx.now();
    const bundle = issueBundle(ctx, bob.messenger.identity, (await bob.store.getPrekeys())!, { oneTime: false }).bundle;
    const good = await encodeBundleRecord(ctx, bob.messenger.identity, bundle, now);
    await validateBundleRecord(ctx, bundleRecordKey(bob.peerId), good, now);
    // Signed by Alice but filed under Bob's key.
    const forged = await encodeBundleRecord(ctx, alice.messenger.identity, issueBundle(ctx, alice.messenger.identity, (await alice.store.getPrekeys())!, { oneTime: false }).bundle, now);
    await assert.rejects(validateBundleRecord(ctx, bundleRecordKey(bob.peerId), forged, now), { name: 'InvalidBundleRecordError', reason: 'other-identity' });
    const tampered = good.slice();
    tampered[tampered.length - 1]! ^= 1;
    await assert.rejects(validateBundleRecord(ctx, bundleRecordKey(bob.peerId), tampered, now), { name: 'InvalidBundleRecordError', reason: 'bad-signature' });
    await assert.rejects(validateBundleRecord(ctx, bundleRecordKey(bob.peerId), good, now + BUNDLE_RECORD_MAX_AGE_MS + 1), { name: 'InvalidBundleRecordError', reason: 'stale' });
    await assert.rejects(validateBundleRecord(ctx, bundleRecordKey(bob.peerId), await encodeBundleRecord(ctx, bob.messenger.identity, bundle, now + 3_600_000), now), { name: 'InvalidBundleRecordError', reason: 'future' });
    await assert.rejects(validateBundleRecord(ctx, new TextEncoder().encode('/other/x'), good, now), { name: 'InvalidBundleRecordError', reason: 'wrong-key' });
    await settle();
  });
});
