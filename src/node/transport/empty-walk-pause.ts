/**
 * Keeps libp2p's random walk from starving the event loop. The walk
 * (libp2p 3.3.11's RandomWalk, which AutoNAT runs every minute while one of
 * the node's addresses is unverified, and the relay transport's discovery)
 * asks the DHT's peer routing for the peers closest to random keys, again
 * and again until its consumer has enough. With an empty routing table each
 * lookup ends at once, in microtasks only, so the loop never lets a timer
 * or a socket run: the node froze (its own abort timeout could not fire).
 * Here a lookup made while the routing table is empty first waits
 * EMPTY_ROUTING_TABLE_PAUSE_MS (or until its signal aborts). The DHT's own
 * `getClosestPeers` (which the messenger uses) is unchanged.
 */
import { peerRoutingSymbol, type PeerInfo } from '@libp2p/interface';
import type { KadDHT, KadDHTComponents } from '@libp2p/kad-dht';
import { EMPTY_ROUTING_TABLE_PAUSE_MS } from '../constants.ts';

interface Router {
  getClosestPeers(key: Uint8Array, options?: { signal?: AbortSignal }): AsyncIterable<PeerInfo>;
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Wraps a kad-dht factory so that its peer routing pauses lookups on an empty routing table (see above). */
export function pauseEmptyWalks(factory: (components: KadDHTComponents) => KadDHT, pauseMs = EMPTY_ROUTING_TABLE_PAUSE_MS): (components: KadDHTComponents) => KadDHT {
  return (components) => {
    const dht = factory(components);
    const router = (dht as unknown as Record<symbol, Router | undefined>)[peerRoutingSymbol];
    const table = (dht as { routingTable?: { size: number } }).routingTable;
    if (router === undefined || table === undefined) return dht;
    const lookup = router.getClosestPeers.bind(router);
    router.getClosestPeers = async function* (key, options = {}) {
      if (table.size === 0) await pause(pauseMs, options.signal);
      yield* lookup(key, options);
    };
    return dht;
  };
}
