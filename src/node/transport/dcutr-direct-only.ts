/**
 * DCUtR (@libp2p/dcutr 3.0.28) that never takes a relayed address for a
 * direct one. The library upgrades a relayed connection by dialling the
 * other peer's "public and dialable" addresses, and it counts as relayed
 * only an address that ends in `/p2p-circuit` (multiaddr-matcher's
 * `Circuit`): a WebRTC address through a relay,
 * `<relay>/p2p/<relay id>/p2p-circuit/webrtc`, passes as public (the relay's
 * IP is) and dialable (the WebRTC transport takes it). Kept in the peer
 * store without the peer's own /p2p/ (libp2p stores addresses so), its last
 * peer id is the relay's: the library dialled the relay, through the relay,
 * by WebRTC, took that connection for the upgrade and closed the relayed
 * connection to the peer it meant. Seen here once every desktop node ran
 * WebRTC: each relayed connection left one more WebRTC connection to the
 * relay (166 on one node after a few minutes of test) and cut the working
 * one. WebRTC through a relay is ./webrtc-upgrade.ts's job, not DCUtR's.
 *
 * The library asks its transport manager which transport dials an address
 * and skips those none can; the proxy here answers "none" for any address
 * with a `/p2p-circuit` in it, so only direct addresses are ever dialled.
 */
import { dcutr, type DCUtRServiceComponents, type DCUtRServiceInit } from '@libp2p/dcutr';
import type { TransportManager } from '@libp2p/interface-internal';
import type { Multiaddr } from '@multiformats/multiaddr';
import { overriding, withComponent } from './component-proxy.ts';
import { isRelayedAddress } from './relayed-addresses.ts';

/** `transportManager` with no dial transport for relayed addresses. */
export function directDialsOnly(transportManager: TransportManager): TransportManager {
  return overriding(transportManager, 'dialTransportForMultiaddr', (address: Multiaddr) => (isRelayedAddress(address) ? undefined : transportManager.dialTransportForMultiaddr(address)));
}

/** The DCUtR service, dialling only direct addresses (see the module comment). */
export function dcutrDirectOnly(init: DCUtRServiceInit): (components: DCUtRServiceComponents) => unknown {
  return withComponent(dcutr(init), 'transportManager', directDialsOnly);
}
