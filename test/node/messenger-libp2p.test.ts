/**
 * Messengers on real libp2p nodes in one process, on loopback: direct chat
 * both ways; and in a network of 20 nodes, a sender that knows only the
 * recipient's peer id (never bootstrapped to it) finds it through the
 * private DHT, fetches its live bundle and delivers.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createNode, type SottoNode } from '../../src/node/transport/libp2p.ts';
import { libp2pNetwork } from '../../src/node/transport/libp2p-network.ts';
import { Messenger } from '../../src/node/messaging/messenger.ts';
import { memoryBackend } from '../../src/node/store/backend.ts';
import { SottoStore } from '../../src/node/store/store.ts';
import { nodeCryptoContext } from '../../src/app/context.ts';
import { realScheduler } from '../../src/app/local.ts';
import type { MessageRecord } from '../../src/node/store/records.ts';

const running: { node: SottoNode; messenger: Messenger }[] = [];
after(async () => {
  for (const { node, messenger } of running) {
    await messenger.stop().catch(() => {});
    await node.stop().catch(() => {});
  }
});

const LOOPBACK = ['/ip4/127.0.0.1/tcp/0'];
/** Peers each DHT node bootstraps to (not the target). */
const BOOTSTRAP_FANOUT = 3;

interface Peer {
  readonly node: SottoNode;
  readonly messenger: Messenger;
  readonly inbox: MessageRecord[];
}

async function peer(name: string, bootstrap: string[]): Promise<Peer> {
  const ctx = await nodeCryptoContext(() => Date.now());
  const store = await new SottoStore(memoryBackend()).open();
  const { identity } = await Messenger.initialise(store, ctx, { name });
  const node = await createNode({ identity, listen: LOOPBACK, bootstrap });
  const messenger = await Messenger.open({ ctx, store, scheduler: realScheduler, network: libp2pNetwork(node) });
  const inbox: MessageRecord[] = [];
  messenger.on('message', (m) => inbox.push(m));
  await messenger.start();
  running.push({ node, messenger });
  return { node, messenger, inbox };
}

test('two nodes chat both ways over libp2p', { timeout: 60_000 }, async () => {
  const alice = await peer('alice', []);
  const bob = await peer('bob', [alice.node.addresses()[0]!]);
  await alice.messenger.addContact('bob', bob.messenger.peerId);
  await bob.messenger.addContact('alice', alice.messenger.peerId);
  for (let i = 0; i < 5; i++) {
    assert.equal((await alice.messenger.send('bob', `ping ${i}`, { waitMs: 10_000 })).status, 'delivered');
    assert.equal((await bob.messenger.send('alice', `pong ${i}`, { waitMs: 10_000 })).status, 'delivered');
  }
  assert.deepEqual(bob.inbox.map((m) => m.text), [0, 1, 2, 3, 4].map((i) => `ping ${i}`));
  assert.deepEqual(alice.inbox.map((m) => m.text), [0, 1, 2, 3, 4].map((i) => `pong ${i}`));
});

test('20 nodes: the sender knows only the recipient\'s peer id and finds it through the DHT', { timeout: 120_000 }, async () => {
  const peers: Peer[] = [await peer('n0', [])];
  for (let i = 1; i < 20; i++) {
    const earlier = peers.slice(-BOOTSTRAP_FANOUT).map((p) => p.node.addresses()[0]!);
    peers.push(await peer(`n${i}`, earlier));
  }
  const sender = peers[0]!;
  const recipient = peers[19]!;
  assert.equal(sender.node.libp2p.getConnections().some((c) => c.remotePeer.toString() === recipient.messenger.peerId), false, 'not connected directly');
  await sender.messenger.addContact('far', recipient.messenger.peerId);
  let result = await sender.messenger.send('far', 'found you through the DHT', { waitMs: 30_000 });
  // Routing tables fill slowly after start (LIBP2P-NOTES): allow the courier's retries.
  for (let i = 0; i < 5 && result.status !== 'delivered'; i++) {
    await new Promise((r) => setTimeout(r, 2_000));
    result = { ...result, status: (await sender.messenger.history('far'))[0]!.status };
  }
  assert.equal(result.status, 'delivered');
  // The recipient never added the sender: it arrives as a message request.
  assert.deepEqual((await recipient.messenger.requestMessages(sender.messenger.peerId)).map((m) => m.text), ['found you through the DHT']);
});
