/**
 * The STUN servers a node's WebRTC asks: the responders of the relays it
 * holds a slot on (./stun-responder.ts), and no one else. A relay answers
 * STUN on UDP at the port number of its TCP listen address, so the
 * node's own relayed addresses name them:
 * `/ip4/H/tcp/P[/ws]/p2p/<relay>/p2p-circuit[/webrtc]` → `stun:H:P`.
 * Loopback relays are left out (ICE gathers no loopback candidates), as are
 * relays named by DNS (a lookup would tell a resolver). With no relay the
 * list is empty: ICE then offers only the host's own addresses, which is
 * what two peers on one LAN or with public addresses need.
 *
 * @libp2p/webrtc asks four public STUN servers (Google, Twilio, Cloudflare,
 * Mozilla) when it is given no list; Sotto always gives one, empty or not.
 */
import type { Multiaddr } from '@multiformats/multiaddr';
import { ICE_MAX_STUN_SERVERS } from '../constants.ts';
import { relayOf } from './relayed-addresses.ts';

/** One entry of RTCConfiguration.iceServers. */
export interface IceServer {
  readonly urls: string[];
}

/** `stun:` URLs of the relays among `addresses` (a node's own multiaddrs), at most ICE_MAX_STUN_SERVERS. */
export function relayStunUrls(addresses: readonly Multiaddr[]): string[] {
  const urls = new Set<string>();
  for (const address of addresses) {
    if (relayOf(address) === undefined) continue;
    const [host, port] = address.getComponents();
    if (port?.name !== 'tcp') continue;
    if (host?.name === 'ip4' && !host.value!.startsWith('127.')) urls.add(`stun:${host.value!}:${port.value!}`);
    if (host?.name === 'ip6' && host.value !== '::1') urls.add(`stun:[${host.value!}]:${port.value!}`);
  }
  return [...urls].slice(0, ICE_MAX_STUN_SERVERS);
}

/** RTCConfiguration.iceServers for `urls`: one entry each, none when empty (never the library's public default). */
export function iceServersOf(urls: readonly string[]): IceServer[] {
  return urls.map((url) => ({ urls: [url] }));
}

/** True when `url` is a `stun:` URL for an IP address (no DNS name), as pages accept them from their node's /config.json. */
export function isStunUrlForIp(url: string): boolean {
  return /^stun:(\d{1,3}(\.\d{1,3}){3}|\[[0-9a-fA-F:]+\]):\d{1,5}$/.test(url);
}
