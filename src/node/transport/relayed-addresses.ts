/**
 * What goes through a relay. An *address* is relayed when it has a
 * `/p2p-circuit` anywhere: `<relay>/p2p/<relay id>/p2p-circuit` (the relay
 * carries every byte) and `<relay>/p2p/<relay id>/p2p-circuit/webrtc` (the
 * relay carries the WebRTC signalling only). A *connection* is relayed when
 * the relay carries its bytes: a WebRTC connection dialled at the second
 * kind of address keeps that address as its remote one, yet runs straight
 * between the two peers. libp2p's own matcher (`Circuit` of
 * multiaddr-matcher) sees neither subtlety: it takes the second kind for a
 * direct address (./dcutr-direct-only.ts).
 */
import type { Multiaddr } from '@multiformats/multiaddr';

/** True when `address` goes through a relay (`/p2p-circuit` anywhere in it, WebRTC through a relay included). */
export function isRelayedAddress(address: Multiaddr): boolean {
  return address.getComponents().some((c) => c.name === 'p2p-circuit');
}

/** True when `address` is WebRTC signalled through a relay (`…/p2p-circuit/webrtc…`). */
export function isWebrtcThroughRelay(address: Multiaddr): boolean {
  const names = address.getComponents().map((c) => c.name);
  return names.includes('p2p-circuit') && names.includes('webrtc');
}

/** True when a connection at `remoteAddress` runs through a relay: relayed, and not WebRTC (whose bytes go straight). */
export function isRelayedConnection(remoteAddress: Multiaddr): boolean {
  return isRelayedAddress(remoteAddress) && !isWebrtcThroughRelay(remoteAddress);
}

/** The relay's peer id in a relayed address (the /p2p/ before /p2p-circuit), if it is one. */
export function relayOf(address: Multiaddr): string | undefined {
  const components = address.getComponents();
  const circuit = components.findIndex((c) => c.name === 'p2p-circuit');
  const relay = circuit > 0 ? components[circuit - 1] : undefined;
  return relay?.name === 'p2p' ? relay.value : undefined;
}
