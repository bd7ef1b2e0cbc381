/**
 * The relay slots a node holds: circuit relay v2 reservations that make it
 * reachable at `<relay>/p2p-circuit/p2p/<id>` (and by WebRTC through the
 * relay, `…/p2p-circuit/webrtc/p2p/<id>`, when it runs WebRTC). One service
 * keeps them for two reasons:
 *
 * - **Kept relays**: the `relays` a node is given, those it is told about
 *   at run time (`reserve`, a page whose node moved), and, when asked, the
 *   bootstrap peers that turn out to relay: a slot there whenever the node
 *   is connected to them, reachable or not, so that the pages a relay
 *   serves reach this node by WebRTC through it. libp2p keeps a
 *   reservation only while the connection it was made on is open and
 *   never makes it again by itself; here it is made again at each new
 *   connection (a relay that restarted, perhaps on another port).
 * - **Slots of its own**: a node that nobody on the internet can dial
 *   (behind a NAT, no port mapping; AutoNAT decides) holds slots on up to
 *   `wanted` relays, kept ones included, so that contacts reach it through
 *   them and those addresses go into its peer record, its invites and the
 *   DHT. Relays come from the peers it is connected to whose identify lists
 *   the hop protocol (bootstrap peers, remembered peers, peers the DHT
 *   brought), then from peers its peer store knows to be relays, which it
 *   dials `searchDials` at a time. No random walk: libp2p's relay discovery
 *   (listening on a bare `/p2p-circuit`) walks the DHT and, on an empty
 *   routing table, spins without yielding (see docs/ARCHITECTURE.md).
 *
 * "Reachable" is what AutoNAT concluded: the node has a verified address
 * that is public (not private, not loopback, not relayed). libp2p only
 * verifies a public address once a peer has dialled it back, so a node
 * with a public address may take a slot in its first seconds.
 *
 * A slot is taken by listening on `<relay address>/p2p-circuit` through the
 * circuit relay transport, which makes the reservation, renews it before it
 * ends and withdraws the address when the relay connection closes. The
 * service keeps one listener per relay and asks it again when the relay
 * comes back, rather than a new listener each time (a listener cannot be
 * closed alone: closing one cancels every reservation of the transport).
 * Only direct connections name a relay: a relayed or WebRTC connection's
 * address is no address to reserve at (one built from a WebRTC connection
 * made the transport dial the relay through itself).
 */
import { RELAY_V2_HOP_CODEC } from '@libp2p/circuit-relay-v2';
import type { Connection, ComponentLogger, IdentifyResult, Libp2pEvents, Listener, Logger, PeerId, PeerStore, Startable, TypedEventTarget } from '@libp2p/interface';
import type { AddressManager, ConnectionManager, TransportManager } from '@libp2p/interface-internal';
import { isPrivateIp } from '@libp2p/utils';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import { SottoError } from '../../crypto/errors.ts';
import { isRelayedAddress, relayOf } from './relayed-addresses.ts';

/** A relay took no reservation from this node (it refused, or could not be reached). */
export class RelayReservationError extends SottoError {
  override readonly name = 'RelayReservationError';
  constructor(readonly relay: string, options?: { cause?: unknown }) {
    super(`no slot on relay ${relay}`, options);
  }
}

/** The bounds and relays of {@link relaySlots}. */
export interface RelaySlotsInit {
  /** Relays to hold a slot on at once while the node is not reachable (RELAY_SLOTS_WANTED); 0: never look for any. */
  readonly wanted: number;
  /** How long a relay that failed is left alone, in ms (RELAY_RETRY_DELAY_MS). */
  readonly retryDelayMs: number;
  /** How often to look for relays while short of slots, in ms (RELAY_SEARCH_INTERVAL_MS). */
  readonly searchIntervalMs: number;
  /** Known relays dialled at once while looking (RELAY_SEARCH_DIALS). */
  readonly searchDials: number;
  /** Requests for one slot before giving up until the next connection (RELAY_RESERVE_ATTEMPTS). */
  readonly reserveAttempts: number;
  /** Peer ids of relays to hold a slot on whenever connected to them (the node's `relays`). */
  readonly keep?: readonly string[];
  /** Also keep a slot on such a peer when it turns out to be a relay (bootstrap peers of a node that runs WebRTC). */
  readonly keepIf?: (peerId: string) => boolean;
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
  /** True when AutoNAT verified a public address of this node: it needs no slot of its own. */
  reachable(): boolean;
  /**
   * Adds the relay at `address` (with /p2p/<relay id>) to the kept ones and,
   * when the node holds no slot on it, reserves one (dialling it if
   * needed). Resolves at once when a slot is held already. Rejects with
   * RelayReservationError when the relay cannot be reached or refuses,
   * RangeError for an address without a relay id or with this node's own.
   */
  reserve(address: Multiaddr): Promise<void>;
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
    if (isRelayedAddress(address)) return false;
    return isPrivateIp(host.value!) === false;
  });
}

/** `<address without any /p2p/>/p2p/<relay>/p2p-circuit`: where to listen through `relay`. */
function circuitThrough(address: Multiaddr, relay: string): Multiaddr {
  return multiaddr(address.getComponents().filter((c) => c.name !== 'p2p')).encapsulate(`/p2p/${relay}/p2p-circuit`);
}

/** A connection whose address names a relay: open, dialled by this node, neither relayed nor WebRTC. */
function namesRelay(connection: Connection): boolean {
  if (connection.status !== 'open' || connection.direction !== 'outbound' || connection.limits !== undefined) return false;
  return !connection.remoteAddr.getComponents().some((c) => c.name === 'p2p-circuit' || c.name === 'webrtc');
}

class RelaySlotsService implements RelaySlots, Startable {
  private readonly log: Logger;
  private readonly kept: Set<string>;
  /** The listener made for each relay, kept to ask again when the relay returns. */
  private readonly listeners = new Map<string, Listener>();
  /** Reservations under way, by relay: a second request joins the first. */
  private readonly reserving = new Map<string, Promise<unknown>>();
  /** Kept relays that refused, not asked again before they next identify (a new connection). */
  private readonly refusedKept = new Set<string>();
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
    this.kept = new Set(init.keep ?? []);
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
    if (this.init.wanted > 0) {
      this.searchTimer = setInterval(() => void this.search(), this.init.searchIntervalMs);
      (this.searchTimer as { unref?: () => void }).unref?.();
    }
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

  async reserve(address: Multiaddr): Promise<void> {
    const relay = address.getComponents().findLast((c) => c.name === 'p2p')?.value;
    if (relay === undefined) throw new RangeError(`reserve: ${address.toString()} has no /p2p/<relay id>`);
    if (relay === this.components.peerId.toString()) throw new RangeError('reserve: a node cannot be its own relay');
    this.kept.add(relay);
    this.refusedKept.delete(relay);
    const failure = await this.reserveOn(relay, address);
    if (failure !== undefined) throw new RelayReservationError(relay, { cause: failure.cause });
  }

  private isKept(relay: string): boolean {
    return this.kept.has(relay) || this.init.keepIf?.(relay) === true;
  }

  private readonly onIdentify = (event: CustomEvent<IdentifyResult>): void => {
    this.refusedKept.delete(event.detail.peerId.toString());
    if (event.detail.protocols.includes(RELAY_V2_HOP_CODEC)) this.fill();
  };

  private readonly onChange = (): void => {
    this.fill();
  };

  private wantsMore(): boolean {
    return this.started && this.init.wanted > 0 && !this.reachable() && this.relays().length < this.init.wanted;
  }

  /** Takes slots on connected relays: every kept one, and others until enough are held (one pass at a time). */
  private fill(): void {
    if (!this.started) return;
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
      const relay = connection.remotePeer.toString();
      const kept = this.isKept(relay);
      if (!this.started || !namesRelay(connection) || this.relays().includes(relay)) continue;
      if (kept ? this.refusedKept.has(relay) : !this.wantsMore() || this.resting.has(relay)) continue;
      const protocols = await this.components.peerStore.get(connection.remotePeer).then((p) => p.protocols, (): string[] => []);
      if (!protocols.includes(RELAY_V2_HOP_CODEC)) continue;
      const failure = await this.reserveOn(relay, connection.remoteAddr);
      // A kept relay is asked again at its next connection; another is left alone for a while.
      if (failure !== undefined) {
        if (kept) this.refusedKept.add(relay);
        else this.rest(relay);
      }
    }
  }

  /** Listens through `relay` (reached at `address`) until it holds a slot there; the last failure when it does not. */
  private reserveOn(relay: string, address: Multiaddr): Promise<{ cause: unknown } | undefined> {
    if (this.relays().includes(relay)) return Promise.resolve(undefined);
    const running = this.reserving.get(relay) as Promise<{ cause: unknown } | undefined> | undefined;
    if (running !== undefined) return running;
    const attempt = this.listenThrough(relay, circuitThrough(address, relay)).finally(() => this.reserving.delete(relay));
    this.reserving.set(relay, attempt);
    return attempt;
  }

  private async listenThrough(relay: string, circuit: Multiaddr): Promise<{ cause: unknown } | undefined> {
    let cause: unknown;
    for (let attempt = 1; attempt <= this.init.reserveAttempts; attempt++) {
      try {
        const known = this.listeners.get(relay);
        if (known !== undefined) {
          await known.listen(circuit);
        } else {
          const before = new Set(this.components.transportManager.getListeners());
          const listening = this.components.transportManager.listen([circuit]);
          const made = this.components.transportManager.getListeners().find((l) => !before.has(l));
          if (made !== undefined) this.listeners.set(relay, made);
          await listening;
        }
      } catch (err) {
        cause = err;
      }
      if (this.relays().includes(relay)) {
        this.log('holding a slot on relay %s', relay);
        return undefined;
      }
      // libp2p's own relay discovery may have seen the same relay connect and asked for a slot
      // it does not want; a request for the same relay joins that one and shares its refusal.
      this.log('relay %s refused a slot or could not be reached (attempt %d) - %e', relay, attempt, cause);
    }
    return { cause };
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
 * comment). Never throws on its own; failures are logged to
 * `sotto:node:relay-slots`.
 */
export function relaySlots(init: RelaySlotsInit): (components: RelaySlotsComponents) => RelaySlots {
  return (components) => new RelaySlotsService(components, init);
}
