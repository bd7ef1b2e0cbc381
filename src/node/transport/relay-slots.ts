/**
 * Relay slots of this node's own: a node that nobody on the internet can
 * dial (behind a NAT, no port mapping) holds a circuit relay v2 slot on up
 * to RELAY_SLOTS_WANTED relays, so that it is reachable at
 * `<relay>/p2p-circuit/p2p/<id>` and those addresses go into its peer
 * record, its invites and the DHT.
 *
 * Where relays come from: the peers this node is connected to whose
 * identify lists the relay's hop protocol (bootstrap peers, peers it
 * remembered, peers the DHT brought), and then peers its peer store knows
 * to be relays, which it dials RELAY_SEARCH_DIALS at a time. No random walk:
 * libp2p's relay discovery (listening on a bare `/p2p-circuit`) walks the
 * DHT and, on an empty routing table, spins without yielding (see
 * docs/ARCHITECTURE.md).
 *
 * "Reachable" is what AutoNAT concluded: the node has a verified address
 * that is public (not private, not loopback, not relayed). libp2p only
 * verifies a public address once a peer has dialled it back, so a node
 * with a public address may take a slot in its first seconds.
 *
 * A slot is taken by listening on `<relay address>/p2p-circuit` through the
 * circuit relay transport, which makes the reservation, renews it before it
 * ends and withdraws the address when the relay connection closes. This
 * service keeps one listener per relay and asks it again when the relay
 * comes back, rather than a new listener each time.
 */
import { RELAY_V2_HOP_CODEC } from '@libp2p/circuit-relay-v2';
import type { ComponentLogger, IdentifyResult, Libp2pEvents, Listener, Logger, PeerId, PeerStore, Startable, TypedEventTarget } from '@libp2p/interface';
import type { AddressManager, ConnectionManager, TransportManager } from '@libp2p/interface-internal';
import { isPrivateIp } from '@libp2p/utils';
import { CODE_P2P, multiaddr, type Multiaddr } from '@multiformats/multiaddr';

/** The bounds of {@link relaySlots}. */
export interface RelaySlotsInit {
  /** Relays to hold a slot on at once (RELAY_SLOTS_WANTED). */
  readonly wanted: number;
  /** How long a relay that failed is left alone, in ms (RELAY_RETRY_DELAY_MS). */
  readonly retryDelayMs: number;
  /** How often to look for relays while short of slots, in ms (RELAY_SEARCH_INTERVAL_MS). */
  readonly searchIntervalMs: number;
  /** Known relays dialled at once while looking (RELAY_SEARCH_DIALS). */
  readonly searchDials: number;
}

/** The libp2p components the service uses. */
export interface RelaySlotsComponents {
  readonly peerId: PeerId;
  readonly transportManager: TransportManager;
  readonly addressManager: AddressManager;
  readonly connectionManager: ConnectionManager;
  readonly peerStore: PeerStore;
  readonly events: TypedEventTarget<Libp2pEvents>;
  readonly logger: ComponentLogger;
}

/** What the node (and `sotto status`) can ask the service. */
export interface RelaySlots {
  /** Peer ids of the relays this node holds a slot on now. */
  relays(): string[];
  /** True when AutoNAT verified a public address of this node: it needs no slot. */
  reachable(): boolean;
}

/**
 * True when one of `addresses` (verified addresses of a node) is a public
 * IP address that is not relayed: peers on the internet can dial it.
 */
export function hasPublicAddress(addresses: readonly Multiaddr[]): boolean {
  return addresses.some((address) => {
    const components = address.getComponents();
    const host = components[0];
    if (host?.name !== 'ip4' && host?.name !== 'ip6') return false;
    if (components.some((c) => c.name === 'p2p-circuit')) return false;
    return isPrivateIp(host.value!) === false;
  });
}

/** The relay's peer id in a relayed address (the /p2p/ before /p2p-circuit), if it is one. */
export function relayOf(address: Multiaddr): string | undefined {
  const components = address.getComponents();
  const circuit = components.findIndex((c) => c.name === 'p2p-circuit');
  const relay = circuit > 0 ? components[circuit - 1] : undefined;
  return relay?.name === 'p2p' ? relay.value : undefined;
}

class RelaySlotsService implements RelaySlots, Startable {
  private readonly log: Logger;
  /** The listener made for each relay, kept to ask again when the relay returns. */
  private readonly listeners = new Map<string, Listener>();
  /** Relays left alone for a while, with the timer that forgives them. */
  private readonly resting = new Map<string, ReturnType<typeof setTimeout>>();
  private searchTimer: ReturnType<typeof setInterval> | undefined;
  private filling: Promise<void> | undefined;
  private fillAgain = false;
  private started = false;

  constructor(
    private readonly components: RelaySlotsComponents,
    private readonly init: RelaySlotsInit,
  ) {
    this.log = components.logger.forComponent('sotto:node:relay-slots');
  }

  readonly [Symbol.toStringTag] = 'sotto/relay-slots';

  isStarted(): boolean {
    return this.started;
  }

  start(): void {
    this.started = true;
    this.components.events.addEventListener('peer:identify', this.onIdentify);
    this.components.events.addEventListener('connection:close', this.onChange);
    this.components.events.addEventListener('self:peer:update', this.onChange);
    this.searchTimer = setInterval(() => void this.search(), this.init.searchIntervalMs);
    (this.searchTimer as { unref?: () => void }).unref?.();
  }

  stop(): void {
    this.started = false;
    this.components.events.removeEventListener('peer:identify', this.onIdentify);
    this.components.events.removeEventListener('connection:close', this.onChange);
    this.components.events.removeEventListener('self:peer:update', this.onChange);
    clearInterval(this.searchTimer);
    for (const timer of this.resting.values()) clearTimeout(timer);
    this.resting.clear();
  }

  reachable(): boolean {
    return hasPublicAddress(this.components.addressManager.getAddresses());
  }

  relays(): string[] {
    const held = new Set<string>();
    for (const address of this.components.transportManager.getAddrs()) {
      const relay = relayOf(address);
      if (relay !== undefined) held.add(relay);
    }
    return [...held];
  }

  private readonly onIdentify = (event: CustomEvent<IdentifyResult>): void => {
    if (event.detail.protocols.includes(RELAY_V2_HOP_CODEC)) this.fill();
  };

  private readonly onChange = (): void => {
    this.fill();
  };

  private wantsMore(): boolean {
    return this.started && !this.reachable() && this.relays().length < this.init.wanted;
  }

  /** Takes slots on connected relays until enough are held (one pass at a time). */
  private fill(): void {
    if (!this.wantsMore()) return;
    if (this.filling !== undefined) {
      this.fillAgain = true;
      return;
    }
    this.filling = this.fillOnce()
      .catch((err: unknown) => this.log.error('could not take a relay slot - %e', err))
      .finally(() => {
        this.filling = undefined;
        if (this.fillAgain) {
          this.fillAgain = false;
          this.fill();
        }
      });
  }

  private async fillOnce(): Promise<void> {
    for (const connection of this.components.connectionManager.getConnections()) {
      if (!this.wantsMore()) return;
      const relay = connection.remotePeer.toString();
      // An inbound connection's address is the relay's outgoing port: nothing to give out.
      if (connection.limits !== undefined || connection.direction !== 'outbound' || connection.status !== 'open') continue;
      if (this.resting.has(relay) || this.relays().includes(relay)) continue;
      const protocols = await this.components.peerStore.get(connection.remotePeer).then((p) => p.protocols, (): string[] => []);
      if (!protocols.includes(RELAY_V2_HOP_CODEC)) continue;
      await this.reserve(relay, connection.remoteAddr);
    }
  }

  /** Listens on `<address>/p2p-circuit` of `relay`, reusing its listener; a failure rests the relay. */
  private async reserve(relay: string, address: Multiaddr): Promise<void> {
    const relayAddress = multiaddr(`${address.decapsulateCode(CODE_P2P).toString()}/p2p/${relay}/p2p-circuit`);
    const known = this.listeners.get(relay);
    try {
      if (known !== undefined) {
        await known.listen(relayAddress);
      } else {
        const before = new Set(this.components.transportManager.getListeners());
        const listening = this.components.transportManager.listen([relayAddress]);
        const made = this.components.transportManager.getListeners().find((l) => !before.has(l));
        if (made !== undefined) this.listeners.set(relay, made);
        await listening;
      }
    } catch (err) {
      this.log('relay %s refused a slot or could not be reached - %e', relay, err);
    }
    if (this.relays().includes(relay)) {
      this.log('holding a slot on relay %s', relay);
      return;
    }
    this.rest(relay);
  }

  private rest(relay: string): void {
    if (this.resting.has(relay)) return;
    const timer = setTimeout(() => this.resting.delete(relay), this.init.retryDelayMs);
    (timer as { unref?: () => void }).unref?.();
    this.resting.set(relay, timer);
  }

  /** Short of slots: dial a few peers the peer store knows to be relays (identify then calls fill). */
  private async search(): Promise<void> {
    if (!this.wantsMore()) return;
    this.fill();
    const connected = new Set(this.components.connectionManager.getConnections().map((c) => c.remotePeer.toString()));
    const self = this.components.peerId.toString();
    const known = await this.components.peerStore.all({
      filters: [(peer) => peer.protocols.includes(RELAY_V2_HOP_CODEC)],
    });
    const toDial = known.filter((peer) => {
      const id = peer.id.toString();
      return id !== self && !connected.has(id) && !this.resting.has(id);
    }).slice(0, this.init.searchDials);
    await Promise.all(toDial.map(async (peer) => {
      try {
        await this.components.connectionManager.openConnection(peer.id);
      } catch (err) {
        this.log('known relay %p could not be reached - %e', peer.id, err);
        this.rest(peer.id.toString());
      }
    }));
  }
}

/**
 * The libp2p service that keeps this node's relay slots (see the module
 * comment). Never throws; failures are logged to `sotto:node:relay-slots`.
 */
export function relaySlots(init: RelaySlotsInit): (components: RelaySlotsComponents) => RelaySlots {
  return (components) => new RelaySlotsService(components, init);
}
