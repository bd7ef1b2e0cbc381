/**
 * Contacts' addresses travel inside the encrypted channel (docs/PROTOCOL.md
 * §14, type 5): the payload's codec and its refusals; a messenger sends its
 * contacts its addresses when they change (once per burst) and daily, and
 * keeps a contact's newest ones (an older announcement changes nothing, a
 * stranger's is ignored); and on real libp2p nodes, a contact that moved
 * to a new port is reached again through the addresses it announced.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { DecodeError } from '../../src/crypto/errors.ts';
import { nodeCryptoContext } from '../../src/app/context.ts';
import { realScheduler } from '../../src/app/local.ts';
import { ADDRESS_ANNOUNCE_INTERVAL_MS, ADDRESS_ANNOUNCE_SETTLE_MS, MAX_INVITE_ADDRESSES } from '../../src/node/constants.ts';
import { Messenger } from '../../src/node/messaging/messenger.ts';
import { decodePayload, encodePayload } from '../../src/node/messaging/payload.ts';
import { memoryBackend } from '../../src/node/store/backend.ts';
import { SottoStore } from '../../src/node/store/store.ts';
import { createNode, type SottoNode } from '../../src/node/transport/libp2p.ts';
import { libp2pNetwork } from '../../src/node/transport/libp2p-network.ts';
import type { Network } from '../../src/node/transport/network.ts';
import { eventually } from '../helpers/cli.ts';
import { testClock, testContext, type TestClock } from '../helpers/context.ts';
import { MemoryHub } from '../helpers/memory-network.ts';
import { ManualScheduler, settle } from '../helpers/scheduler.ts';

const AT = 1_767_225_600_000;

test('the addresses payload round-trips and refuses what breaks its rules', () => {
  const addresses = ['/ip4/192.0.2.1/tcp/4001', '/ip6/2001:db8::1/tcp/4002/ws', '/ip4/192.0.2.9/tcp/4003/p2p/12D3KooWRnMt4rn8mF2JsGEq4Wpdcmhu96KF1wPm6jz2L52aMPiP/p2p-circuit'];
  assert.deepEqual(decodePayload(encodePayload({ type: 'addresses', at: AT, addresses })), { type: 'addresses', at: AT, addresses });
  assert.throws(() => encodePayload({ type: 'addresses', at: AT, addresses: [] }), RangeError);
  assert.throws(() => encodePayload({ type: 'addresses', at: AT, addresses: Array.from({ length: MAX_INVITE_ADDRESSES + 1 }, (_, i) => `/ip4/192.0.2.1/tcp/${4000 + i}`) }), RangeError);
  assert.throws(() => encodePayload({ type: 'addresses', at: AT, addresses: ['/ip4/192.0.2.1/tcp/4001/p2p/12D3KooWRnMt4rn8mF2JsGEq4Wpdcmhu96KF1wPm6jz2L52aMPiP'] }), RangeError);
  const good = encodePayload({ type: 'addresses', at: AT, addresses: ['/ip4/192.0.2.1/tcp/4001'] });
  // version, type, u64 at, then the list: count, length, multiaddr bytes.
  const listAt = 2 + 8;
  const refusals: [string, Uint8Array][] = [
    ['no address', Uint8Array.from([...good.subarray(0, listAt), 0])],
    ['a trailing byte', Uint8Array.from([...good, 0])],
    ['cut short', good.subarray(0, good.length - 1)],
    ['too many', Uint8Array.from([...good.subarray(0, listAt), MAX_INVITE_ADDRESSES + 1])],
    ['an empty address', Uint8Array.from([...good.subarray(0, listAt), 1, 0])],
  ];
  for (const [what, bytes] of refusals) assert.throws(() => decodePayload(bytes), DecodeError, what);
});

/** One home on the in-memory network, its network wrapped so the test moves its addresses and sees what it remembers. */
interface Home {
  readonly peerId: string;
  readonly store: SottoStore;
  readonly messenger: Messenger;
  /** Where its "node" listens; `move` changes it and tells the messenger. */
  move(addresses: string[]): void;
  /** Every rememberAddresses call, in order. */
  readonly remembered: { peerId: string; addresses: readonly string[] }[];
}

async function home(name: string, hub: MemoryHub, clock: TestClock, scheduler: ManualScheduler): Promise<Home> {
  const store = await new SottoStore(memoryBackend()).open();
  const { peerId } = await Messenger.initialise(store, testContext(`init:${name}`, { clock }), { name });
  let listening: string[] = [`/ip4/192.0.2.10/tcp/4001/p2p/${peerId}`];
  const listeners = new Set<() => void>();
  const remembered: Home['remembered'] = [];
  const base = hub.network(peerId);
  const network: Network = {
    ...base,
    listenAddresses: () => listening,
    onAddressesChanged: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    rememberAddresses: async (peer, addresses) => void remembered.push({ peerId: peer, addresses }),
  };
  const messenger = await Messenger.open({ ctx: testContext(`run:${name}`, { clock }), store, scheduler, network });
  await messenger.start();
  hub.goOnline(peerId);
  return {
    peerId,
    store,
    messenger,
    remembered,
    move: (addresses) => {
      listening = addresses.map((a) => `${a}/p2p/${peerId}`);
      for (const listener of listeners) listener();
    },
  };
}

async function contacts(): Promise<{ alice: Home; bob: Home; carol: Home; scheduler: ManualScheduler; clock: TestClock }> {
  const hub = new MemoryHub();
  const clock = testClock(AT);
  const scheduler = new ManualScheduler(clock);
  const alice = await home('alice', hub, clock, scheduler);
  const bob = await home('bob', hub, clock, scheduler);
  const carol = await home('carol', hub, clock, scheduler);
  await alice.messenger.addContact('bob', bob.peerId);
  await bob.messenger.addContact('alice', alice.peerId);
  // Carol knows bob; bob does not know her (she is a stranger to him).
  await carol.messenger.addContact('bob', bob.peerId);
  await scheduler.advance(ADDRESS_ANNOUNCE_SETTLE_MS);
  await settle();
  return { alice, bob, carol, scheduler, clock };
}

test('a node tells its contacts when its addresses change (once per burst, and daily); a contact keeps the newest', async () => {
  const { alice, bob, scheduler, clock } = await contacts();
  // The first addresses of a home are only noted: nothing was sent.
  assert.deepEqual(alice.remembered, []);
  assert.equal((await alice.store.getContact('bob'))?.addresses, undefined);

  bob.move(['/ip4/192.0.2.20/tcp/4100']);
  await scheduler.advance(1000);
  bob.move(['/ip4/192.0.2.20/tcp/4100', '/ip4/192.0.2.20/tcp/4101/ws']);
  await scheduler.advance(ADDRESS_ANNOUNCE_SETTLE_MS);
  await settle();
  const moved = ['/ip4/192.0.2.20/tcp/4100', '/ip4/192.0.2.20/tcp/4101/ws'];
  assert.deepEqual(alice.remembered, [{ peerId: bob.peerId, addresses: moved }], 'one announcement for the burst, handed to the network');
  const kept = await alice.store.getContact('bob');
  assert.deepEqual([kept?.addresses, kept?.addressesAt], [moved, clock.now()]);

  // Unchanged addresses are sent again after a day.
  await scheduler.advance(ADDRESS_ANNOUNCE_INTERVAL_MS);
  await settle();
  const calls: Home['remembered'] = alice.remembered;
  assert.equal(calls.length, 2);
  assert.deepEqual(calls[1]!.addresses, moved);

  // An announcement dated before the one kept changes nothing (a late copy from a mailbox).
  const keptAt = (await alice.store.getContact('bob'))!.addressesAt!;
  clock.set(keptAt - 60_000);
  bob.move(['/ip4/192.0.2.30/tcp/4200']);
  await scheduler.advance(ADDRESS_ANNOUNCE_SETTLE_MS);
  await settle();
  assert.deepEqual((await alice.store.getContact('bob'))?.addresses, moved);
  assert.equal(calls.length, 2);
});

test("a stranger's addresses are not kept", async () => {
  const { bob, carol, scheduler } = await contacts();
  carol.move(['/ip4/192.0.2.40/tcp/4300']);
  await scheduler.advance(ADDRESS_ANNOUNCE_SETTLE_MS);
  await settle();
  assert.deepEqual(bob.remembered, []);
  assert.ok(bob.messenger.requests().some((r) => r.peerId === carol.peerId), 'carol wrote to bob (a request)');
});

const running: { node: SottoNode; messenger: Messenger }[] = [];
after(async () => {
  for (const { node, messenger } of running) {
    await messenger.stop().catch(() => {});
    await node.stop().catch(() => {});
  }
});

test('on libp2p: a contact that moved to another port is reached again through the addresses it announced', { timeout: 90_000 }, async () => {
  const ctx = await nodeCryptoContext(() => Date.now());
  const stores = { alice: await new SottoStore(memoryBackend()).open(), bob: await new SottoStore(memoryBackend()).open() };
  const ids = { alice: await Messenger.initialise(stores.alice, ctx, { name: 'alice' }), bob: await Messenger.initialise(stores.bob, ctx, { name: 'bob' }) };
  /** A node and messenger on `name`'s store (its peer store new each time, as after a restart). */
  const run = async (name: 'alice' | 'bob'): Promise<{ node: SottoNode; messenger: Messenger; stop(): Promise<void> }> => {
    const node = await createNode({ identity: ids[name].identity, listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [] });
    const messenger = await Messenger.open({ ctx, store: stores[name], scheduler: realScheduler, network: libp2pNetwork(node) });
    await messenger.start();
    const entry = { node, messenger };
    running.push(entry);
    return { node, messenger, stop: async () => {
      running.splice(running.indexOf(entry), 1);
      await messenger.stop();
      await node.stop();
    } };
  };
  let alice = await run('alice');
  let bob = await run('bob');
  // As from invites: each knows where the other listened; no DHT between them, no other peer.
  await alice.messenger.addContact('bob', ids.bob.peerId, { addresses: bob.node.addresses() });
  await bob.messenger.addContact('alice', ids.alice.peerId, { addresses: alice.node.addresses() });
  assert.equal((await alice.messenger.send('bob', 'before', { waitMs: 20_000 })).status, 'delivered');
  await bob.messenger.announceAddresses(); // the home's first addresses, noted

  // Bob moves to another port; alice hears of it inside their session.
  const oldAddress = bob.node.addresses()[0]!;
  await bob.stop();
  bob = await run('bob');
  assert.notEqual(bob.node.addresses()[0], oldAddress);
  await bob.messenger.announceAddresses();
  const moved = bob.node.addresses().map((a) => a.replace(`/p2p/${ids.bob.peerId}`, ''));
  await eventually(async () => JSON.stringify((await stores.alice.getContact('bob'))?.addresses) === JSON.stringify(moved), 30_000, "alice to keep bob's new addresses");

  // Alice starts afresh (her peer store forgets what identify taught it): the kept addresses reach bob.
  await alice.stop();
  alice = await run('alice');
  assert.equal(alice.node.libp2p.getConnections().length, 0);
  assert.equal((await alice.messenger.send('bob', 'found you at your new address', { waitMs: 20_000 })).status, 'delivered');
  assert.ok((await bob.messenger.history('alice')).some((m) => m.text === 'found you at your new address'));
});
