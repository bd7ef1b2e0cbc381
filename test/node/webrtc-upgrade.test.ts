/**
 * The WebRTC upgrade of relayed connections (src/node/transport/webrtc-upgrade.ts)
 * with fake libp2p components: who tries (the side that dialled the relayed
 * connection, to a peer that listens for WebRTC and is not directly
 * connected already), at which address, what happens to the relayed
 * connection on success, and that a peer it failed with rests for
 * `retryDelayMs` instead of being tried at every identify.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultLogger } from '@libp2p/logger';
import { peerIdFromString } from '@libp2p/peer-id';
import type { Connection, IdentifyResult, Libp2pEvents, PeerId, Startable } from '@libp2p/interface';
import type { ConnectionManager, TransportManager } from '@libp2p/interface-internal';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import { TypedEventEmitter } from 'main-event';
import { WEBRTC_SIGNALING_PROTOCOL, webrtcUpgrade, type WebrtcUpgrade } from '../../src/node/transport/webrtc-upgrade.ts';

const RELAY = '12D3KooWQi7TshN4fwfwLsLwdXL287qNp7Aa5nrZxJsCxSADyywP';
const BOB = peerIdFromString('12D3KooWLR7WqpPM8ZikSABvkjkJPXsnMCNQnLheDkUPrwvVqepd');
const RELAYED = multiaddr(`/ip4/11.77.0.1/tcp/4001/p2p/${RELAY}/p2p-circuit/p2p/${BOB.toString()}`);
const WEBRTC = `/ip4/11.77.0.1/tcp/4001/p2p/${RELAY}/p2p-circuit/webrtc/p2p/${BOB.toString()}`;
const RETRY_MS = 60_000;
/** This node: a peer id greater than Bob's (so Bob makes the upgrade when both dialled each other). */
const SELF_AFTER_BOB = peerIdFromString('12D3KooWR34kruSheZFXTYg6DzYEGTDvB8ccdGJJNcZH7wrDtwFb');
/** This node with a peer id smaller than Bob's. */
const SELF_BEFORE_BOB = peerIdFromString('12D3KooWCEM88LzRzxoxHY7Xipgget5sqbuPVhhHGLUKeK58fZAd');

interface FakeConnection {
  readonly remotePeer: PeerId;
  readonly remoteAddr: Multiaddr;
  readonly direction: 'inbound' | 'outbound';
  status: 'open' | 'closed';
  readonly limits: object | undefined;
  close(): Promise<void>;
  abort(err: Error): void;
  /** Resolves once the other side answered the protocol (never, for a connection it never finished). */
  newStream(protocol: string, options: { signal: AbortSignal }): Promise<{ abort(err: Error): void }>;
}

function connection(remoteAddr: Multiaddr, direction: 'inbound' | 'outbound', limited: boolean, live = true): FakeConnection {
  const c: FakeConnection = {
    remotePeer: BOB,
    remoteAddr,
    direction,
    status: 'open',
    limits: limited ? { bytes: 4_194_304n } : undefined,
    close: async () => void (c.status = 'closed'),
    abort: () => void (c.status = 'closed'),
    newStream: (_protocol, { signal }) =>
      live ? Promise.resolve({ abort: () => {} }) : new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true })),
  };
  return c;
}

/** A service over fake components; `answer` decides what each WebRTC dial gives. */
function setup(answer: (target: Multiaddr) => Promise<FakeConnection>, firstRetryMs?: number, options: { self?: PeerId; proveMs?: number } = {}) {
  const events = new TypedEventEmitter<Libp2pEvents>();
  const connections: FakeConnection[] = [];
  const dials: string[] = [];
  const connectionManager = { getConnections: () => connections.filter((c) => c.status === 'open') } as unknown as ConnectionManager;
  const transportManager = {
    dial: async (target: Multiaddr) => {
      dials.push(target.toString());
      const made = await answer(target);
      connections.push(made);
      return made;
    },
  } as unknown as TransportManager;
  const service = webrtcUpgrade({
    timeoutMs: 1_000,
    retryDelayMs: RETRY_MS,
    ...(firstRetryMs === undefined ? {} : { firstRetryMs }),
    ...(options.proveMs === undefined ? {} : { proveMs: options.proveMs }),
  })({ peerId: options.self ?? SELF_AFTER_BOB, connectionManager, transportManager, events, logger: defaultLogger() });
  const identify = (over: FakeConnection, protocols = [WEBRTC_SIGNALING_PROTOCOL]): void => {
    events.dispatchEvent(new CustomEvent<IdentifyResult>('peer:identify', { detail: { peerId: BOB, protocols, connection: over as unknown as Connection, listenAddrs: [] } as unknown as IdentifyResult }));
  };
  (service as unknown as Startable).start();
  return { service: service as WebrtcUpgrade & Startable, connections, dials, identify };
}

/** Lets the promise chains of an attempt run out. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('the side that dialled a relayed connection dials <relayed address>/webrtc and, once it is up, closes the relayed connection', async () => {
  const { service, connections, dials, identify } = setup(async (target) => connection(target, 'outbound', false));
  const relayed = connection(RELAYED, 'outbound', true);
  connections.push(relayed);
  identify(relayed);
  await settle();
  assert.deepEqual(dials, [WEBRTC]);
  assert.equal(relayed.status, 'closed', 'the relayed connection gives way');
  assert.deepEqual({ upgraded: service.upgraded, failed: service.failed }, { upgraded: 1, failed: 0 });
  service.stop();
});

test('no attempt on an inbound relayed connection, a direct one, to a peer without WebRTC, or to a peer already connected directly', async () => {
  const { service, connections, dials, identify } = setup(async (target) => connection(target, 'outbound', false));
  const inbound = connection(RELAYED, 'inbound', true);
  connections.push(inbound);
  identify(inbound);
  const direct = connection(multiaddr('/ip4/192.168.1.3/tcp/4001'), 'outbound', false);
  identify(direct);
  const relayed = connection(RELAYED, 'outbound', true);
  connections.push(relayed);
  identify(relayed, ['/sotto/msg/1.0.0']);
  connections.push(direct);
  identify(relayed);
  await settle();
  assert.deepEqual(dials, []);
  assert.equal(relayed.status, 'open');
  service.stop();
});

test('a peer an attempt failed with is left alone for retryDelayMs, then tried again; trying() and resting() name it meanwhile', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  let fail = true;
  let answer: (() => void) | undefined;
  const { service, connections, dials, identify } = setup(async (target) => {
    await new Promise<void>((resolve) => (answer = resolve));
    if (fail) throw new Error('ICE failed');
    return connection(target, 'outbound', false);
  });
  const relayed = connection(RELAYED, 'outbound', true);
  connections.push(relayed);
  identify(relayed);
  await settle();
  assert.deepEqual({ trying: service.trying(), resting: service.resting() }, { trying: [BOB.toString()], resting: [] }, 'the attempt runs');
  answer!();
  await settle();
  assert.deepEqual({ trying: service.trying(), resting: service.resting() }, { trying: [], resting: [BOB.toString()] }, 'it failed: the peer rests');
  identify(relayed);
  await settle();
  assert.deepEqual({ dials: dials.length, failed: service.failed }, { dials: 1, failed: 1 }, 'resting: the second identify starts nothing');
  t.mock.timers.tick(RETRY_MS);
  assert.deepEqual({ trying: service.trying(), resting: service.resting() }, { trying: [], resting: [] }, 'forgiven');
  fail = false;
  identify(relayed);
  await settle();
  answer!();
  await settle();
  assert.deepEqual({ dials: dials.length, upgraded: service.upgraded }, { dials: 2, upgraded: 1 });
  assert.deepEqual({ trying: service.trying(), resting: service.resting() }, { trying: [], resting: [] }, 'upgraded: neither trying nor resting');
  service.stop();
});

test('with firstRetryMs, a first failure is tried again by itself over the relayed connection still open; a second failure rests the peer for retryDelayMs', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const FIRST_RETRY_MS = 20_000;
  let fail = true;
  const { service, connections, dials, identify } = setup(async (target) => {
    if (fail) throw new Error('ICE failed');
    return connection(target, 'outbound', false);
  }, FIRST_RETRY_MS);
  const relayed = connection(RELAYED, 'outbound', true);
  connections.push(relayed);
  identify(relayed);
  await settle();
  assert.deepEqual({ dials: dials.length, failed: service.failed, resting: service.resting() }, { dials: 1, failed: 1, resting: [BOB.toString()] });
  t.mock.timers.tick(FIRST_RETRY_MS);
  await settle();
  assert.deepEqual({ dials: dials.length, failed: service.failed, resting: service.resting() }, { dials: 2, failed: 2, resting: [BOB.toString()] }, 'tried again without an identify, failed again: rests');
  t.mock.timers.tick(FIRST_RETRY_MS);
  await settle();
  assert.equal(dials.length, 2, 'after a second failure no early retry: the peer rests for retryDelayMs');
  t.mock.timers.tick(RETRY_MS);
  fail = false;
  identify(relayed);
  await settle();
  assert.deepEqual({ dials: dials.length, upgraded: service.upgraded }, { dials: 3, upgraded: 1 });
  service.stop();
});

test('an early retry is not made once the relayed connection is gone or a direct one is open', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const FIRST_RETRY_MS = 20_000;
  const { service, connections, dials, identify } = setup(async () => {
    throw new Error('ICE failed');
  }, FIRST_RETRY_MS);
  const relayed = connection(RELAYED, 'outbound', true);
  connections.push(relayed);
  identify(relayed);
  await settle();
  relayed.status = 'closed';
  t.mock.timers.tick(FIRST_RETRY_MS);
  await settle();
  assert.deepEqual({ dials: dials.length, resting: service.resting() }, { dials: 1, resting: [] }, 'no relayed connection: nothing to retry over');
  service.stop();
});

test('a WebRTC dial that comes back limited is no upgrade: closed, counted as failed, the relayed connection kept', async () => {
  const made: FakeConnection[] = [];
  const { service, connections, identify } = setup(async (target) => {
    const c = connection(target, 'outbound', true);
    made.push(c);
    return c;
  });
  const relayed = connection(RELAYED, 'outbound', true);
  connections.push(relayed);
  identify(relayed);
  await settle();
  assert.equal(service.failed, 1);
  assert.equal(made[0]!.status, 'closed');
  assert.equal(relayed.status, 'open');
  service.stop();
});

test('when both dialled each other through a relay, only the one with the smaller peer id upgrades', async () => {
  for (const [self, expected] of [
    [SELF_AFTER_BOB, []],
    [SELF_BEFORE_BOB, [WEBRTC]],
  ] as const) {
    const { service, connections, dials, identify } = setup(async (target) => connection(target, 'outbound', false), undefined, { self });
    connections.push(connection(RELAYED, 'inbound', true));
    const relayed = connection(RELAYED, 'outbound', true);
    connections.push(relayed);
    identify(relayed);
    await settle();
    assert.deepEqual(dials, expected, self.toString());
    service.stop();
  }
});

test('a WebRTC connection that opens no stream within proveMs is aborted, the attempt fails and the relayed connection stays', async () => {
  const proveMs = 50;
  let made: FakeConnection | undefined;
  const { service, connections, identify } = setup(async (target) => (made = connection(target, 'outbound', false, false)), undefined, { proveMs });
  const relayed = connection(RELAYED, 'outbound', true);
  connections.push(relayed);
  identify(relayed);
  await settle();
  assert.equal(made?.status, 'open', 'the new connection waits for its first stream');
  for (let waited = 0; service.failed === 0; waited += 10) {
    assert.ok(waited < 100 * proveMs, 'the attempt ends');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.equal(made?.status, 'closed', 'aborted');
  assert.equal(relayed.status, 'open', 'the relayed connection carries on');
  assert.deepEqual({ upgraded: service.upgraded, failed: service.failed }, { upgraded: 0, failed: 1 });
  assert.match(service.lastFailure ?? '', /DeadWebrtcConnectionError/);
  service.stop();
});
