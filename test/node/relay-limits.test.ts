/**
 * The bounds of a node's circuit relay server (src/node/transport/
 * relay-limits.ts), with real nodes on loopback: the limits a slot carries,
 * slots per IP address (every test node connects from 127.0.0.1, so they
 * all count against one address), slots of peers that left, slots in all.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { CircuitRelayService } from '@libp2p/circuit-relay-v2';
import type { Connection, PeerId } from '@libp2p/interface';
import { multiaddr } from '@multiformats/multiaddr';
import { generateIdentity } from '../../src/crypto/identity.ts';
import {
  MAX_RELAY_HOP_STREAMS,
  MAX_RELAY_STOP_STREAMS,
  RELAY_DATA_LIMIT_BYTES,
  RELAY_DURATION_LIMIT_MS,
  RELAY_HOP_TIMEOUT_MS,
  RELAY_MAX_RESERVATIONS,
  RELAY_MAX_RESERVATIONS_PER_IP,
  RELAY_RESERVATION_TTL_MS,
} from '../../src/node/constants.ts';
import { createNode, type NodeConfig, type SottoNode } from '../../src/node/transport/libp2p.ts';
import { DEFAULT_RELAY_LIMITS, relayReservationGate, relayServerInit, type RelayLimits } from '../../src/node/transport/relay-limits.ts';
import { testContext } from '../helpers/context.ts';

const TCP = '/ip4/127.0.0.1/tcp/0';
const nodes = new Set<SottoNode>();
after(async () => {
  await Promise.all([...nodes].map((n) => n.stop().catch(() => {})));
});

let count = 0;
async function node(config: Partial<NodeConfig> = {}): Promise<SottoNode> {
  const n = await createNode({ identity: await generateIdentity(testContext(`relay-limits-${count++}`)), listen: [TCP], bootstrap: [], webrtc: false, ...config });
  nodes.add(n);
  return n;
}

async function relayWith(limits: Partial<RelayLimits> = {}): Promise<{ relay: SottoNode; address: string }> {
  const relay = await node({ relay: true, relayLimits: { ...DEFAULT_RELAY_LIMITS, ...limits } });
  return { relay, address: relay.addresses()[0]! };
}

/** A node that asks `relayAddress` for a slot at start; true when it got one. */
async function reserve(relayAddress: string): Promise<{ client: SottoNode; reserved: boolean }> {
  const client = await node({ relays: [relayAddress] });
  return { client, reserved: client.addresses().some((a) => a.includes('/p2p-circuit')) };
}

function holders(relay: SottoNode): string[] {
  return [...relay.libp2p.services.relay!.reservations.keys()].map(String).sort();
}

test('the relay server takes its bounds from the named constants', () => {
  assert.deepEqual(relayServerInit(DEFAULT_RELAY_LIMITS), {
    hopTimeout: RELAY_HOP_TIMEOUT_MS,
    maxInboundHopStreams: MAX_RELAY_HOP_STREAMS,
    maxOutboundStopStreams: MAX_RELAY_STOP_STREAMS,
    reservations: {
      maxReservations: RELAY_MAX_RESERVATIONS,
      reservationTtl: RELAY_RESERVATION_TTL_MS,
      applyDefaultLimit: true,
      defaultDataLimit: BigInt(RELAY_DATA_LIMIT_BYTES),
      defaultDurationLimit: RELAY_DURATION_LIMIT_MS,
    },
  });
  assert.equal(DEFAULT_RELAY_LIMITS.maxReservationsPerIp, RELAY_MAX_RESERVATIONS_PER_IP);
});

const SINK = '/sotto-test/sink/1.0.0';

/** A client holding a slot on a relay, counting the bytes it receives on SINK, and a peer connected to it through the relay. */
async function circuit(limits: Partial<RelayLimits> = {}): Promise<{ relay: SottoNode; client: SottoNode; outside: SottoNode; received: () => number }> {
  const { relay, address } = await relayWith(limits);
  const { client, reserved } = await reserve(address);
  assert.ok(reserved);
  let received = 0;
  await client.libp2p.handle(SINK, async (stream) => {
    for await (const chunk of stream) received += chunk.byteLength;
  }, { runOnLimitedConnection: true });
  const outside = await node();
  await outside.connect(client.addresses().find((a) => a.includes('/p2p-circuit'))!);
  return { relay, client, outside, received: () => received };
}

test('a slot carries the data and time limits', async () => {
  const { relay, address } = await relayWith();
  const { client } = await reserve(address);
  const slot = relay.libp2p.services.relay!.reservations.get(client.libp2p.peerId);
  assert.deepEqual(slot?.limit, { data: BigInt(RELAY_DATA_LIMIT_BYTES), duration: RELAY_DURATION_LIMIT_MS });
});

test('the relay resets a circuit once it has carried RELAY_DATA_LIMIT_BYTES', { timeout: 20_000 }, async () => {
  const { client, outside, received } = await circuit();
  const connection = outside.libp2p.getConnections(client.libp2p.peerId)[0]!;
  const closed = new Promise<void>((resolve) => connection.addEventListener('close', () => resolve(), { once: true }));
  const stream = await connection.newStream(SINK, { runOnLimitedConnection: true });
  const chunk = new Uint8Array(16 * 1024);
  try {
    for (let sent = 0; sent < 2 * RELAY_DATA_LIMIT_BYTES; sent += chunk.length) {
      if (!stream.send(chunk)) await stream.onDrain({ signal: AbortSignal.timeout(5_000) });
    }
  } catch {
    // The relay reset the circuit under the writer.
  }
  await closed;
  assert.ok(received() < RELAY_DATA_LIMIT_BYTES, `${received()} bytes got through`);
});

test('the relay closes a circuit after its duration limit', { timeout: 20_000 }, async () => {
  const { client, outside } = await circuit({ durationLimitMs: 300 });
  const connection = outside.libp2p.getConnections(client.libp2p.peerId)[0]!;
  const opened = performance.now();
  if (connection.status === 'open') await new Promise<void>((resolve) => connection.addEventListener('close', () => resolve(), { once: true }));
  const lasted = performance.now() - opened;
  assert.ok(lasted < 5_000, `closed after ${Math.round(lasted)} ms`);
});

test('peers from one IP address hold at most maxReservationsPerIp slots', async () => {
  const { relay, address } = await relayWith({ maxReservationsPerIp: 2 });
  const a = await reserve(address);
  const b = await reserve(address);
  const c = await reserve(address);
  assert.deepEqual([a.reserved, b.reserved, c.reserved], [true, true, false]);
  assert.deepEqual(holders(relay), [a.client.peerId, b.client.peerId].sort());
});

test('the gate: renewals pass, other hosts count apart, holders without a connection are dropped', () => {
  const peer = (name: string) => ({ toString: () => name }) as unknown as PeerId;
  const [a, b, c, d, e] = ['a', 'b', 'c', 'd', 'e'].map(peer) as [PeerId, PeerId, PeerId, PeerId, PeerId];
  const from = (ip: string) => ({ remoteAddr: multiaddr(`/ip4/${ip}/tcp/4001`) }) as unknown as Connection;
  const connections = new Map<PeerId, Connection[]>([[a, [from('10.0.0.1')]], [b, [from('10.0.0.1')]], [c, [from('10.0.0.1')]], [d, [from('10.0.0.2')]], [e, []]]);
  let cleared = 0;
  const slot = (ip: string) => ({ addr: multiaddr(`/ip4/${ip}/tcp/4001`), signal: { clear: () => void cleared++ } });
  const reservations = new Map<PeerId, unknown>([[a, slot('10.0.0.1')], [b, slot('10.0.0.1')], [e, slot('10.0.0.9')]]);
  const gate = relayReservationGate({ ...DEFAULT_RELAY_LIMITS, maxReservationsPerIp: 2 }, {
    relay: () => ({ reservations }) as unknown as CircuitRelayService,
    connections: (p) => connections.get(p) ?? [],
  });
  assert.equal(gate(a), false, 'a holder renews although its address is full');
  assert.equal(gate(c), true, 'a third peer from 10.0.0.1 is refused');
  assert.equal(gate(d), false, 'a peer from 10.0.0.2 counts apart');
  assert.equal(reservations.has(e), false, 'the slot of a holder without a connection was freed');
  assert.equal(cleared, 1, 'and its expiry timer cleared');
  assert.deepEqual([...reservations.keys()], [a, b]);
});

test('the slot of a peer that hung up is freed for the next one', async () => {
  const { relay, address } = await relayWith({ maxReservationsPerIp: 2 });
  const a = await reserve(address);
  const b = await reserve(address);
  assert.ok(a.reserved && b.reserved);
  const gone = new Promise<void>((resolve) => {
    const onDisconnect = (event: CustomEvent<PeerId>): void => {
      if (!event.detail.equals(a.client.libp2p.peerId)) return;
      relay.libp2p.removeEventListener('peer:disconnect', onDisconnect);
      resolve();
    };
    relay.libp2p.addEventListener('peer:disconnect', onDisconnect);
  });
  nodes.delete(a.client);
  await a.client.stop();
  await gone; // the relay has seen it go
  assert.equal(relay.libp2p.services.relay!.reservations.has(a.client.libp2p.peerId), true, 'the slot outlives the connection until someone asks');
  const d = await reserve(address);
  assert.equal(d.reserved, true);
  assert.deepEqual(holders(relay), [b.client.peerId, d.client.peerId].sort());
});

test('no more than maxReservations slots in all', async () => {
  const { relay, address } = await relayWith({ maxReservations: 2, maxReservationsPerIp: 10 });
  const results = [];
  for (let i = 0; i < 3; i++) results.push((await reserve(address)).reserved);
  assert.deepEqual(results, [true, true, false]);
  assert.equal(holders(relay).length, 2);
});
