/**
 * The order in which libp2p dials a peer's addresses. libp2p's own order
 * puts public addresses before private ones and only then relayed ones
 * last, and it counts a relayed address as public when its relay's is: a
 * peer on the same LAN that also holds a relay slot was reached through
 * the relay across the internet rather than over the LAN (one trial in
 * three of `npm run bench -- reach`). It also does not count WebRTC
 * through a relay (`/p2p-circuit/webrtc`) as relayed, so a first contact
 * across two NATs waited for an ICE attempt (up to libp2p's dial timeout
 * where none can succeed) before the plain relayed dial. Here any relayed
 * address comes after every direct one, whatever its relay, and a plain
 * relayed one before WebRTC through the relay: the relayed connection
 * carries the first message at once, and ./webrtc-upgrade.ts then tries
 * WebRTC beside it. Last of all come private addresses outside this node's
 * networks (another site's LAN, which identify and the DHT report): a dial
 * to one can hang until libp2p's dial timeout, and libp2p dials a peer's
 * addresses one after another, so in front of the relayed address it held
 * a first message for 6 s in one trial in three. Within each rank,
 * loopback last, then libp2p's own rules.
 */
import type { Address } from '@libp2p/interface';
import { loopbackAddressLast, publicAddressesFirst, reliableTransportsFirst } from '@libp2p/utils';
import type { Multiaddr } from '@multiformats/multiaddr';
import { isRelayedAddress, isWebrtcThroughRelay } from './relayed-addresses.ts';

/** 0 direct, 1 relayed, 2 WebRTC through a relay, 3 a private address far from this node. */
function rank(address: Multiaddr, isFar: (address: Multiaddr) => boolean): number {
  if (isRelayedAddress(address)) return isWebrtcThroughRelay(address) ? 2 : 1;
  return isFar(address) ? 3 : 0;
}

/**
 * The compare function for the connection manager's `addressSorter`:
 * direct, relayed, WebRTC through a relay, then the addresses `isFar`
 * calls far (private ones outside this node's networks); then libp2p's order.
 */
export function addressOrder(isFar: (address: Multiaddr) => boolean): (a: Address, b: Address) => -1 | 0 | 1 {
  return (a, b) =>
    (Math.sign(rank(a.multiaddr, isFar) - rank(b.multiaddr, isFar)) as -1 | 0 | 1) ||
    loopbackAddressLast(a.multiaddr, b.multiaddr) ||
    publicAddressesFirst(a.multiaddr, b.multiaddr) ||
    (a.isCertified === b.isCertified ? 0 : a.isCertified ? -1 : 1) ||
    reliableTransportsFirst(a.multiaddr, b.multiaddr);
}

/** {@link addressOrder} with no address counted far. */
export const dialOrder = addressOrder(() => false);
