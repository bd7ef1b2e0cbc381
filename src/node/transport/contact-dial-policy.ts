/**
 * Which of a contact's invite addresses this node may dial. An invite is
 * signed by the contact, but anyone can make one: its addresses must not
 * turn the node into a tool for reaching places its owner did not mean to
 * (a service on this machine's loopback, a printer on the LAN) or into a
 * port scanner. docs/PROTOCOL.md §23 states the rule; in short, an address
 * is dialled only when
 *
 * 1. it has the shape of an address Sotto listens on: `/ip4|ip6/A/tcp/P`,
 *    optionally `/ws`, `/wss` or `/tls/ws`, optionally relayed
 *    (`/p2p/RELAY/p2p-circuit`, optionally `/webrtc`), optionally ending in
 *    `/p2p/<the contact's own peer id>` — no DNS name (it cannot be
 *    checked before it is resolved, and may resolve elsewhere when dialled),
 *    no other transport, no port 0;
 * 2. its host (the relay's, for a relayed address) fits this node's own
 *    networks: a public address; a private one (LAN, link-local, CGNAT,
 *    ULA…) only inside a subnet of one of this node's interfaces or around
 *    one of its own addresses; loopback only when one of this node's own
 *    addresses is a loopback one; never an unspecified, multicast,
 *    broadcast or IPv4-mapped IPv6 address;
 * 3. its host has not already used up MAX_CONTACT_DIAL_PORTS_PER_HOST
 *    distinct ports among the contact's earlier addresses (invite order).
 *
 * Pure: the node's networks are arguments, so it runs in browsers too.
 */
import { isPrivateIp } from '@libp2p/utils';
import { multiaddr, type Component, type Multiaddr } from '@multiformats/multiaddr';
import { MAX_CONTACT_DIAL_PORTS_PER_HOST, OWN_SUBNET_PREFIX_IPV4, OWN_SUBNET_PREFIX_IPV6 } from '../constants.ts';
import { peerIdFromText } from '../encoding/peer-id.ts';

/** Why an address is not dialled. */
export type DialRefusal =
  /** not a multiaddr */
  | 'malformed'
  /** not a shape Sotto listens on (another transport, a DNS name, port 0, …) */
  | 'transport'
  /** the final /p2p/ is not the contact, or the relay's id is unusable */
  | 'peer-id'
  /** unspecified, multicast, broadcast or IPv4-mapped */
  | 'host'
  /** loopback, and this node has no loopback address of its own */
  | 'loopback'
  /** private, and outside every subnet of this node */
  | 'private'
  /** one more port on a host that already has MAX_CONTACT_DIAL_PORTS_PER_HOST */
  | 'ports';

/** This node's networks, as the policy sees them. */
export interface LocalNetworks {
  /** This node's own addresses (multiaddrs; relayed ones name their relay's host first). */
  readonly ownAddresses: readonly string[];
  /** Subnets of this node's network interfaces in CIDR form (`192.168.1.20/24`, `fe80::1/64`); loopback ones are ignored. */
  readonly subnets: readonly string[];
}

/** The outcome of {@link contactDialAddresses}. */
export interface ContactDialAddresses {
  /** The addresses to hand to libp2p, in invite order. */
  readonly kept: string[];
  /** The others, each with its reason. */
  readonly refused: { readonly address: string; readonly reason: DialRefusal }[];
}

interface Subnet {
  readonly bytes: Uint8Array;
  readonly prefix: number;
}

const WEBSOCKET_TAILS = [[], ['ws'], ['wss'], ['tls', 'ws']];
const MAX_PORT = 65_535;

/** The raw bytes of an IPv4 or IPv6 address in text, or undefined (multiaddr's parser: its binary form is the code byte, then the address). */
function ipBytes(family: 'ip4' | 'ip6', text: string): Uint8Array | undefined {
  try {
    return multiaddr(`/${family}/${text}`).bytes.subarray(1);
  } catch {
    return undefined;
  }
}

function inSubnet(ip: Uint8Array, subnet: Subnet): boolean {
  if (ip.length !== subnet.bytes.length) return false;
  for (let bit = 0; bit < subnet.prefix; bit += 8) {
    const mask = (0xff << (8 - Math.min(8, subnet.prefix - bit))) & 0xff;
    if ((ip[bit / 8]! & mask) !== (subnet.bytes[bit / 8]! & mask)) return false;
  }
  return true;
}

function parseCidr(cidr: string): Subnet | undefined {
  const [address, prefixText] = cidr.split('/');
  const bytes = address === undefined ? undefined : ipBytes(address.includes(':') ? 'ip6' : 'ip4', address);
  const prefix = Number(prefixText);
  if (bytes === undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > bytes.length * 8) return undefined;
  return { bytes, prefix };
}

function isLoopback(ip: Uint8Array): boolean {
  return ip.length === 4 ? ip[0] === 127 : ip.every((b, i) => b === (i === 15 ? 1 : 0));
}

/** Unspecified, multicast, broadcast, IPv4-mapped IPv6: nothing to dial a contact at. */
function isUnusable(ip: Uint8Array): boolean {
  if (ip.length === 4) return ip[0] === 0 || (ip[0]! >= 224 && ip[0]! <= 239) || ip.every((b) => b === 255);
  const mapped = ip.subarray(0, 10).every((b) => b === 0) && ip[10] === 0xff && ip[11] === 0xff;
  return ip.every((b) => b === 0) || ip[0] === 0xff || mapped;
}

/** The host (first component) of one of this node's addresses, or undefined. */
function ownHost(address: string): { family: 'ip4' | 'ip6'; bytes: Uint8Array } | undefined {
  try {
    const first = multiaddr(address).getComponents()[0];
    if (first?.name !== 'ip4' && first?.name !== 'ip6') return undefined;
    const bytes = ipBytes(first.name, first.value!);
    return bytes === undefined ? undefined : { family: first.name, bytes };
  } catch {
    return undefined;
  }
}

/** The subnets private addresses are dialled in, and whether loopback is. */
function localView(local: LocalNetworks): { subnets: Subnet[]; loopback: boolean } {
  const subnets = local.subnets.map(parseCidr).filter((s): s is Subnet => s !== undefined && !isLoopback(s.bytes));
  let loopback = false;
  for (const address of local.ownAddresses) {
    const host = ownHost(address);
    if (host === undefined) continue;
    if (isLoopback(host.bytes)) loopback = true;
    else if (!isUnusable(host.bytes) && !subnets.some((s) => inSubnet(host.bytes, s))) {
      subnets.push({ bytes: host.bytes, prefix: host.family === 'ip4' ? OWN_SUBNET_PREFIX_IPV4 : OWN_SUBNET_PREFIX_IPV6 });
    }
  }
  return { subnets, loopback };
}

function sameNames(components: readonly Component[], names: readonly string[]): boolean {
  return components.length === names.length && components.every((c, i) => c.name === names[i]);
}

/**
 * Checks the shape of one address and the peer ids in it; returns the host
 * and port to dial, or the refusal.
 */
function shapeOf(address: string, contact: string): { host: Component; port: number } | DialRefusal {
  let components: Component[];
  try {
    components = multiaddr(address).getComponents();
  } catch {
    return 'malformed';
  }
  if (components.at(-1)?.name === 'p2p') {
    if (components.at(-1)!.value !== contact) return 'peer-id';
    components = components.slice(0, -1);
  }
  const [host, tcp, ...rest] = components;
  if ((host?.name !== 'ip4' && host?.name !== 'ip6') || tcp?.name !== 'tcp') return 'transport';
  const port = Number(tcp.value);
  if (!Number.isInteger(port) || port < 1 || port > MAX_PORT) return 'transport';
  const circuit = rest.findIndex((c) => c.name === 'p2p-circuit');
  const direct = circuit === -1 ? rest : rest.slice(0, circuit - 1);
  if (!WEBSOCKET_TAILS.some((tail) => sameNames(direct, tail))) return 'transport';
  if (circuit !== -1) {
    const relay = rest[circuit - 1];
    if (relay?.name !== 'p2p' || !sameNames(rest.slice(circuit), rest.length - circuit === 1 ? ['p2p-circuit'] : ['p2p-circuit', 'webrtc'])) return 'transport';
    try {
      if (peerIdFromText(relay.value!).toString() === contact) return 'peer-id';
    } catch {
      return 'peer-id';
    }
  }
  return { host, port };
}

/**
 * Splits a contact's invite addresses into those this node may dial and
 * those it refuses (with the reason), under the rule above. `contact` is the
 * contact's peer id; `local` this node's networks now.
 */
export function contactDialAddresses(contact: string, addresses: readonly string[], local: LocalNetworks): ContactDialAddresses {
  const view = localView(local);
  const portsByHost = new Map<string, Set<number>>();
  const kept: string[] = [];
  const refused: { address: string; reason: DialRefusal }[] = [];
  for (const address of addresses) {
    const shape = shapeOf(address, contact);
    const reason = typeof shape === 'string' ? shape : hostRefusal(shape.host, view);
    if (reason !== undefined) {
      refused.push({ address, reason });
      continue;
    }
    const { host, port } = shape as { host: Component; port: number };
    const key = `${host.name}/${host.value}`;
    const ports = portsByHost.get(key) ?? new Set<number>();
    if (!ports.has(port) && ports.size >= MAX_CONTACT_DIAL_PORTS_PER_HOST) {
      refused.push({ address, reason: 'ports' });
      continue;
    }
    ports.add(port);
    portsByHost.set(key, ports);
    kept.push(address);
  }
  return { kept, refused };
}

function hostRefusal(host: Component, view: { subnets: Subnet[]; loopback: boolean }): DialRefusal | undefined {
  const bytes = ipBytes(host.name as 'ip4' | 'ip6', host.value!);
  if (bytes === undefined) return 'malformed';
  if (isUnusable(bytes)) return 'host';
  if (isLoopback(bytes)) return view.loopback ? undefined : 'loopback';
  if (isPrivateIp(host.value!) !== true) return undefined;
  return view.subnets.some((s) => inSubnet(bytes, s)) ? undefined : 'private';
}

/**
 * A judge of addresses against this node's networks as they are now (taken
 * once, when it is made): true for a direct address whose host is private
 * and outside every subnet of this node, another site's LAN address that
 * identify or the DHT reported for a peer. Such an address is seldom
 * reachable and a dial to it can hang until the dial timeout (a router that
 * sends no ICMP error, or rate-limits them), so the dial order tries it
 * last (./address-order.ts).
 */
export function farPrivateAddresses(local: LocalNetworks): (address: Multiaddr) => boolean {
  const view = localView(local);
  return (address) => {
    const host = address.getComponents()[0];
    if ((host?.name !== 'ip4' && host?.name !== 'ip6') || address.getComponents().some((c) => c.name === 'p2p-circuit')) return false;
    return hostRefusal(host, view) === 'private';
  };
}
