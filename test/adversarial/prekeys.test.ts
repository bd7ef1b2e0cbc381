/**
 * A prekey drain against a real node (libp2p on loopback): a hostile peer
 * sends PREKEY_REQUESTS requests on /sotto/prekeys. It gets one-time prekeys
 * only within its allowance and valid last-resort bundles after that; the
 * node under attack still has one-time prekeys for an honest new contact,
 * whose first message (using one of them) decrypts.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeBundle, verifyBundle } from '../../src/crypto/bundle.ts';
import { MAX_PREKEYS_FRAME_BYTES, ONE_TIME_PREKEYS_PER_PEER_BURST, PREKEYS_PROTOCOL } from '../../src/node/constants.ts';
import { decodePrekeysFrame, encodePrekeysRequest } from '../../src/node/bundles/prekeys-wire.ts';
import { peerIdOfIdentity } from '../../src/node/encoding/peer-id.ts';
import { framed } from '../../src/node/transport/frames.ts';
import { coreOf, LiveParties } from '../helpers/live-parties.ts';

/** Requests the hostile peer sends (the drain found on main: 500 in 6 s took every one-time prekey). */
const PREKEY_REQUESTS = 500;
/** Requests in flight at once (below MAX_INBOUND_PREKEYS_STREAMS). */
const PARALLEL = 4;
/** How long the honest send may wait for its ack. */
const SEND_WAIT_MS = 15_000;

const live = new LiveParties();
after(() => live.stop());

test('a hostile peer draining /sotto/prekeys leaves one-time prekeys for an honest new contact', { timeout: 120_000 }, async () => {
  const bob = await live.party('bob', []);
  const bobAddress = bob.node.addresses()[0]!;
  const mallory = (await live.attacker([bobAddress])).node;
  const unissuedBefore = coreOf(bob.messenger).prekeys.oneTime.filter((k) => !k.issued).length;

  // The drain: every request is answered with a valid bundle of bob's; only the first few carry a one-time prekey.
  let withOneTime = 0;
  let answered = 0;
  let next = 0;
  const began = performance.now();
  await Promise.all(
    Array.from({ length: PARALLEL }, async () => {
      while (next < PREKEY_REQUESTS) {
        next++;
        const stream = framed(await mallory.dialProtocol(bob.messenger.peerId, PREKEYS_PROTOCOL), { maxFrameBytes: MAX_PREKEYS_FRAME_BYTES });
        await stream.write(encodePrekeysRequest());
        const frame = decodePrekeysFrame(await stream.read());
        await stream.close().catch(() => {});
        assert.equal(frame.type, 'bundle');
        const bundle = decodeBundle((frame as { bundle: Uint8Array }).bundle);
        await verifyBundle(coreOf(bob.messenger).ctx, bundle);
        assert.equal(peerIdOfIdentity(bundle.identity), bob.messenger.peerId);
        answered++;
        if (bundle.oneTimePrekey) withOneTime++;
      }
    }),
  );
  const seconds = (performance.now() - began) / 1000;
  assert.equal(answered, PREKEY_REQUESTS);
  assert.equal(withOneTime, ONE_TIME_PREKEYS_PER_PEER_BURST, 'one-time prekeys only within the per-peer allowance');
  const state = coreOf(bob.messenger).prekeys;
  assert.equal(state.oneTime.filter((k) => k.issued).length, ONE_TIME_PREKEYS_PER_PEER_BURST);
  assert.equal(state.oneTime.filter((k) => !k.issued).length, unissuedBefore - ONE_TIME_PREKEYS_PER_PEER_BURST, 'the rest are still there to hand out');

  // An honest newcomer starts a session from a live bundle with a one-time prekey; its first message decrypts.
  const alice = await live.party('alice', [bobAddress]);
  await alice.messenger.addContact('bob', bob.messenger.peerId);
  const sent = await alice.messenger.send('bob', 'hello, first contact', { waitMs: SEND_WAIT_MS });
  assert.equal(sent.status, 'delivered');
  // Bob does not know alice yet: her first message is a request.
  assert.deepEqual((await bob.messenger.requestMessages(alice.messenger.peerId)).map((m) => [m.peerId, m.text]), [[alice.messenger.peerId, 'hello, first contact']]);
  const record = await alice.store.getSession(bob.messenger.peerId);
  const used = record!.sessions[0]!.pendingPrekey!.oneTimePrekeyId;
  assert.notEqual(used, undefined, 'the session used a one-time prekey');
  assert.ok(!coreOf(bob.messenger).prekeys.oneTime.some((k) => k.id === used), 'which bob consumed on the first decrypt');
  assert.ok(!(await bob.store.getPrekeys())!.oneTime.some((k) => k.id === used));
  console.log(`${PREKEY_REQUESTS} prekey requests in ${seconds.toFixed(1)} s; ${withOneTime} carried a one-time prekey`);
});
