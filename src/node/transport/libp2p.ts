/**
 * Sotto's libp2p node: `createNode(config)` builds and starts one, with
 * - transports: TCP and WebSockets (listening as configured), WebRTC and
 *   circuit relay v2 (for browser peers: see `relays`; slots kept on relays
 *   by ./relay-slots.ts), WebRTC asking only its relays' STUN responders
 *   (./ice-servers.ts), never a public STUN server;
 * - Noise (@libp2p/noise, the only Noise implementation in the tree) and Yamux;
 * - an optional pnet swarm key (TCP and WebSockets only: @libp2p/webrtc skips
 *   connection protection, the key then only gates the relay hop);
 * - identify, ping, and the private Kademlia DHT on KAD_PROTOCOL, every node a
 *   DHT server by default, keeping LAN and loopback addresses, whose stored
 *   records never go back to an older one (./dht-records.ts);
 * - bootstrap peers from the configuration (none built in), mDNS on request,
 *   a bounded circuit-relay server on request (./relay-limits.ts);
 * - across NATs (Node only): AutoNAT, to learn whether peers can dial this
 *   node; relay slots of its own when they cannot (./relay-slots.ts); DCUtR
 *   over direct addresses only (./dcutr-direct-only.ts); a STUN responder on
 *   relays (./stun-responder.ts); UPnP port mapping on request;
 * - relayed connections turned into direct WebRTC ones where the NATs allow
 *   it (./webrtc-upgrade.ts), pages included;
 * - a WebSocket listener that refuses pages of other origins
 *   (./websocket-listener.ts).
 *
 * The node's key is the identity's Ed25519 key, so its peer id names the
 * identity (./peer-id.ts). Logs go to `sotto:node:libp2p` (off by default;
 * `DEBUG=sotto:node:*`); no key is ever logged.
 */
import { circuitRelayServer, circuitRelayTransport, type CircuitRelayService } from '@libp2p/circuit-relay-v2';
import { identify, type Identify } from '@libp2p/identify';
import { FaultTolerance, KEEP_ALIVE, type Connection, type PeerId, type PeerInfo, type Stream, type StreamHandlerOptions } from '@libp2p/interface';
import { kadDHT, passthroughMapper, type KadDHT, type Selectors, type Validators } from '@libp2p/kad-dht';
import { logger } from '@libp2p/logger';
import type { MulticastDNSComponents } from '@libp2p/mdns';
import { noise } from '@libp2p/noise';
import { ping, type Ping } from '@libp2p/ping';
import { preSharedKey } from '@libp2p/pnet';
import { tcp } from '@libp2p/tcp';
import { yamux } from '@libp2p/yamux';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import { sha256 } from '@noble/hashes/sha2.js';
import { createLibp2p, type Libp2p, type Libp2pOptions } from 'libp2p';
import { concatBytes, fromHex, toHex, utf8 } from '../../crypto/bytes.ts';
import { SottoError } from '../../crypto/errors.ts';
import type { IdentityKeyPair } from '../../crypto/identity.ts';
import {
  AUTONAT_TIMEOUT_MS,
  BOOTSTRAP_RETRY_INTERVAL_MS,
  CONNECT_TIMEOUT_MS,
  DCUTR_ATTEMPTS,
  DCUTR_TIMEOUT_MS,
  DIAL_BY_ID_ATTEMPTS,
  DIAL_BY_ID_TIMEOUT_MS,
  DIAL_RETRY_BASE_DELAY_MS,
  FIND_PEER_RETRY_BASE_DELAY_MS,
  FIND_PEER_RETRY_MAX_DELAY_MS,
  FIND_PEER_TIMEOUT_MS,
  INBOUND_CONNECTION_THRESHOLD,
  KAD_PROTOCOL,
  LOG_PREFIX,
  MAX_CONNECTIONS,
  MAX_INCOMING_PENDING_CONNECTIONS,
  MDNS_DIAL_BELOW_CONNECTIONS,
  LABEL_MDNS_PRIVATE_TAG,
  MAX_AUTONAT_INBOUND_STREAMS,
  MAX_DCUTR_INBOUND_STREAMS,
  MDNS_PRIVATE_TAG_BYTES,
  MDNS_SERVICE_TAG,
  RELAY_RESERVE_ATTEMPTS,
  RELAY_RETRY_DELAY_MS,
  RELAY_SEARCH_DIALS,
  RELAY_SEARCH_INTERVAL_MS,
  RELAY_SLOTS_WANTED,
  STUN_MAX_ANSWERS_PER_SECOND,
  USER_AGENT,
  WEBRTC_STREAM_OPEN_TIMEOUT_MS,
  WEBRTC_UPGRADE_RETRY_MS,
  WEBRTC_UPGRADE_FIRST_RETRY_MS,
  WEBRTC_UPGRADE_TIMEOUT_MS,
  YAMUX_MAX_STREAM_WINDOW_BYTES,
} from '../constants.ts';
import { DialFailedError, InvalidSwarmKeyError, PeerNotFoundError } from '../errors.ts';
import { libp2pKeyOfIdentity, peerIdFromText } from '../encoding/peer-id.ts';
import { DHT_DATASTORE_PREFIX, guardDhtRecords } from './dht-records.ts';
import { DEFAULT_RELAY_LIMITS, relayReservationGate, relayServerInit, type RelayLimits } from './relay-limits.ts';
import { relaySlots, type RelaySlots } from './relay-slots.ts';
import { autoNATWithDialBack } from './autonat-dial-back.ts';
import { dcutrDirectOnly } from './dcutr-direct-only.ts';
import { addressOrder } from './address-order.ts';
import { farPrivateAddresses } from './contact-dial-policy.ts';
import { pauseEmptyWalks } from './empty-walk-pause.ts';
import { iceServersOf, relayStunUrls } from './ice-servers.ts';
import { stunResponder, type StunResponder } from './stun-responder.ts';
import { openWebrtcConnection, streamOrAbort } from './webrtc-stream.ts';
import { webrtcUpgrade, type WebrtcUpgrade } from './webrtc-upgrade.ts';
import { sottoWebSockets } from './websocket-listener.ts';

const log = logger(`${LOG_PREFIX}:libp2p`);

/** What {@link createNode} needs. Addresses are multiaddr strings. */
export interface NodeConfig {
  /** The device identity; its Ed25519 key becomes the libp2p key. */
  readonly identity: IdentityKeyPair;
  /**
   * Addresses to listen on, e.g. `/ip4/0.0.0.0/tcp/4001`, `/ip4/0.0.0.0/tcp/4002/ws`.
   * Empty: dial only. The bare `/p2p-circuit` is refused (RangeError): it
   * makes libp2p search the DHT for relays forever, and on an empty routing
   * table that search spins without yielding and start() never returns
   * (seen with libp2p 3.3.11). Use `relays` instead.
   */
  readonly listen: readonly string[];
  /**
   * Peers to join the network through, each with `/p2p/<peer id>`. The node
   * dials them at start, keeps them connected (they are tagged keep-alive)
   * and dials them again whenever it has no connection at all.
   */
  readonly bootstrap: readonly string[];
  /** Discover and dial Sotto peers on the local network by mDNS (multicast on every interface; Node only). Default false. */
  readonly mdns?: boolean;
  /**
   * Load the TCP transport. Default true; a browser node passes false (a
   * page cannot open TCP sockets: it dials WebSockets and WebRTC only).
   */
  readonly tcp?: boolean;
  /** Run a circuit-relay v2 server, so that browsers and peers behind NAT can be reached through this node. Default false. */
  readonly relay?: boolean;
  /** Bounds of that relay server (./relay-limits.ts). Default DEFAULT_RELAY_LIMITS. */
  readonly relayLimits?: RelayLimits;
  /**
   * Relay servers (each with `/p2p/<peer id>`) to reserve a slot on, so that
   * this node is reachable at `<relay>/p2p-circuit/p2p/<id>` and by WebRTC
   * (it then also listens on `/webrtc`). A relay that cannot be reached at
   * start is skipped, not fatal.
   */
  readonly relays?: readonly string[];
  /**
   * When no peer on the internet can dial this node (AutoNAT verified no
   * public address), hold a slot on up to RELAY_SLOTS_WANTED relays among
   * its peers (./relay-slots.ts), so that contacts reach it through them.
   * Needs TCP. Default false (the `sotto` command turns it on).
   */
  readonly relaySlots?: boolean;
  /**
   * Ask the home router by UPnP (and NAT-PMP) to forward the TCP listen
   * port, so that the node is directly reachable from the internet. Sends
   * SSDP multicast on the LAN and changes the router's configuration, so it
   * is asked for, never on by default. Needs TCP.
   */
  readonly upnp?: boolean;
  /**
   * Pre-shared key of a private network (libp2p pnet "/key/swarm/psk/1.0.0/"
   * text with a base16 32-byte key): peers without the same key cannot
   * connect over TCP or WebSockets. Throws InvalidSwarmKeyError if malformed.
   */
  readonly swarmKey?: Uint8Array;
  /**
   * Load the WebRTC transport and listen on `/webrtc`: this node dials
   * browser pages (which are reached only by WebRTC through their relay, or
   * by the relay alone) and, through any relay it holds a slot on, is
   * reached by them directly. The `/webrtc` addresses appear with the relay
   * slots. Default true; false keeps the transport out (a page whose browser
   * cannot gather ICE candidates). Measured here, an idle `sotto start`:
   * 135 MiB with it, 130 MiB without, and about 3.5 MiB more for each
   * WebRTC connection (docs/ARCHITECTURE.md). In Node, a process that used
   * it may never end by itself after the node stopped (node-datachannel
   * keeps native callbacks alive): end it explicitly, as `sotto` does
   * (src/app/cli/exit.ts).
   */
  readonly webrtc?: boolean;
  /**
   * With WebRTC: reserve a relay slot on each bootstrap peer that turns out
   * to be a relay (identify lists the circuit relay protocol), now and
   * whenever the node connects to it again, so that the pages that relay
   * serves reach this node by WebRTC (a page can open a WebSocket only to
   * the node that served it). Default true.
   */
  readonly reserveOnBootstrapRelays?: boolean;
  /**
   * The STUN servers (`stun:HOST:PORT` URLs) WebRTC asks for this node's
   * public address, read at each WebRTC connection. Default: the
   * responders of the relays this node holds a slot on (./ice-servers.ts).
   * Never a public server: @libp2p/webrtc's default list (Google, Twilio,
   * Cloudflare, Mozilla) is never used; an empty list means host
   * candidates only. A page passes its node's (./ice-servers.ts, WEB.md).
   */
  readonly stunServers?: () => readonly string[] | Promise<readonly string[]>;
  /**
   * Subnets of this machine's interfaces in CIDR form (./interface-subnets.ts
   * in Node), asked when the node orders a peer's addresses: a private
   * address outside them and outside the subnets around the node's own
   * addresses is dialled last. Default: the node's own addresses only.
   */
  readonly localSubnets?: () => readonly string[];
  /**
   * Origins of web pages (`http://127.0.0.1:7420`) allowed to open a
   * WebSocket to this node, asked at each upgrade. An upgrade without an
   * Origin header (another Sotto node, any program that is not a browser) is
   * always accepted; one from a page of any other origin gets 403 before any
   * libp2p byte (./websocket-listener.ts). Default: no page at all.
   */
  readonly webSocketOrigins?: () => readonly string[];
  /** Only query the DHT, never answer (for short-lived or badly connected nodes). Default false: a DHT server. */
  readonly dhtClientMode?: boolean;
  /** DHT record validators by namespace (e.g. BUNDLE_RECORD_NAMESPACE); records of other namespaces are refused. */
  readonly dhtValidators?: Validators;
  /** DHT record selectors by namespace: which of several valid records wins. */
  readonly dhtSelectors?: Selectors;
  /** Connections kept before libp2p prunes the least useful (MAX_CONNECTIONS). */
  readonly maxConnections?: number;
  /** New inbound connections accepted per second from one IP address (INBOUND_CONNECTION_THRESHOLD). */
  readonly inboundConnectionThreshold?: number;
  /**
   * Allow dialling private, loopback and insecure-WebSocket addresses. In
   * Node that is libp2p's default anyway; in browsers libp2p denies them, so
   * a browser node on a LAN or in a local test needs true. Default: libp2p's.
   */
  readonly allowPrivateDials?: boolean;
  /**
   * Keep stray network errors (a reset socket, a transport timeout that no
   * promise awaited) from ending the process; see {@link guardProcess}.
   * Default true.
   */
  readonly guardProcess?: boolean;
}

/** The services every Sotto node runs. */
export interface SottoServices extends Record<string, unknown> {
  identify: Identify;
  ping: Ping;
  dht: KadDHT;
  relay?: CircuitRelayService;
  /** Whether peers can dial this node (AutoNAT v1); Node only. */
  autoNAT?: unknown;
  /** Upgrades relayed connections to direct TCP ones; Node only. */
  dcutr?: unknown;
  /** The relay slots this node holds: on kept relays, and of its own when unreachable (`relaySlots`). */
  relaySlots: RelaySlots;
  /** A relay's STUN responder (`relay`, Node only). */
  stun?: StunResponder;
  /** Relayed connections turned into WebRTC ones (with WebRTC). */
  webrtcUpgrade?: WebrtcUpgrade;
  /** UPnP port mapping (`upnp`). */
  upnp?: unknown;
}

/** A peer found in the DHT. */
export interface FoundPeer {
  readonly peerId: string;
  /** Its multiaddrs, without the /p2p/ suffix. */
  readonly addresses: readonly string[];
}

/** Options of a DHT lookup. */
export interface FindPeerOptions {
  readonly signal?: AbortSignal;
  /** Default FIND_PEER_TIMEOUT_MS. */
  readonly timeoutMs?: number;
}

/** Options of {@link SottoNode.dialProtocol}. */
export interface DialByIdOptions {
  readonly signal?: AbortSignal;
  /** Time for all attempts together. Default DIAL_BY_ID_TIMEOUT_MS. */
  readonly timeoutMs?: number;
  /** Default DIAL_BY_ID_ATTEMPTS. */
  readonly attempts?: number;
  /** Allow the stream over a relayed (data- and time-limited) connection. Default false. */
  readonly runOnLimitedConnection?: boolean;
}

/** Handles one inbound stream; `remotePeerId` is authenticated by Noise. */
export type SottoStreamHandler = (stream: Stream, remotePeerId: string, connection: Connection) => void | Promise<void>;

/** A started Sotto node. */
export interface SottoNode {
  /** The libp2p node underneath, started. */
  readonly libp2p: Libp2p<SottoServices>;
  /** This node's peer id (the identity's). */
  readonly peerId: string;
  /** Where other peers can reach this node: full multiaddrs ending in /p2p/<peer id>. */
  addresses(): string[];
  /** True while at least one connection to `peerId` is open (false for a malformed id). */
  isConnected(peerId: string): boolean;
  /**
   * Dials one multiaddr (with or without /p2p/) and returns the remote peer
   * id. Throws DialFailedError (`unreachable`, `timeout`), TypeError for a
   * malformed address.
   */
  connect(address: string, options?: { signal?: AbortSignal; timeoutMs?: number }): Promise<string>;
  /**
   * Looks a peer up in the DHT (never only the local peer store) and stores
   * what it finds. Throws PeerNotFoundError (`not-found`, `timeout`),
   * InvalidPeerIdError, or the signal's reason.
   */
  findPeer(peerId: string, options?: FindPeerOptions): Promise<FoundPeer>;
  /**
   * Opens a stream on `protocol` to a peer known only by its id: an open
   * connection or the addresses in the peer store first, then DHT lookups,
   * with retries. Throws DialFailedError (`unreachable`, `timeout`,
   * `protocol`, `self`), InvalidPeerIdError, or the signal's reason.
   */
  dialProtocol(peerId: string, protocol: string, options?: DialByIdOptions): Promise<Stream>;
  /**
   * Registers the handler of an inbound protocol. A handler that throws or
   * rejects gets its stream aborted (by libp2p); nothing escapes.
   */
  handle(protocol: string, handler: SottoStreamHandler, options?: StreamHandlerOptions): Promise<void>;
  /**
   * Dials every bootstrap peer not yet connected (the node does so by itself
   * at start and when it loses all connections) and resolves with how many
   * are connected. Never rejects.
   */
  bootstrap(options?: { signal?: AbortSignal }): Promise<number>;
  /**
   * Reserves a slot on the relay at `address` (with /p2p/<relay id>) and
   * listens through it, and keeps doing so whenever the node connects to
   * that relay again (./relay-slots.ts). Resolves at once when the
   * node holds a slot there already. Throws RelayReservationError,
   * TypeError for a malformed address, RangeError without a relay id.
   */
  reserveRelay(address: string): Promise<void>;
  /** Stops the node: closes every connection and listener. */
  stop(): Promise<void>;
}

/**
 * Creates and starts a Sotto node. Throws TypeError or RangeError for a
 * malformed configuration (addresses, missing /p2p/), InvalidSwarmKeyError,
 * IdentityKeyMismatchError, or libp2p's error when a listen address cannot
 * be bound.
 */
export async function createNode(config: NodeConfig): Promise<SottoNode> {
  const listen = checkAddresses(config.listen, 'listen', false);
  if (listen.some((ma) => isBareCircuit(ma))) {
    throw new RangeError('createNode: listen must not contain the bare /p2p-circuit (it makes libp2p search for relays without end); name relays in `relays`');
  }
  const bootstrapPeers = checkAddresses(config.bootstrap, 'bootstrap', true);
  const relays = checkAddresses(config.relays ?? [], 'relays', true);
  const psk = config.swarmKey === undefined ? undefined : checkSwarmKey(config.swarmKey);
  const privateKey = await libp2pKeyOfIdentity(config.identity);

  const useWebrtc = config.webrtc ?? true;
  const listenAddrs = [...listen.map(String), ...relays.map((ma) => `${ma.toString()}/p2p-circuit`)];
  // Addresses only through relay slots: none until the node holds one.
  if (useWebrtc) listenAddrs.push('/webrtc');
  // The relay gate and the STUN servers read the node once it exists.
  const running: { node?: Libp2p<SottoServices> } = {};
  // Judged against the node's addresses once per sort (a sort compares many pairs at once).
  let farJudge: ((address: Multiaddr) => boolean) | undefined;
  const farFromHere = (): ((address: Multiaddr) => boolean) => {
    if (farJudge === undefined) {
      farJudge = farPrivateAddresses({ ownAddresses: running.node?.getMultiaddrs().map(String) ?? [], subnets: config.localSubnets?.() ?? [] });
      queueMicrotask(() => (farJudge = undefined));
    }
    return farJudge;
  };
  const stunServers = config.stunServers ?? (() => relayStunUrls(running.node?.getMultiaddrs() ?? []));
  // Always a list, so @libp2p/webrtc never falls back on its public STUN servers.
  const rtcConfiguration = async (): Promise<RTCConfiguration> => ({ iceServers: iceServersOf(await stunServers()) });
  const webrtcTransports = useWebrtc ? [(await import('@libp2p/webrtc')).webRTC({ rtcConfiguration })] : [];
  const tcpTransports = config.tcp === false ? [] : [tcp()];
  // Loaded only when asked for: it needs Node's dgram, which a browser build does not have.
  const mdns = config.mdns === true ? (await import('@libp2p/mdns')).mdns : undefined;
  // Crossing NATs needs TCP (AutoNAT dials back over it, DCUtR upgrades to it): Node only.
  const natTraversal = config.tcp !== false;
  const upnp = natTraversal && config.upnp === true ? (await import('@libp2p/upnp-nat')).uPnPNAT : undefined;

  const reserveOnBootstrap = useWebrtc && config.reserveOnBootstrapRelays !== false;
  const bootstrapIds = new Set(bootstrapPeers.map((ma) => p2pId(ma)!));
  const relayLimits = config.relayLimits ?? DEFAULT_RELAY_LIMITS;
  const dhtValidators = { ...config.dhtValidators };
  const dhtSelectors = { ...config.dhtSelectors };
  // Set once the node exists; mDNS only reports peers after start.
  const mdnsHook: { onPeer?: (peer: PeerInfo) => void } = {};
  const options: Libp2pOptions<SottoServices> = {
    privateKey,
    nodeInfo: { name: USER_AGENT, userAgent: USER_AGENT },
    addresses: { listen: listenAddrs },
    transports: [...tcpTransports, sottoWebSockets(() => config.webSocketOrigins?.() ?? []), ...webrtcTransports, circuitRelayTransport()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux({ streamOptions: { maxStreamWindowSize: YAMUX_MAX_STREAM_WINDOW_BYTES } })],
    connectionManager: {
      maxConnections: config.maxConnections ?? MAX_CONNECTIONS,
      inboundConnectionThreshold: config.inboundConnectionThreshold ?? INBOUND_CONNECTION_THRESHOLD,
      maxIncomingPendingConnections: MAX_INCOMING_PENDING_CONNECTIONS,
      // Direct addresses (a LAN one too) before any relayed one, another site's LAN
      // addresses last (./address-order.ts); near means near this node's own addresses.
      addressSorter: addressOrder((address) => farFromHere()(address)),
    },
    // With relays, an unreachable relay must not stop the node from starting;
    // the plain listen addresses are checked after start instead.
    transportManager: { faultTolerance: relays.length > 0 ? FaultTolerance.NO_FATAL : FaultTolerance.FATAL_ALL },
    peerDiscovery: mdns !== undefined
      ? [(components: MulticastDNSComponents) => {
          const discovery = mdns({ serviceTag: psk === undefined ? MDNS_SERVICE_TAG : mdnsServiceTag(psk) })(components);
          discovery.addEventListener('peer', (evt) => mdnsHook.onPeer?.(evt.detail));
          return discovery;
        }]
      : [],
    services: {
      identify: identify(),
      ping: ping(),
      // The guard keeps an older record from replacing a newer one (./dht-records.ts).
      // Lookups on an empty routing table pause first (./empty-walk-pause.ts).
      dht: pauseEmptyWalks(guardDhtRecords(kadDHT({
        protocol: KAD_PROTOCOL,
        datastorePrefix: DHT_DATASTORE_PREFIX,
        clientMode: config.dhtClientMode ?? false,
        // The default mapper drops loopback and LAN addresses: a LAN-only
        // network would never fill its routing tables.
        peerInfoMapper: passthroughMapper,
        // A lone node (the first on a LAN) must still answer its own queries.
        allowQueryWithZeroPeers: true,
        validators: dhtValidators,
        selectors: dhtSelectors,
      }), { validators: dhtValidators, selectors: dhtSelectors })),
      ...(config.relay === true ? { relay: circuitRelayServer(relayServerInit(relayLimits)) } : {}),
      ...(natTraversal
        ? {
            autoNAT: autoNATWithDialBack({ timeout: AUTONAT_TIMEOUT_MS, maxInboundStreams: MAX_AUTONAT_INBOUND_STREAMS }),
            dcutr: dcutrDirectOnly({ timeout: DCUTR_TIMEOUT_MS, retries: DCUTR_ATTEMPTS, maxInboundStreams: MAX_DCUTR_INBOUND_STREAMS }),
          }
        : {}),
      relaySlots: relaySlots({
        wanted: natTraversal && config.relaySlots === true ? RELAY_SLOTS_WANTED : 0,
        retryDelayMs: RELAY_RETRY_DELAY_MS,
        searchIntervalMs: RELAY_SEARCH_INTERVAL_MS,
        searchDials: RELAY_SEARCH_DIALS,
        reserveAttempts: RELAY_RESERVE_ATTEMPTS,
        keep: relays.map((ma) => p2pId(ma)!),
        // Pages served by a bootstrap relay reach this node by WebRTC through it.
        keepIf: (peerId) => reserveOnBootstrap && bootstrapIds.has(peerId),
      }),
      ...(natTraversal && config.relay === true ? { stun: stunResponder({ answersPerSecond: STUN_MAX_ANSWERS_PER_SECOND }) } : {}),
      ...(useWebrtc ? { webrtcUpgrade: webrtcUpgrade({ timeoutMs: WEBRTC_UPGRADE_TIMEOUT_MS, retryDelayMs: WEBRTC_UPGRADE_RETRY_MS, firstRetryMs: WEBRTC_UPGRADE_FIRST_RETRY_MS, proveMs: WEBRTC_STREAM_OPEN_TIMEOUT_MS }) } : {}),
      ...(upnp !== undefined ? { upnp: upnp({ portMappingDescription: USER_AGENT }) } : {}),
    },
    start: false,
  };
  if (psk !== undefined) options.connectionProtector = preSharedKey({ psk });
  options.connectionGater = {
    ...(config.allowPrivateDials === true ? { denyDialMultiaddr: () => false } : {}),
    ...(config.relay === true
      ? {
          denyInboundRelayReservation: relayReservationGate(relayLimits, {
            relay: () => running.node?.services.relay,
            connections: (peer) => running.node?.getConnections(peer) ?? [],
          }),
        }
      : {}),
  };

  const libp2p = await createLibp2p<SottoServices>(options);
  running.node = libp2p;
  const releaseGuard = config.guardProcess === false ? undefined : guardProcess();
  const self = libp2p.peerId;
  const selfText = self.toString();
  const bootstrapById = new Map<string, Multiaddr[]>();
  for (const ma of bootstrapPeers) {
    const id = p2pId(ma)!;
    if (id === selfText) continue;
    bootstrapById.set(id, [...(bootstrapById.get(id) ?? []), ma]);
  }

  try {
    await libp2p.start();
    if (relays.length > 0) assertListening(libp2p, listen);
  } catch (err) {
    try {
      await libp2p.stop();
    } catch {
      // Already failing: the start error is the one to report.
    }
    releaseGuard?.();
    throw err;
  }
  const shutdown = new AbortController();
  log('%s started, listening on %s', selfText, libp2p.getMultiaddrs().map(String).join(' '));

  const bootstrap = async (options: { signal?: AbortSignal } = {}): Promise<number> => {
    const signal = AbortSignal.any([shutdown.signal, ...(options.signal ? [options.signal] : [])]);
    const results = await Promise.all([...bootstrapById].map(async ([id, addrs]) => {
      const peerId = peerIdFromText(id);
      if (libp2p.getConnections(peerId).length > 0) return true;
      try {
        // Keep-alive: libp2p redials a tagged peer when its connection drops.
        await libp2p.peerStore.merge(peerId, { multiaddrs: addrs, tags: { [BOOTSTRAP_TAG]: { value: BOOTSTRAP_TAG_VALUE } } });
        await libp2p.dial(peerId, { signal });
        return true;
      } catch (err) {
        log('%s could not reach bootstrap peer %s: %s', selfText, id, describe(err));
        return false;
      }
    }));
    return results.filter(Boolean).length;
  };

  const bootstrapTimer = bootstrapById.size === 0 ? undefined : setInterval(() => {
    if (libp2p.getConnections().length === 0) void bootstrap();
  }, BOOTSTRAP_RETRY_INTERVAL_MS);
  // Node's timers can let the process exit; a browser's are plain numbers.
  (bootstrapTimer as { unref?: () => void } | undefined)?.unref?.();
  if (bootstrapById.size > 0) void bootstrap();

  mdnsHook.onPeer = (peer) => {
    if (shutdown.signal.aborted || peer.id.equals(self)) return;
    if (libp2p.getConnections(peer.id).length > 0 || libp2p.getConnections().length >= MDNS_DIAL_BELOW_CONNECTIONS) return;
    void libp2p.peerStore.merge(peer.id, { multiaddrs: peer.multiaddrs })
      .then(() => libp2p.dial(peer.id, { signal: shutdown.signal }))
      .then(() => log('%s connected to %s found by mDNS', selfText, peer.id.toString()))
      .catch((err: unknown) => log('%s could not reach %s found by mDNS: %s', selfText, peer.id.toString(), describe(err)));
  };

  const findPeer = async (peerId: string, options: FindPeerOptions = {}): Promise<FoundPeer> => {
    const id = peerIdFromText(peerId);
    const timeoutMs = options.timeoutMs ?? FIND_PEER_TIMEOUT_MS;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = AbortSignal.any([timeout, shutdown.signal, ...(options.signal ? [options.signal] : [])]);
    // A lookup can end without the peer while routing tables still fill
    // (right after start, or just after the peer joined): ask again, with
    // growing pauses, until found or out of time.
    for (let attempt = 1; ; attempt++) {
      try {
        const info = await libp2p.peerRouting.findPeer(id, { useCache: false, signal });
        log('%s found %s in the DHT (lookup %d)', selfText, peerId, attempt);
        return { peerId: info.id.toString(), addresses: info.multiaddrs.map(String) };
      } catch (err) {
        throwIfAborted(options.signal);
        if (timeout.aborted || shutdown.signal.aborted) throw new PeerNotFoundError(peerId, 'timeout', { cause: err });
        if (errorName(err) !== 'NotFoundError') throw new PeerNotFoundError(peerId, 'not-found', { cause: err });
        const pause = Math.min(FIND_PEER_RETRY_BASE_DELAY_MS * 2 ** (attempt - 1), FIND_PEER_RETRY_MAX_DELAY_MS);
        if (!(await sleep(pause, signal))) {
          throwIfAborted(options.signal);
          throw new PeerNotFoundError(peerId, 'timeout', { cause: err });
        }
      }
    }
  };

  const dialProtocol = async (peerId: string, protocol: string, options: DialByIdOptions = {}): Promise<Stream> => {
    const id = peerIdFromText(peerId);
    if (id.equals(self)) throw new DialFailedError(peerId, protocol, 'self', 0);
    const attempts = options.attempts ?? DIAL_BY_ID_ATTEMPTS;
    if (!Number.isSafeInteger(attempts) || attempts < 1) throw new RangeError('dialProtocol: attempts must be a positive integer');
    const timeout = AbortSignal.timeout(options.timeoutMs ?? DIAL_BY_ID_TIMEOUT_MS);
    const signal = AbortSignal.any([timeout, shutdown.signal, ...(options.signal ? [options.signal] : [])]);
    const streamOptions = { signal, runOnLimitedConnection: options.runOnLimitedConnection ?? false };
    let lastError: unknown;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        // A connection opened since the last attempt (a direct one that
        // replaced the relayed one the stream broke on) is used before the DHT.
        if (attempt === 1 || libp2p.getConnections(id).some((c) => c.status === 'open')) {
          // A relayed connection is used while it is the only one: dialling
          // again would try the peer's unreachable direct addresses first,
          // and ./webrtc-upgrade.ts or DCUtR replaces it where the NATs allow.
          const relayed = streamOptions.runOnLimitedConnection ? onlyLimitedConnection(libp2p, id) : undefined;
          if (relayed !== undefined) return await relayed.newStream(protocol, streamOptions);
          // A WebRTC connection that opens no stream in time is dead: aborted, and the next attempt goes another way.
          const webrtc = openWebrtcConnection(libp2p.getConnections(id));
          if (webrtc !== undefined) return await streamOrAbort(webrtc, protocol, streamOptions, WEBRTC_STREAM_OPEN_TIMEOUT_MS);
          // An open connection, the peer store's addresses, or (when it has
          // none) libp2p's own lookup through the DHT.
          return await libp2p.dialProtocol(id, protocol, streamOptions);
        }
        // Known addresses failed or were missing: ask the DHT afresh.
        const found = await findPeer(peerId, { signal, timeoutMs: FIND_PEER_TIMEOUT_MS });
        const targets = found.addresses.map((a) => multiaddr(a).encapsulate(`/p2p/${peerId}`));
        const connection = await libp2p.dial(targets.length > 0 ? targets : id, { signal });
        return await connection.newStream(protocol, streamOptions);
      } catch (err) {
        lastError = err;
        throwIfAborted(options.signal);
        if (signal.aborted) throw new DialFailedError(peerId, protocol, 'timeout', attempt, { cause: err });
        if (errorName(err) === 'UnsupportedProtocolError') throw new DialFailedError(peerId, protocol, 'protocol', attempt, { cause: err });
        log('%s attempt %d to reach %s on %s failed: %s', selfText, attempt, peerId, protocol, describe(err));
        if (attempt < attempts && !(await sleep(DIAL_RETRY_BASE_DELAY_MS * 2 ** (attempt - 1), signal))) {
          throwIfAborted(options.signal);
          throw new DialFailedError(peerId, protocol, 'timeout', attempt, { cause: err });
        }
      }
    }
    throw new DialFailedError(peerId, protocol, 'unreachable', attempts, { cause: lastError });
  };

  const connect = async (address: string, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<string> => {
    const ma = parseMultiaddr(address, 'connect');
    const timeout = AbortSignal.timeout(options.timeoutMs ?? CONNECT_TIMEOUT_MS);
    const signal = AbortSignal.any([timeout, shutdown.signal, ...(options.signal ? [options.signal] : [])]);
    try {
      const connection = await libp2p.dial(ma, { signal });
      return connection.remotePeer.toString();
    } catch (err) {
      if (options.signal?.aborted === true) throw options.signal.reason;
      throw new DialFailedError(address, undefined, signal.aborted ? 'timeout' : 'unreachable', 1, { cause: err });
    }
  };

  let stopped: Promise<void> | undefined;
  return {
    libp2p,
    peerId: selfText,
    addresses: () => libp2p.getMultiaddrs().map(String),
    isConnected: (peerId) => {
      try {
        return libp2p.getConnections(peerIdFromText(peerId)).length > 0;
      } catch {
        return false;
      }
    },
    connect,
    findPeer,
    dialProtocol,
    handle: (protocol, handler, options) =>
      libp2p.handle(protocol, (stream, connection) => handler(stream, connection.remotePeer.toString(), connection), options),
    bootstrap,
    reserveRelay: async (address) => libp2p.services.relaySlots.reserve(parseMultiaddr(address, 'reserveRelay')),
    stop: () => {
      stopped ??= (async () => {
        shutdown.abort(new NodeStoppedError());
        if (bootstrapTimer !== undefined) clearInterval(bootstrapTimer);
        try {
          await libp2p.stop();
        } finally {
          releaseGuard?.();
          log('%s stopped', selfText);
        }
      })();
      return stopped;
    },
  };
}

/** The reason in-flight dials of a stopping node are aborted with. */
class NodeStoppedError extends SottoError {
  override readonly name = 'NodeStoppedError';
  constructor() {
    super('the node is stopping');
  }
}

const BOOTSTRAP_TAG = `${KEEP_ALIVE}-sotto-bootstrap`;
/** Peer-store tag value of bootstrap peers: above ordinary peers when libp2p prunes connections. */
const BOOTSTRAP_TAG_VALUE = 50;

// ---------------------------------------------------------------------------
// Swarm keys
// ---------------------------------------------------------------------------

const SWARM_KEY_HEADER = '/key/swarm/psk/1.0.0/';
const SWARM_KEY_ENCODING = '/base16/';
const SWARM_KEY_BYTES = 32;

/**
 * Checks a libp2p pnet swarm key: the lines "/key/swarm/psk/1.0.0/",
 * "/base16/" and 64 hex digits (a trailing newline allowed). Returns the key
 * text's bytes unchanged for @libp2p/pnet. Throws {@link InvalidSwarmKeyError}.
 */
export function checkSwarmKey(swarmKey: Uint8Array): Uint8Array {
  if (!(swarmKey instanceof Uint8Array)) throw new TypeError('swarm key must be a Uint8Array');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(swarmKey);
  } catch {
    throw new InvalidSwarmKeyError('not UTF-8 text');
  }
  const lines = text.split(/\r?\n/);
  if (lines.length === 4 && lines[3] === '') lines.pop();
  if (lines.length !== 3) throw new InvalidSwarmKeyError('expected three lines: header, encoding, key');
  if (lines[0] !== SWARM_KEY_HEADER) throw new InvalidSwarmKeyError(`first line must be ${SWARM_KEY_HEADER}`);
  if (lines[1] !== SWARM_KEY_ENCODING) throw new InvalidSwarmKeyError(`second line must be ${SWARM_KEY_ENCODING}`);
  if (!new RegExp(`^[0-9a-fA-F]{${SWARM_KEY_BYTES * 2}}$`).test(lines[2]!)) throw new InvalidSwarmKeyError(`key must be ${SWARM_KEY_BYTES * 2} hex digits`);
  return swarmKey;
}

/**
 * The mDNS service name of the private network of `swarmKey` (a checked
 * key file): derived from the key's 32 bytes, so that any spelling of the
 * same key (case, line ends) gives the same name.
 */
export function mdnsServiceTag(swarmKey: Uint8Array): string {
  checkSwarmKey(swarmKey);
  const key = fromHex(new TextDecoder().decode(swarmKey).split(/\r?\n/)[2]!);
  const digest = sha256(concatBytes(utf8(LABEL_MDNS_PRIVATE_TAG), key));
  return `_sotto-${toHex(digest.subarray(0, MDNS_PRIVATE_TAG_BYTES))}._udp.local`;
}

/**
 * Encodes 32 random bytes as a swarm key file's contents (the format
 * `ipfs`/`go-libp2p` use). The caller supplies the randomness. Throws
 * RangeError when `key` is not 32 bytes.
 */
export function encodeSwarmKey(key: Uint8Array): Uint8Array {
  if (key.length !== SWARM_KEY_BYTES) throw new RangeError(`encodeSwarmKey: key must be ${SWARM_KEY_BYTES} bytes`);
  const hex = Array.from(key, (b) => b.toString(16).padStart(2, '0')).join('');
  return new TextEncoder().encode(`${SWARM_KEY_HEADER}\n${SWARM_KEY_ENCODING}\n${hex}\n`);
}

// ---------------------------------------------------------------------------
// Process guard
// ---------------------------------------------------------------------------

/**
 * Error codes of a socket that failed under us: refused, reset, broken pipe.
 * They can surface as uncaught exceptions when a transport emits them where
 * no promise awaits (reported with an ECONNRESET on an older setup).
 */
const STRAY_ERROR_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTCONN', 'ERR_STREAM_PREMATURE_CLOSE', 'ERR_SOCKET_CLOSED']);
/**
 * libp2p's names for a connection or stream failing, and for timeouts and
 * aborts of network operations. @libp2p/tcp throws NotStartedError from its
 * socket callback when a connection arrives while its listener closes; an
 * unawaited WebRTC TimeoutError once ended a Node process here.
 */
const STRAY_ERROR_NAMES = new Set([
  'TimeoutError', 'AbortError', 'NotStartedError', 'StreamResetError', 'StreamStateError', 'ConnectionClosedError',
  'MuxerClosedError', 'EncryptionFailedError', 'UnexpectedEOFError', 'StreamBufferError', 'InactivityTimeoutError',
]);

const guardLog = logger(`${LOG_PREFIX}:guard`);
let guardUsers = 0;
let strayErrors = 0;

function isStrayNetworkError(err: unknown): boolean {
  if (!(err instanceof Error) || err instanceof SottoError) return false;
  const code = (err as { code?: unknown }).code;
  // WS_ERR_*: the `ws` library refusing a malformed frame from a peer (see ./websocket-listener.ts).
  return (typeof code === 'string' && (STRAY_ERROR_CODES.has(code) || code.startsWith('WS_ERR_'))) || STRAY_ERROR_NAMES.has(err.name);
}

function onUncaughtException(err: unknown): void {
  if (isStrayNetworkError(err)) {
    strayErrors++;
    guardLog.error('ignored a stray network error: %s', describe(err));
    return;
  }
  // Not ours to ignore. Alone, this listener would swallow it: do what Node
  // does without listeners (print, exit 1).
  if (process.listenerCount('uncaughtException') === 1) {
    process.stderr.write(`${err instanceof Error && err.stack !== undefined ? err.stack : String(err)}\n`);
    process.exit(1);
  }
}

function onUnhandledRejection(reason: unknown): void {
  if (isStrayNetworkError(reason)) {
    strayErrors++;
    guardLog.error('ignored a stray network rejection: %s', describe(reason));
    return;
  }
  // Node's default (--unhandled-rejections=throw) raises it as an uncaught
  // exception when nobody listens; do the same when we are alone.
  if (process.listenerCount('unhandledRejection') === 1) {
    process.nextTick(() => {
      throw reason;
    });
  }
}

/**
 * Installs process-wide handlers that ignore (and log to `sotto:node:guard`)
 * uncaught exceptions and unhandled rejections that are network failures —
 * socket error codes such as ECONNRESET and libp2p's connection, stream and
 * timeout errors — so that a peer resetting a connection can never end the
 * process. Every other error keeps Node's default behaviour (printed, exit
 * code 1) unless the application installed its own handlers. Reference
 * counted: returns the function that releases this use; the handlers go
 * away with the last one. createNode calls it unless `guardProcess: false`.
 */
export function guardProcess(): () => void {
  if (guardUsers++ === 0) {
    process.on('uncaughtException', onUncaughtException);
    process.on('unhandledRejection', onUnhandledRejection);
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--guardUsers === 0) {
      process.off('uncaughtException', onUncaughtException);
      process.off('unhandledRejection', onUnhandledRejection);
    }
  };
}

/** How many stray network errors the process guard has ignored so far (for diagnostics and tests). */
export function strayNetworkErrorCount(): number {
  return strayErrors;
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

function parseMultiaddr(address: string, what: string): Multiaddr {
  if (typeof address !== 'string') throw new TypeError(`${what}: addresses must be strings`);
  try {
    return multiaddr(address);
  } catch {
    throw new TypeError(`${what}: ${JSON.stringify(address)} is not a multiaddr`);
  }
}

function checkAddresses(addresses: readonly string[], what: string, needPeerId: boolean): Multiaddr[] {
  if (!Array.isArray(addresses)) throw new TypeError(`createNode: ${what} must be an array of multiaddr strings`);
  return addresses.map((address) => {
    const ma = parseMultiaddr(address, `createNode: ${what}`);
    if (needPeerId) {
      const id = p2pId(ma);
      if (id === undefined) throw new RangeError(`createNode: ${what} address ${address} has no /p2p/<peer id>`);
      peerIdFromText(id);
    }
    return ma;
  });
}

/** The peer id of the last /p2p/ component. */
function p2pId(ma: Multiaddr): string | undefined {
  return ma.getComponents().findLast((c) => c.name === 'p2p')?.value;
}

/** The open relayed connection to `peer` when it has no open direct one. */
function onlyLimitedConnection(libp2p: Libp2p<SottoServices>, peer: PeerId): Connection | undefined {
  const open = libp2p.getConnections(peer).filter((c) => c.status === 'open');
  return open.some((c) => c.limits === undefined) ? undefined : open[0];
}

function isBareCircuit(ma: Multiaddr): boolean {
  const components = ma.getComponents();
  return components.length === 1 && components[0]!.name === 'p2p-circuit';
}

/**
 * With FaultTolerance.NO_FATAL libp2p starts even when nothing could be
 * bound; every plain listen address must still show up (by transport, and
 * by port when one was given).
 */
function assertListening(libp2p: Libp2p<SottoServices>, listen: readonly Multiaddr[]): void {
  const bound = libp2p.getMultiaddrs().map(describeTransport);
  for (const ma of listen) {
    const want = describeTransport(ma);
    const ok = bound.some((b) => b.kind === want.kind && (want.port === '0' || want.port === b.port));
    if (!ok) throw new RangeError(`createNode: could not listen on ${ma.toString()}`);
  }
}

function describeTransport(ma: Multiaddr): { kind: string; port: string | undefined } {
  const components = ma.getComponents();
  if (components.some((c) => c.name === 'p2p-circuit')) return { kind: 'circuit', port: undefined };
  const names = components.map((c) => c.name);
  const kind = names.includes('wss') || (names.includes('tls') && names.includes('ws')) ? 'wss' : names.includes('ws') ? 'ws' : names.includes('tcp') ? 'tcp' : names.join('/');
  return { kind, port: components.find((c) => c.name === 'tcp' || c.name === 'udp')?.value };
}

/** Waits `ms`; resolves false (instead of waiting) when the signal aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Rethrows the caller's abort reason when the caller's own signal fired. */
function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw signal.reason;
}

function errorName(err: unknown): string | undefined {
  return err instanceof Error ? err.name : undefined;
}

/** A one-line description of an error for the log (name, code, message; never data). */
function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown }).code;
  return `${err.name}${typeof code === 'string' ? ` (${code})` : ''}: ${err.message}`;
}

