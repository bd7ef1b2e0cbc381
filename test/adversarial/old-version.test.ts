/**
 * A contact still on protocol version 1 (PROTOCOL §9) against real nodes
 * (libp2p on loopback): its version-1 envelopes, sent directly or sealed in
 * a mailbox, are refused with the ack every version takes as "failed, never
 * retry", nothing is shown or changed, the mail is deleted, and the node
 * names the peer and its version so that the user learns who must upgrade.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fromHex } from '../../src/crypto/bytes.ts';
import { seal } from '../../src/crypto/sealed.ts';
import { MAILBOX_PROTOCOL, MAX_MAILBOX_FRAME_BYTES, MAX_MSG_FRAME_BYTES, MSG_PROTOCOL } from '../../src/node/constants.ts';
import { mailboxKeyOf } from '../../src/node/mailbox/keys.ts';
import { decodeMailboxFrame, encodeMailboxFrame } from '../../src/node/mailbox/wire.ts';
import { decodeMsgFrame, encodeDeliver } from '../../src/node/messaging/wire.ts';
import { framed } from '../../src/node/transport/frames.ts';
import { testContext } from '../helpers/context.ts';
import { LiveParties } from '../helpers/live-parties.ts';

const live = new LiveParties();
after(() => live.stop());

/** Version-1 envelopes, as a version-1 node made them (the frozen v1 transcript). */
const v1Envelopes = (JSON.parse(readFileSync(new URL('../vectors/golden/transcript-v1.json', import.meta.url), 'utf8')) as { messages: { envelope: string }[] }).messages.map((m) => fromHex(m.envelope));

test('a version-1 contact: its envelopes are refused as rejected, nothing changes, and the node names who must upgrade', { timeout: 120_000 }, async () => {
  const mailbox = await live.party('mailbox', [], { mailbox: true });
  const entry = [mailbox.node.addresses()[0]!];
  const bob = await live.party('bob', entry);
  const old = await live.attacker(entry, 'old');
  const oldPeerId = old.node.peerId;
  await bob.messenger.addContact('old', oldPeerId);
  const events: unknown[] = [];
  bob.messenger.on('other-version', (e) => events.push(e));

  // Directly, on /sotto/msg.
  const stream = framed(await old.node.dialProtocol(bob.messenger.peerId, MSG_PROTOCOL), { maxFrameBytes: MAX_MSG_FRAME_BYTES });
  await stream.write(encodeDeliver(0, v1Envelopes[0]!));
  assert.deepEqual(decodeMsgFrame(await stream.read()), { type: 'ack', seq: 0, status: 'rejected' });
  await stream.close();
  assert.deepEqual(events, [{ peerId: oldPeerId, version: 1 }]);
  assert.deepEqual(bob.messenger.otherVersions(), [{ peerId: oldPeerId, version: 1 }]);

  // Sealed in a mailbox.
  const ctx = testContext('old');
  const sealed = await seal(ctx, bob.messenger.identity.public.dhKey, new TextEncoder().encode(oldPeerId), v1Envelopes[2]!);
  const deposit = framed(await old.node.dialProtocol(mailbox.messenger.peerId, MAILBOX_PROTOCOL), { maxFrameBytes: MAX_MAILBOX_FRAME_BYTES });
  await deposit.write(encodeMailboxFrame({ type: 'deposit', mailboxKey: mailboxKeyOf(ctx.primitives, bob.messenger.peerId), item: sealed }));
  assert.equal(decodeMailboxFrame(await deposit.read()).type, 'receipt');
  await deposit.close();
  await bob.messenger.fetchMail();
  assert.deepEqual(events, [{ peerId: oldPeerId, version: 1 }, { peerId: oldPeerId, version: 1 }]);
  assert.equal(mailbox.mailbox!.usage().items, 0, 'the old mail was deleted from the mailbox');

  assert.equal(bob.inbox.length, 0, 'nothing shown');
  assert.equal(await bob.messenger.history('old').then((h) => h.length), 0, 'nothing stored');
  assert.deepEqual(bob.messenger.requests(), []);
});
