/**
 * AutoNAT v1 (@libp2p/autonat 3.0.28) with its dial-back made a new
 * connection. A peer asks this node to dial one of its addresses back; the
 * library does so with `openConnection(address)`, which hands back the
 * connection already open to that peer (the one the request came on, since
 * the address is where this node dialled it), reports the address as
 * reachable without having dialled anything, and then closes that
 * connection. Seen here: every node that dialled a public relay lost its
 * connection to it (and its relay slot with it) a few milliseconds later,
 * when the relay asked it to confirm the relay's own address. A forced dial
 * opens the new connection the protocol means, which the library then
 * closes. Only the dial-back is forced: it is the one call made with a
 * single multiaddr (the random walk dials a peer's address list).
 */
import { autoNAT, type AutoNATComponents, type AutoNATServiceInit } from '@libp2p/autonat';
import type { ConnectionManager } from '@libp2p/interface-internal';
import { isMultiaddr } from '@multiformats/multiaddr';
import { overriding, withComponent } from './component-proxy.ts';

function forcedDialBack(connectionManager: ConnectionManager): ConnectionManager {
  return overriding(connectionManager, 'openConnection', (peer, options) => connectionManager.openConnection(peer, isMultiaddr(peer) ? { ...options, force: true } : options));
}

/** The AutoNAT service with a dial-back that never reuses (and closes) an open connection. */
export function autoNATWithDialBack(init: AutoNATServiceInit): (components: AutoNATComponents) => unknown {
  return withComponent(autoNAT(init), 'connectionManager', forcedDialBack);
}
