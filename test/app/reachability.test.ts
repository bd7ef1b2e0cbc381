/**
 * How a start decides whether it reached anyone (src/app/reachability.ts),
 * on a hand-moved clock: alone at once with nothing to look through;
 * connected on the first connection; unreachable as soon as every dial
 * failed when mDNS is off, and only after START_PEER_WAIT_MS when it is on.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { awaitFirstPeer, noPeerLine, noPeerLines, type NetworkState, type PeerWatch } from '../../src/app/reachability.ts';
import { START_PEER_WAIT_MS } from '../../src/node/constants.ts';
import { testClock } from '../helpers/context.ts';
import { ManualScheduler, settle } from '../helpers/scheduler.ts';

/** A node seen through PeerWatch: the test connects it, ends its dials, stops it. */
function fakeNode(): PeerWatch & { connect(): void; dialsFail(): void } {
  let connections = 0;
  const listeners = new Set<() => void>();
  const dials = Promise.withResolvers<void>();
  return {
    connected: () => connections,
    onConnect: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    dialsDone: dials.promise,
    stopped: new Promise<void>(() => {}),
    connect: () => {
      connections++;
      for (const listener of listeners) listener();
    },
    dialsFail: () => dials.resolve(),
  };
}

/** The state once settled, or undefined while it waits. */
async function stateOf(result: Promise<NetworkState>): Promise<NetworkState | undefined> {
  let state: NetworkState | undefined;
  void result.then((s) => (state = s));
  await settle();
  return state;
}

test('nothing to look through: no-sources at once, with the hint to add a peer or turn on mDNS', async () => {
  const scheduler = new ManualScheduler(testClock(0));
  const sources = { bootstrap: 0, remembered: 0, mdns: false };
  assert.equal(await stateOf(awaitFirstPeer(fakeNode(), sources, scheduler)), 'no-sources');
  const [warning, hint] = noPeerLines('no-sources', sources, 0, '/ip4/192.0.2.1/tcp/4001/p2p/12D3KooW');
  assert.match(warning!, /^sotto: warning: no peer to reach: no bootstrap address, no peer remembered from an earlier run, and mDNS is off$/);
  assert.match(hint!, /^hint: add a peer with --bootstrap .* --mdns; others can join this node with --bootstrap \/ip4\/192\.0\.2\.1\/tcp\/4001\/p2p\/12D3KooW$/);
  assert.ok(noPeerLine('no-sources', sources)!.length <= 80, 'one line of the chat');
});

test('the first connection ends the wait', async () => {
  const scheduler = new ManualScheduler(testClock(0));
  const node = fakeNode();
  const result = awaitFirstPeer(node, { bootstrap: 1, remembered: 2, mdns: true }, scheduler);
  await scheduler.advance(1000);
  assert.equal(await stateOf(result), undefined);
  node.connect();
  assert.equal(await stateOf(result), 'connected');
  assert.deepEqual(noPeerLines('connected', { bootstrap: 1, remembered: 2, mdns: true }, 1000, undefined), []);
});

test('mDNS off: unreachable as soon as every dial failed; mDNS on: after the whole wait', async () => {
  const scheduler = new ManualScheduler(testClock(0));
  const off = fakeNode();
  const early = awaitFirstPeer(off, { bootstrap: 1, remembered: 1, mdns: false }, scheduler);
  off.dialsFail();
  assert.equal(await stateOf(early), 'unreachable');

  const on = fakeNode();
  const late = awaitFirstPeer(on, { bootstrap: 1, remembered: 0, mdns: true }, scheduler);
  on.dialsFail();
  await scheduler.advance(START_PEER_WAIT_MS - 1);
  assert.equal(await stateOf(late), undefined, 'mDNS may still find someone');
  await scheduler.advance(1);
  assert.equal(await stateOf(late), 'unreachable');
  const lines = noPeerLines('unreachable', { bootstrap: 1, remembered: 0, mdns: true }, START_PEER_WAIT_MS, undefined);
  assert.equal(lines[0], 'sotto: warning: no peer reachable after 10s (tried 1 bootstrap peer, mDNS on this network)');
});
