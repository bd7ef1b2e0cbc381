/**
 * Two messengers that reach each other only through a relay (neither
 * listens anywhere else, neither runs WebRTC: a browser page that gathers
 * no ICE candidates, on either side) talk over the relayed connection: no
 * mailbox, and the same relayed connection for many messages, not one each.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { nodeCryptoContext } from '../../src/app/context.ts';
import { realScheduler } from '../../src/app/local.ts';
import { generateIdentity } from '../../src/crypto/identity.ts';
import { Messenger } from '../../src/node/messaging/messenger.ts';
import { memoryBackend } from '../../src/node/store/backend.ts';
import type { MessageRecord } from '../../src/node/store/records.ts';
import { SottoStore } from '../../src/node/store/store.ts';
import { createNode, type SottoNode } from '../../src/node/transport/libp2p.ts';
import { libp2pNetwork } from '../../src/node/transport/libp2p-network.ts';
import { testContext } from '../helpers/context.ts';

/** Messages each way: well past one stream, well under the relay's 128 KiB. */
const MESSAGES = 5;
/** Longest wait for one delivery (through a relay on loopback: milliseconds). */
const DELIVERY_WAIT_MS = 10_000;

const stops: (() => Promise<void>)[] = [];
after(async () => {
  for (const stop of stops.reverse()) await stop().catch(() => {});
});

interface RelayedPeer {
  readonly node: SottoNode;
  readonly messenger: Messenger;
  readonly inbox: MessageRecord[];
}

async function relayedPeer(name: string, relay: string): Promise<RelayedPeer> {
  const ctx = await nodeCryptoContext(() => Date.now());
  const store = await new SottoStore(memoryBackend()).open();
  const { identity } = await Messenger.initialise(store, ctx, { name });
  const node = await createNode({ identity, listen: [], bootstrap: [relay], relays: [relay], webrtc: false, dhtClientMode: true });
  const messenger = await Messenger.open({ ctx, store, scheduler: realScheduler, network: libp2pNetwork(node) });
  const inbox: MessageRecord[] = [];
  messenger.on('message', (m) => inbox.push(m));
  await messenger.start();
  stops.push(async () => {
    await messenger.stop();
    await node.stop();
  });
  return { node, messenger, inbox };
}

test('peers that reach each other only through a relay exchange messages over the relayed connection they have', { timeout: 60_000 }, async () => {
  const relay = await createNode({ identity: await generateIdentity(testContext('relayed-messages-relay')), listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [], relay: true, webrtc: false });
  stops.push(() => relay.stop());
  const relayAddress = relay.addresses()[0]!;
  const alice = await relayedPeer('alice', relayAddress);
  const bob = await relayedPeer('bob', relayAddress);
  await alice.messenger.addContact('bob', bob.messenger.peerId, { addresses: bob.node.addresses() });
  await bob.messenger.addContact('alice', alice.messenger.peerId, { addresses: alice.node.addresses() });
  assert.ok(bob.node.addresses().every((a) => a.includes('/p2p-circuit/')), `only relayed addresses: ${bob.node.addresses().join(' ')}`);

  const exchange = async (i: number): Promise<void> => {
    assert.equal((await alice.messenger.send('bob', `ping ${i}`, { waitMs: DELIVERY_WAIT_MS })).status, 'delivered');
    assert.equal((await bob.messenger.send('alice', `pong ${i}`, { waitMs: DELIVERY_WAIT_MS })).status, 'delivered');
  };
  const connectionIds = (): string[] => alice.node.libp2p.getConnections(bob.node.libp2p.peerId).map((c) => c.id).sort();
  await exchange(0);
  // Both may have dialled at once at first (one connection each way); after that, no new one.
  const first = connectionIds();
  for (let i = 1; i < MESSAGES; i++) await exchange(i);
  assert.deepEqual(bob.inbox.map((m) => m.text), Array.from({ length: MESSAGES }, (_, i) => `ping ${i}`));
  assert.deepEqual(alice.inbox.map((m) => m.text), Array.from({ length: MESSAGES }, (_, i) => `pong ${i}`));
  assert.deepEqual(connectionIds(), first, 'the same connections carried every later message');
  assert.ok(first.length <= 2, `at most one each way: ${first.length}`);
  for (const c of alice.node.libp2p.getConnections(bob.node.libp2p.peerId)) assert.ok(c.limits !== undefined && c.remoteAddr.toString().includes('/p2p-circuit'), 'relayed');
});
