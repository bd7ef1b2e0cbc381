/**
 * Relay slots a node keeps (src/node/transport/relay-slots.ts), with real
 * nodes on loopback: a node reserves on the relays among its bootstrap
 * peers (so pages served by them reach it by WebRTC), again after its relay
 * restarted on another port, and on a relay it is told about at run time;
 * one slot and one listener per relay, however many reasons it has.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateIdentity } from '../../src/crypto/identity.ts';
import type { IdentityKeyPair } from '../../src/crypto/identity.ts';
import { createNode, type NodeConfig, type SottoNode } from '../../src/node/transport/libp2p.ts';
import { RelayReservationError } from '../../src/node/transport/relay-slots.ts';
import { testContext } from '../helpers/context.ts';

const TCP = '/ip4/127.0.0.1/tcp/0';
/** Longest wait for a node's addresses to change (a reservation takes milliseconds on loopback). */
const ADDRESS_WAIT_MS = 10_000;
const nodes = new Set<SottoNode>();
after(async () => {
  await Promise.all([...nodes].map((n) => n.stop().catch(() => {})));
});

let count = 0;
async function node(config: Partial<NodeConfig> = {}, identity?: IdentityKeyPair): Promise<SottoNode> {
  const n = await createNode({ identity: identity ?? (await generateIdentity(testContext(`relay-slots-${count++}`))), listen: [TCP], bootstrap: [], ...config });
  nodes.add(n);
  return n;
}

/** Resolves with the node's addresses once `check` holds for them (libp2p announces a relayed address gone with no event). */
async function addressesWhere(n: SottoNode, check: (addresses: string[]) => boolean, what: string): Promise<string[]> {
  await waitUntil(async () => check(n.addresses()), `${what} (${n.addresses().join(' ')})`);
  return n.addresses();
}

const through = (relay: SottoNode) => (addresses: string[]): boolean => addresses.some((a) => a.includes(`/p2p/${relay.peerId}/p2p-circuit/p2p/`));
const byWebrtcThrough = (relay: SottoNode) => (addresses: string[]): boolean => addresses.some((a) => a.includes(`/p2p/${relay.peerId}/p2p-circuit/webrtc/p2p/`));

test('a node reserves a slot on the relay it bootstraps through and is reachable by WebRTC through it', async () => {
  const relay = await node({ relay: true, webrtc: false });
  const desk = await node({ bootstrap: [relay.addresses()[0]!] });
  await addressesWhere(desk, through(relay), 'a relayed address');
  await addressesWhere(desk, byWebrtcThrough(relay), 'a WebRTC address through the relay');
  assert.ok([...relay.libp2p.services.relay!.reservations.keys()].some((p) => p.toString() === desk.peerId), 'the relay holds its slot');
});

test('a node behind a NAT that bootstraps through a relay holds one slot and one listener there, for both reasons it has', async () => {
  const relay = await node({ relay: true, webrtc: false });
  // Loopback is no public address: AutoNAT never finds this node reachable, so it wants slots of its own too.
  const natted = await node({ bootstrap: [relay.addresses()[0]!], relaySlots: true });
  await addressesWhere(natted, through(relay), 'a relayed address');
  await addressesWhere(natted, byWebrtcThrough(relay), 'a WebRTC address through the relay');
  const listeners = (natted.libp2p as unknown as { components: { transportManager: { getListeners(): { getAddrs(): { toString(): string }[] }[] } } }).components.transportManager.getListeners();
  const throughRelay = listeners.filter((l) => l.getAddrs().some((a) => a.toString().includes(`/p2p/${relay.peerId}/p2p-circuit`) && !a.toString().includes('/webrtc')));
  assert.equal(throughRelay.length, 1, 'one circuit listener on the relay');
  assert.deepEqual(natted.libp2p.services.relaySlots.relays(), [relay.peerId]);
  assert.equal(relay.libp2p.services.relay!.reservations.size, 1);
});

test('a node without WebRTC, or told not to, takes no slot on its bootstrap relay; a bootstrap peer that is no relay gives none', async () => {
  const relay = await node({ relay: true, webrtc: false });
  const plain = await node({ relay: false, webrtc: false });
  const without = await node({ bootstrap: [relay.addresses()[0]!], webrtc: false });
  const refusing = await node({ bootstrap: [relay.addresses()[0]!], reserveOnBootstrapRelays: false });
  const other = await node({ bootstrap: [plain.addresses()[0]!] });
  // Identify has run once each is connected and the relay lists its peers' protocols.
  for (const n of [without, refusing, other]) {
    const target = n === other ? plain : relay;
    await waitUntil(async () => (await target.libp2p.peerStore.get(n.libp2p.peerId)).protocols.length > 0, 'identify');
  }
  // A node that does reserve, started after them, holds its slot: theirs would have come first.
  const control = await node({ bootstrap: [relay.addresses()[0]!] });
  await addressesWhere(control, through(relay), 'the control node\'s relayed address');
  assert.deepEqual([...relay.libp2p.services.relay!.reservations.keys()].map(String), [control.peerId]);
  for (const n of [without, refusing, other]) assert.ok(!n.addresses().some((a) => a.includes('/p2p-circuit')), n.addresses().join(' '));
});

test('after its relay restarts on another port the node holds a slot again once it reconnects', async () => {
  const relayIdentity = await generateIdentity(testContext('relay-slots-restarting'));
  let relay = await node({ relay: true, webrtc: false }, relayIdentity);
  const page = await node({ listen: [], relays: [relay.addresses()[0]!], bootstrap: [relay.addresses()[0]!] });
  const before = await addressesWhere(page, through(relay), 'a relayed address');
  await relay.stop();
  await addressesWhere(page, (addresses) => !through(relay)(addresses), 'the relayed address gone');
  relay = await node({ relay: true, webrtc: false }, relayIdentity);
  const moved = relay.addresses()[0]!;
  assert.ok(!before.some((a) => a.startsWith(moved.split('/p2p/')[0]!)), 'the relay came back on another port');
  await page.connect(moved);
  const after = await addressesWhere(page, (addresses) => addresses.some((a) => a.startsWith(moved.split('/p2p/')[0]!) && a.includes('/p2p-circuit/webrtc/')), 'a WebRTC address through the new port');
  assert.ok(after.some((a) => a.includes('/p2p-circuit/p2p/')), after.join(' '));
});

test('reserveRelay reserves on a relay named at run time, once, and refuses a peer that is no relay', async () => {
  const relay = await node({ relay: true, webrtc: false });
  const plain = await node({ webrtc: false });
  const client = await node({ listen: [] });
  await Promise.all([client.reserveRelay(relay.addresses()[0]!), client.reserveRelay(relay.addresses()[0]!)]);
  assert.ok(through(relay)(client.addresses()), client.addresses().join(' '));
  assert.equal(relay.libp2p.services.relay!.reservations.size, 1);
  await client.reserveRelay(relay.addresses()[0]!);
  await assert.rejects(client.reserveRelay(plain.addresses()[0]!), (err: unknown) => err instanceof RelayReservationError && err.relay === plain.peerId);
  await assert.rejects(client.reserveRelay('/ip4/127.0.0.1/tcp/1'), RangeError);
});

async function waitUntil(check: () => Promise<boolean>, what: string): Promise<void> {
  const end = performance.now() + ADDRESS_WAIT_MS;
  while (!(await check().catch(() => false))) {
    if (performance.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
