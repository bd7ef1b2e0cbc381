/**
 * libp2p's random walk on a lone node (src/node/transport/empty-walk-pause.ts):
 * AutoNAT walks the DHT every minute while an address of the node is
 * unverified, and with an empty routing table each lookup ended without
 * yielding, so the walk froze the process. Now the walk lets timers run and
 * stops when its signal aborts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateIdentity } from '../../src/crypto/identity.ts';
import { createNode } from '../../src/node/transport/libp2p.ts';
import { testContext } from '../helpers/context.ts';

/** How long the walk runs before its signal aborts it (ms). */
const WALK_MS = 300;
/** The tick that proves timers still run while the walk goes on (ms). */
const TICK_MS = 20;

test('a random walk on a node with an empty routing table leaves timers running and ends when aborted', { timeout: 30_000 }, async () => {
  const node = await createNode({ identity: await generateIdentity(testContext('empty-walk')), listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [] });
  try {
    const randomWalk = (node.libp2p as unknown as { components: { randomWalk: { walk(o: { signal: AbortSignal }): AsyncIterable<unknown> } } }).components.randomWalk;
    let ticks = 0;
    const ticker = setInterval(() => ticks++, TICK_MS);
    const found: unknown[] = [];
    let ended: string | undefined;
    try {
      for await (const peer of randomWalk.walk({ signal: AbortSignal.timeout(WALK_MS) })) found.push(peer);
    } catch (err) {
      ended = (err as Error).name;
    } finally {
      clearInterval(ticker);
    }
    assert.equal(ended, 'TimeoutError', 'the walk ended by its own timeout, which needs the event loop');
    assert.ok(ticks > 0, 'timers ran during the walk');
    assert.deepEqual(found, [], 'a lone node finds nobody');
  } finally {
    await node.stop();
  }
});
