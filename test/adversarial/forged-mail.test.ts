/**
 * Sealed sender against real nodes (libp2p on loopback): Mallory, a peer
 * of her own, deposits sealed mail with Bob's mailbox that claims to come
 * from Alice, Bob's verified contact, but carries Mallory's identity. When
 * Bob fetches it, it is dropped and counted, deleted from the mailbox, never
 * shown, and Alice stays verified; the real Alice still gets through.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { issueBundle } from '../../src/crypto/prekeys.ts';
import { seal } from '../../src/crypto/sealed.ts';
import { encryptMessage, startSession } from '../../src/crypto/session.ts';
import { MAILBOX_PROTOCOL, MAX_MAILBOX_FRAME_BYTES } from '../../src/node/constants.ts';
import { mailboxKeyOf } from '../../src/node/mailbox/keys.ts';
import { decodeMailboxFrame, encodeMailboxFrame } from '../../src/node/mailbox/wire.ts';
import { encodePayload } from '../../src/node/messaging/payload.ts';
import { framed } from '../../src/node/transport/frames.ts';
import { testContext } from '../helpers/context.ts';
import { coreOf, LiveParties } from '../helpers/live-parties.ts';

const live = new LiveParties();
after(() => live.stop());

/** How long an honest send may wait for its ack. */
const SEND_WAIT_MS = 15_000;

test('sealed mail claiming a verified contact but carrying another identity is dropped and counted, never a key change', { timeout: 120_000 }, async () => {
  const mailbox = await live.party('mailbox', [], { mailbox: true });
  const entry = [mailbox.node.addresses()[0]!];
  const bob = await live.party('bob', entry);
  const alice = await live.party('alice', entry);
  await alice.messenger.addContact('bob', bob.messenger.peerId);
  await bob.messenger.addContact('alice', alice.messenger.peerId);
  assert.equal((await alice.messenger.send('bob', 'hello bob', { waitMs: SEND_WAIT_MS })).status, 'delivered');
  await bob.messenger.setVerified('alice', true);

  // Mallory starts a session of her own from Bob's bundle and seals it as if Alice sent it.
  const mallory = await live.attacker(entry);
  const ctx = testContext('mallory');
  const record = await startSession(ctx, mallory.identity, issueBundle(ctx, bob.messenger.identity, coreOf(bob.messenger).prekeys, { oneTime: false }).bundle);
  const envelope = encryptMessage(ctx, record, encodePayload({ type: 'text', id: 'ab'.repeat(16), sentAt: 1, text: 'alice here: my key changed, trust this one' })).envelope;
  const sealed = await seal(ctx, bob.messenger.identity.public.dhKey, new TextEncoder().encode(alice.messenger.peerId), envelope);
  const stream = framed(await mallory.node.dialProtocol(mailbox.messenger.peerId, MAILBOX_PROTOCOL), { maxFrameBytes: MAX_MAILBOX_FRAME_BYTES });
  await stream.write(encodeMailboxFrame({ type: 'deposit', mailboxKey: mailboxKeyOf(ctx.primitives, bob.messenger.peerId), item: sealed }));
  assert.equal(decodeMailboxFrame(await stream.read()).type, 'receipt', 'a mailbox cannot tell a forgery: it holds it');
  await stream.close();

  const forged: unknown[] = [];
  bob.messenger.on('forged', (e) => forged.push(e));
  const shown = bob.inbox.length;
  await bob.messenger.fetchMail();
  assert.deepEqual(forged, [{ peerId: alice.messenger.peerId, via: 'mailbox' }]);
  assert.deepEqual(bob.messenger.forgedCounts(), { direct: 0, mailbox: 1 });
  assert.equal(bob.inbox.length, shown, 'nothing shown');
  assert.deepEqual(bob.messenger.requests(), [], 'not a request either: it claimed a contact');
  const contact = await bob.messenger.contact('alice');
  assert.equal(contact.verified, true, 'alice is still verified');
  assert.equal(contact.keyChangedAt, undefined, 'no key change');
  assert.equal(mailbox.mailbox!.usage().items, 0, 'the forgery was deleted from the mailbox');
  assert.equal((await alice.messenger.send('bob', 'the real alice', { waitMs: SEND_WAIT_MS })).status, 'delivered');
  assert.deepEqual(
    bob.inbox.map((m) => m.text),
    ['hello bob', 'the real alice'],
  );
});
