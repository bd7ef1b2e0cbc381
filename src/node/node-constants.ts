/**
 * Protocol ids, names and every limit and timeout of Sotto's libp2p node
 * layer (./libp2p.ts, ./frames.ts), each with the trade-off it makes. The
 * messaging protocols' own limits live in ./constants.ts.
 */

// ---------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------

const PROTOCOL_PREFIX = '/sotto';

/**
 * Sotto's private Kademlia DHT. Never the public IPFS DHT ("/ipfs/kad/1.0.0"):
 * Sotto nodes neither answer nor query IPFS peers.
 */
export const KAD_PROTOCOL = `${PROTOCOL_PREFIX}/kad/1.0.0`;

/**
 * DHT record namespace of signed last-resort prekey bundles; a record key is
 * `/sotto-bundle/<peer id>`. The validator and selector for it are passed in
 * through NodeConfig.dhtValidators / dhtSelectors.
 */
export const BUNDLE_RECORD_NAMESPACE = 'sotto-bundle';

/** mDNS service name, so that Sotto nodes on a LAN find each other and not every libp2p node there. */
export const MDNS_SERVICE_TAG = '_sotto._udp.local';

/**
 * What identify tells every peer about this program. Just the name: the
 * libp2p default also announces the libp2p and Node versions, which helps
 * nobody but someone looking for a vulnerable build.
 */
export const USER_AGENT = 'sotto';

/** Prefix of every logger name of this layer (`DEBUG=sotto:node:*` shows them). */
export const LOG_PREFIX = 'sotto:node';

// ---------------------------------------------------------------------------
// Frames (./frames.ts)
// ---------------------------------------------------------------------------

/**
 * The largest `maxFrameBytes` a framed stream accepts. A reader holds at most
 * about this much plus one muxer window per stream, so it bounds memory per
 * stream; Sotto's largest frame (a message envelope) is 68 KiB.
 */
export const MAX_FRAME_BYTES_LIMIT = 1024 * 1024;

/**
 * How long a read waits for the next whole frame by default. Long enough for
 * a 1 MiB frame over a slow link (or a relay), short enough that a silent
 * peer does not hold a stream open for minutes.
 */
export const FRAME_READ_TIMEOUT_MS = 10_000;

/**
 * How long a write waits for the transport to accept more data when it
 * pushes back (a peer that stops reading) before giving up.
 */
export const FRAME_WRITE_TIMEOUT_MS = 10_000;

/**
 * A framed reader pauses the stream (so the muxer stops granting the sender
 * window) once it holds more than max(maxFrameBytes + prefix, this) unread
 * bytes. Larger allows more frames in flight per stream; smaller bounds
 * memory. 64 KiB keeps small-frame protocols pipelined.
 */
export const FRAME_MIN_READ_HIGH_WATER_BYTES = 64 * 1024;

// ---------------------------------------------------------------------------
// Connections
// ---------------------------------------------------------------------------

/**
 * Largest Yamux receive window of one stream (the library default is 16 MiB).
 * A paused stream can still receive one window, and Yamux resets a stream
 * whose read buffer passes 4 MiB; 2 MiB keeps a paused stream under that and
 * still allows ~20 MiB/s per stream at 100 ms round-trip time.
 */
export const YAMUX_MAX_STREAM_WINDOW_BYTES = 2 * 1024 * 1024;

/**
 * New inbound connections accepted per second from one IP address (libp2p
 * default: 5). Many peers can share one address (a LAN behind NAT, every
 * node of a test on loopback, a relay); a flood from one host is still
 * capped, and maxConnections caps the total.
 */
export const INBOUND_CONNECTION_THRESHOLD = 100;

/**
 * Inbound connections allowed to be in their handshake (pnet, Noise, Yamux)
 * at once (libp2p default: 10). Above it new sockets are reset: a burst of
 * peers dialling at the same moment (a bootstrap peer after a restart) needs
 * more; each pending handshake costs a socket and a few KiB.
 */
export const MAX_INCOMING_PENDING_CONNECTIONS = 64;

/** Total connections before libp2p starts pruning the least useful ones (libp2p default in Node). */
export const MAX_CONNECTIONS = 300;

// ---------------------------------------------------------------------------
// Finding and dialling peers
// ---------------------------------------------------------------------------

/**
 * How long one DHT lookup of a peer may take. Lookups took 1–500 ms on a
 * warm 30-node network and up to 4.6 s right after start, while routing
 * tables fill.
 */
export const FIND_PEER_TIMEOUT_MS = 10_000;

/**
 * Pause before asking the DHT again when a lookup ended without the peer; it
 * doubles up to FIND_PEER_RETRY_MAX_DELAY_MS. A fresh lookup costs a few
 * small messages to a handful of peers; short pauses find a peer that just
 * joined quickly, the cap keeps a long search from flooding the network.
 */
export const FIND_PEER_RETRY_BASE_DELAY_MS = 200;
export const FIND_PEER_RETRY_MAX_DELAY_MS = 2_000;

/**
 * Total time allowed to open a stream to a peer known only by its id: dial
 * from known addresses, DHT lookups and retries together.
 */
export const DIAL_BY_ID_TIMEOUT_MS = 20_000;

/**
 * Attempts to reach a peer known only by its id: the first uses the peer
 * store (or one lookup when it knows nothing), each further one a fresh DHT
 * lookup. A DHT that is still filling often answers on the second try.
 */
export const DIAL_BY_ID_ATTEMPTS = 4;

/** Delay before the second attempt; it doubles for each further one. */
export const DIAL_RETRY_BASE_DELAY_MS = 250;

/** Time allowed to dial one multiaddr given by the user (`connect`). */
export const CONNECT_TIMEOUT_MS = 10_000;

/**
 * How often a node with no open connection dials its bootstrap peers again.
 * A node that lost every connection is cut off from the DHT until it does;
 * more often than this only adds load on bootstrap peers that are down.
 */
export const BOOTSTRAP_RETRY_INTERVAL_MS = 15_000;

/**
 * Most mDNS-discovered peers a node keeps dialling; past this many open
 * connections it only answers. The DHT needs a handful of contacts, not the
 * whole LAN.
 */
export const MDNS_DIAL_BELOW_CONNECTIONS = 32;
