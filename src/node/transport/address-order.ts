/**
 * The order in which libp2p dials a peer's addresses. libp2p's own order
 * puts public addresses before private ones and only then relayed ones
 * last, and it counts a relayed address as public when its relay's is: a
 * peer on the same LAN that also holds a relay slot was reached through
 * the relay across the internet rather than over the LAN (one trial in
 * three of `npm run bench -- reach`). Here relayed addresses come last
 * whatever their relay, then loopback; then libp2p's own rules.
 */
import type { Address } from '@libp2p/interface';
import { circuitRelayAddressesLast, loopbackAddressLast, publicAddressesFirst, reliableTransportsFirst } from '@libp2p/utils';

/** Compare function for the connection manager's `addressSorter`: direct before relayed, then libp2p's order. */
export function dialOrder(a: Address, b: Address): -1 | 0 | 1 {
  return (
    circuitRelayAddressesLast(a.multiaddr, b.multiaddr) ||
    loopbackAddressLast(a.multiaddr, b.multiaddr) ||
    publicAddressesFirst(a.multiaddr, b.multiaddr) ||
    (a.isCertified === b.isCertified ? 0 : a.isCertified ? -1 : 1) ||
    reliableTransportsFirst(a.multiaddr, b.multiaddr)
  );
}
