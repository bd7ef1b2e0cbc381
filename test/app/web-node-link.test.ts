/**
 * The page's link to its node (src/app/web/node-link.ts) on a test clock:
 * what it says when the node goes away, how often it tries again, that it
 * reads /config.json afresh (a restarted node listens on another port) and
 * reserves its relay slot at the new address.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RECONNECT_FIRST_DELAY_MS, RECONNECT_MAX_DELAY_MS, reconnectDelay, watchNodeLink, type LinkState, type NodeLinkDeps } from '../../src/app/web/node-link.ts';
import { testClock, type TestClock } from '../helpers/context.ts';
import { ManualScheduler } from '../helpers/scheduler.ts';

const NODE_ID = '12D3KooWD2gMK9nBeTC3C1WdoL6u2xFzvUCk8pcFfV3616Eii3k4';
const at = (port: number): string => `/ip4/127.0.0.1/tcp/${port}/ws/p2p/${NODE_ID}`;

/** A node the page can lose and find again, on a port that changes with each restart. */
class FakeNode {
  up = true;
  port = 4002;
  connected = true;
  readonly fetched: number[] = [];
  readonly reserved: string[] = [];
  private readonly listeners = new Set<() => void>();

  deps(clock: TestClock, scheduler: ManualScheduler): NodeLinkDeps {
    return {
      relays: [at(4002)],
      fetchRelays: async () => {
        this.fetched.push(clock.now());
        if (!this.up) throw new Error("cannot read the node's /config.json: Failed to fetch");
        return [at(this.port)];
      },
      isConnected: (peerId) => peerId === NODE_ID && this.connected,
      reserveRelay: async (address) => {
        if (!this.up || address !== at(this.port)) throw new Error(`cannot reach ${address}`);
        this.reserved.push(address);
        this.setConnected(true);
      },
      onConnectionsChanged: (listener) => {
        this.listeners.add(listener);
        return () => this.listeners.delete(listener);
      },
      scheduler,
      now: () => clock.now(),
    };
  }

  setConnected(connected: boolean): void {
    this.connected = connected;
    for (const listener of this.listeners) listener();
  }

  /** The node stops: the connection closes and nothing answers. */
  stop(): void {
    this.up = false;
    this.setConnected(false);
  }

  /** The node starts again on another WebSocket port. */
  restart(): void {
    this.up = true;
    this.port++;
  }
}

function setUp(): { node: FakeNode; clock: TestClock; scheduler: ManualScheduler; states: LinkState[]; link: ReturnType<typeof watchNodeLink> } {
  const clock = testClock(1_000_000);
  const scheduler = new ManualScheduler(clock);
  const node = new FakeNode();
  const link = watchNodeLink(node.deps(clock, scheduler));
  const states: LinkState[] = [];
  link.onChange((s) => states.push(s));
  return { node, clock, scheduler, states, link };
}

test('the pause between tries doubles from RECONNECT_FIRST_DELAY_MS up to RECONNECT_MAX_DELAY_MS', () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7].map(reconnectDelay), [500, 1000, 2000, 4000, 8000, 8000, 8000]);
  assert.equal(reconnectDelay(1), RECONNECT_FIRST_DELAY_MS);
  assert.equal(reconnectDelay(100), RECONNECT_MAX_DELAY_MS);
});

test('a page connected at start says so and plans nothing', () => {
  const { link, scheduler } = setUp();
  assert.equal(link.state().kind, 'connected');
  assert.equal(scheduler.pending, 0);
});

test('when the node restarts on another port the page says it is disconnected, reads the config again and reserves at the new address', async () => {
  const { node, clock, scheduler, link, states } = setUp();
  const lost = clock.now();
  node.stop();
  assert.deepEqual(link.state(), { kind: 'disconnected', since: lost, attempts: 0, retryAt: lost + RECONNECT_FIRST_DELAY_MS, problem: undefined });

  // Down for a while: each try fails and the next waits longer.
  await scheduler.advance(RECONNECT_FIRST_DELAY_MS + 1000 + 2000);
  assert.deepEqual(node.fetched, [lost + 500, lost + 1500, lost + 3500]);
  const down = link.state();
  assert.equal(down.kind, 'disconnected');
  assert.equal(down.kind === 'disconnected' && down.attempts, 3);
  assert.equal(down.kind === 'disconnected' && down.retryAt, lost + 3500 + 4000);
  assert.match(down.kind === 'disconnected' ? (down.problem ?? '') : '', /Failed to fetch/);

  node.restart();
  await scheduler.advance(4000);
  assert.deepEqual(node.reserved, [at(4003)], 'the slot is reserved at the port /config.json names now');
  assert.deepEqual(link.state(), { kind: 'connected', since: lost + 7500 });
  assert.deepEqual(states.map((s) => s.kind).filter((k, i, all) => k !== all[i - 1]), ['disconnected', 'connected']);
  assert.equal(scheduler.pending, 0);
});

test('a connection that comes back by itself (libp2p redialled) ends the tries', async () => {
  const { node, scheduler, link } = setUp();
  node.stop();
  node.restart();
  node.setConnected(true);
  assert.equal(link.state().kind, 'connected');
  assert.equal(scheduler.pending, 0);
  await scheduler.advance(RECONNECT_MAX_DELAY_MS);
  assert.deepEqual(node.fetched, []);
});

test('retryNow tries at once; stop ends every try', async () => {
  const { node, clock, scheduler, link } = setUp();
  node.stop();
  node.restart();
  link.retryNow();
  await scheduler.advance(0);
  assert.deepEqual(node.fetched, [clock.now()]);
  assert.equal(link.state().kind, 'connected');

  node.stop();
  link.stop();
  assert.equal(scheduler.pending, 0);
  await scheduler.advance(RECONNECT_MAX_DELAY_MS);
  assert.equal(node.fetched.length, 1);
});

test('a page that cannot reach its node at start is connecting until its first try fails', async () => {
  const clock = testClock(5_000);
  const scheduler = new ManualScheduler(clock);
  const node = new FakeNode();
  node.up = false;
  node.connected = false;
  const link = watchNodeLink(node.deps(clock, scheduler));
  assert.deepEqual(link.state(), { kind: 'connecting' });
  await scheduler.advance(RECONNECT_FIRST_DELAY_MS);
  const state = link.state();
  assert.equal(state.kind, 'disconnected');
  assert.equal(state.kind === 'disconnected' && state.since, 5_000);
});
