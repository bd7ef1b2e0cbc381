/**
 * The STUN responder a relay runs (Node only: node:dgram), so that the
 * peers holding a slot on it learn the public address and port their UDP
 * sockets are seen from without asking anyone else: WebRTC's ICE offers
 * that address to the other side (a server-reflexive candidate), and two
 * peers behind NATs that keep one external port per socket
 * (endpoint-independent mapping) then reach each other straight over UDP
 * (./webrtc-upgrade.ts). Without it @libp2p/webrtc asks public STUN
 * servers of Google, Twilio, Cloudflare and Mozilla.
 *
 * It answers on UDP at the port number of each of the relay's TCP listen
 * addresses (plain and WebSocket), on each of their IP addresses (a
 * wildcard listen address counts as each interface's), so
 * a peer finds it from the relayed address it holds:
 * `/ip4/H/tcp/P/p2p/<relay>/p2p-circuit` → `stun:H:P` (./ice-servers.ts).
 * New addresses (an interface that came up) are bound when the node's
 * addresses change. A port another program holds is skipped and logged.
 *
 * What it answers is ./stun-binding.ts: only well-formed Binding requests,
 * 32 or 44 bytes back to the sender's own address. At most
 * STUN_MAX_ANSWERS_PER_SECOND answers leave a relay per second, all
 * senders together, so a forged source address gets a victim at most that
 * many small datagrams; a request beyond the bound gets none.
 */
import { createSocket, type Socket } from 'node:dgram';
import type { ComponentLogger, Logger, Startable, TypedEventTarget, Libp2pEvents } from '@libp2p/interface';
import type { TransportManager } from '@libp2p/interface-internal';
import type { Multiaddr } from '@multiformats/multiaddr';
import { bindingResponse } from './stun-binding.ts';
import { isRelayedAddress } from './relayed-addresses.ts';

/** The bounds of {@link stunResponder}. */
export interface StunResponderInit {
  /** Answers per second, all senders together (STUN_MAX_ANSWERS_PER_SECOND); also the burst. */
  readonly answersPerSecond: number;
  /** Milliseconds on a monotonic clock (default: performance.now). */
  readonly now?: () => number;
}

/** The libp2p components the responder uses. */
export interface StunResponderComponents {
  readonly transportManager: TransportManager;
  readonly events: TypedEventTarget<Libp2pEvents>;
  readonly logger: ComponentLogger;
}

/** What a running responder tells (for `sotto status` and tests). */
export interface StunResponder {
  /** `host:port` (IPv6 in brackets) of every UDP socket it answers on. */
  endpoints(): string[];
}

/** An IP address and port a STUN socket answers on. */
interface Endpoint {
  readonly host: string;
  readonly family: 'IPv4' | 'IPv6';
  readonly port: number;
}

const endpointKey = (e: Endpoint): string => (e.family === 'IPv6' ? `[${e.host}]:${e.port}` : `${e.host}:${e.port}`);

/** Where to answer for one listen address: its IP and TCP port (relayed and non-IP addresses have none). */
function endpointOf(address: Multiaddr): Endpoint[] {
  if (isRelayedAddress(address)) return [];
  const [host, port] = address.getComponents();
  if ((host?.name !== 'ip4' && host?.name !== 'ip6') || port?.name !== 'tcp') return [];
  const ip = host.value!;
  if (ip === '0.0.0.0' || ip === '::') return [];
  return [{ host: ip, family: host.name === 'ip4' ? 'IPv4' : 'IPv6', port: Number(port.value) }];
}

class StunResponderService implements StunResponder, Startable {
  private readonly log: Logger;
  private readonly sockets = new Map<string, Socket>();
  /** Endpoints that could not be bound (another program holds the port), not tried again. */
  private readonly unavailable = new Set<string>();
  private readonly now: () => number;
  private tokens: number;
  private refilledAt: number;
  private started = false;

  constructor(
    private readonly components: StunResponderComponents,
    private readonly init: StunResponderInit,
  ) {
    this.log = components.logger.forComponent('sotto:node:stun');
    this.now = init.now ?? (() => performance.now());
    this.tokens = init.answersPerSecond;
    this.refilledAt = this.now();
  }

  readonly [Symbol.toStringTag] = 'sotto/stun-responder';

  isStarted(): boolean {
    return this.started;
  }

  start(): void {
    this.started = true;
    this.components.events.addEventListener('transport:listening', this.bindAll);
    this.components.events.addEventListener('self:peer:update', this.bindAll);
  }

  afterStart(): void {
    this.bindAll();
  }

  async stop(): Promise<void> {
    this.started = false;
    this.components.events.removeEventListener('transport:listening', this.bindAll);
    this.components.events.removeEventListener('self:peer:update', this.bindAll);
    const sockets = [...this.sockets.values()];
    this.sockets.clear();
    await Promise.all(sockets.map((socket) => new Promise<void>((resolve) => socket.close(() => resolve()))));
  }

  endpoints(): string[] {
    return [...this.sockets.keys()];
  }

  private readonly bindAll = (): void => {
    if (!this.started) return;
    for (const address of this.components.transportManager.getAddrs()) {
      for (const endpoint of endpointOf(address)) {
        const key = endpointKey(endpoint);
        if (!this.sockets.has(key) && !this.unavailable.has(key)) this.bind(key, endpoint);
      }
    }
  };

  private bind(key: string, endpoint: Endpoint): void {
    const socket = createSocket(endpoint.family === 'IPv4' ? { type: 'udp4' } : { type: 'udp6', ipv6Only: true });
    this.sockets.set(key, socket);
    socket.on('message', (datagram, from) => this.answer(socket, datagram, from));
    socket.once('error', (err) => {
      // Binding failed (another program holds the port): skip this endpoint from now on.
      this.log('no STUN responder on %s - %e', key, err);
      this.sockets.delete(key);
      this.unavailable.add(key);
      socket.close();
    });
    socket.bind(endpoint.port, endpoint.host, () => {
      socket.removeAllListeners('error');
      // A send to a peer that went away reports ICMP errors here; nothing to do about them.
      socket.on('error', (err) => this.log('STUN socket %s - %e', key, err));
      this.log('answering STUN on %s', key);
    });
  }

  private answer(socket: Socket, datagram: Uint8Array, from: { address: string; family: string; port: number }): void {
    const answer = bindingResponse(datagram, { address: from.address, family: from.family === 'IPv6' ? 'IPv6' : 'IPv4', port: from.port });
    if ('refused' in answer || !this.take()) return;
    socket.send(answer.response, from.port, from.address);
  }

  /** Takes one answer from the per-second budget (a token bucket refilled continuously). */
  private take(): boolean {
    const now = this.now();
    this.tokens = Math.min(this.init.answersPerSecond, this.tokens + ((now - this.refilledAt) * this.init.answersPerSecond) / 1000);
    this.refilledAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/**
 * The libp2p service that answers STUN Binding requests on a relay (see the
 * module comment). Never throws; a port it cannot bind is logged to
 * `sotto:node:stun` and skipped.
 */
export function stunResponder(init: StunResponderInit): (components: StunResponderComponents) => StunResponder {
  return (components) => new StunResponderService(components, init);
}
