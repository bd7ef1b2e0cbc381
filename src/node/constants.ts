/**
 * Protocol ids and every limit of Sotto's network protocols and messenger,
 * in one place (docs/PROTOCOL.md quotes them). Ids follow
 * /sotto/<name>/<semver>.
 */

const PROTOCOL_PREFIX = '/sotto';

/** Fetch a live prekey bundle (hands out each one-time prekey at most once). */
export const PREKEYS_PROTOCOL = `${PROTOCOL_PREFIX}/prekeys/1.0.0`;
/** Deliver envelopes; the receiver acks each after its durable write. */
export const MSG_PROTOCOL = `${PROTOCOL_PREFIX}/msg/1.0.0`;

/** Version byte of every frame on the Sotto protocols. */
export const FRAME_VERSION = 1;

/**
 * Largest frame on /sotto/msg: a version, a type, a sequence number and the
 * largest envelope (66,959 bytes). Checked before any allocation.
 */
export const MAX_MSG_FRAME_BYTES = 68 * 1024;
/** Largest frame on /sotto/prekeys: a bundle is 1,593 bytes. */
export const MAX_PREKEYS_FRAME_BYTES = 4 * 1024;

/** Longest message text, in UTF-8 bytes. Leaves room in MAX_PLAINTEXT_BYTES for the payload header. */
export const MAX_TEXT_BYTES = 60 * 1024;
/** Most message ids in one receipt. */
export const MAX_RECEIPT_IDS = 1000;
/** Bytes of a message id (random, 128 bits). */
export const MESSAGE_ID_BYTES = 16;
/** Longest contact name, in characters. */
export const MAX_CONTACT_NAME_LENGTH = 64;

/**
 * Envelopes a sender keeps in flight on one stream before waiting for acks.
 * Big enough to keep a batched durable write busy, small enough to bound
 * what is resent after a broken stream.
 */
export const MSG_WINDOW = 256;
/** How long a sender waits for an ack before it treats the stream as broken. */
export const ACK_TIMEOUT_MS = 10_000;
/** Time allowed to open a stream to a peer (dial, possibly a DHT lookup, protocol negotiation). */
export const DIAL_TIMEOUT_MS = 10_000;
/** Time allowed for a prekey request and its answer. */
export const PREKEYS_TIMEOUT_MS = 10_000;
/** An idle inbound stream is closed after this long without a frame. */
export const STREAM_IDLE_TIMEOUT_MS = 60_000;

/** First retry delay for an undelivered message; doubles per attempt. */
export const RETRY_BASE_MS = 1_000;
/** Longest delay between two delivery attempts. */
export const RETRY_MAX_MS = 5 * 60_000;
/** Random spread added to each delay (fraction of it), so peers do not retry in lockstep. */
export const RETRY_JITTER = 0.2;

/** One-time prekeys kept available; topped up when fewer than the low mark remain. */
export const ONE_TIME_PREKEY_TARGET = 100;
export const ONE_TIME_PREKEY_LOW_MARK = 20;
/**
 * One-time ML-KEM prekeys kept available, topped up when fewer than the low
 * mark remain (docs/PROTOCOL.md §5). The same as the X25519 ones, as Signal
 * uploads 100 of each: both kinds go out in the same bundles, so they run
 * out together and a session keeps both one-time keys. Each costs an ML-KEM
 * key generation and a signature to make (about a millisecond) and 141
 * stored bytes; a top-up of 80 runs in the background of a bundle request.
 */
export const ONE_TIME_KEM_PREKEY_TARGET = 100;
export const ONE_TIME_KEM_PREKEY_LOW_MARK = 20;

/**
 * How long the hash of a processed envelope is kept so that a re-delivery is
 * recognised and acked again. As long as skipped message keys live (30 days):
 * after that a stale copy cannot be decrypted anyway.
 */
export const SEEN_ENVELOPE_TTL_MS = 30 * 24 * 60 * 60 * 1000;

// ---------------------------------------------------------------------------
// Message requests: what someone who is not a contact can make this node keep
// ---------------------------------------------------------------------------

/**
 * Text messages one stranger may leave before the user answers their
 * request. A few are enough to say who they are; beyond this their
 * envelopes are refused (the sender's outbox shows "not accepted").
 */
export const REQUEST_MAX_MESSAGES_PER_SENDER = 5;
/**
 * Bytes one stranger may make this node keep: every envelope they send
 * (texts, receipts, their profile) plus REQUEST_SENDER_OVERHEAD_BYTES. Room
 * for three of the largest texts, so one long first message fits.
 */
export const REQUEST_MAX_BYTES_PER_SENDER = 256 * 1024;
/**
 * What keeping one stranger costs besides their envelopes: their session
 * record (a few KiB after a post-quantum first message), the request record
 * and index entries. Charged once per request, so that a thousand strangers
 * that send one small message each still count against REQUESTS_MAX_TOTAL_BYTES.
 */
export const REQUEST_SENDER_OVERHEAD_BYTES = 8 * 1024;
/**
 * Requests kept at once, and their bytes in all. Past either, the oldest
 * request (by its first message) is deleted to make room: strangers together
 * can never make this home grow by more than this, and a new stranger can
 * always reach the user.
 */
export const REQUESTS_MAX_SENDERS = 100;
export const REQUESTS_MAX_TOTAL_BYTES = 4 * 1024 * 1024;

// ---------------------------------------------------------------------------
// The libp2p node: DHT, discovery, connections, framing
// ---------------------------------------------------------------------------

// ---------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------


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
 * With a swarm key, the mDNS service name is `_sotto-<tag>._udp.local` where
 * tag is the hex of the first MDNS_PRIVATE_TAG_BYTES of
 * SHA-256(LABEL_MDNS_PRIVATE_TAG || key): nodes of one private network look
 * only for each other, and a node without the key does not recognise them.
 */
export const LABEL_MDNS_PRIVATE_TAG = 'sotto/v1/mdns-tag';
/** Bytes of the private mDNS tag (64 bits: no accidental collision between networks). */
export const MDNS_PRIVATE_TAG_BYTES = 8;

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

// ---------------------------------------------------------------------------
// Peer memory: the peers a node met, dialled again at its next start
// ---------------------------------------------------------------------------

/**
 * Contacts a node remembers addresses of (where it last reached them). Its
 * contacts are chosen by its user, and each also keeps the addresses it
 * announced (§14); this bounds the entries dialled at start.
 */
export const PEER_MEMORY_MAX_CONTACTS = 64;
/**
 * Mailboxes remembered: peers that served this node's mail fetch (found as
 * the DHT's closest to its mailbox key and opened a mailbox stream). Three
 * hold each item; a few more cover churn among them.
 */
export const PEER_MEMORY_MAX_MAILBOXES = 16;
/**
 * Other Sotto nodes remembered (they announce the DHT protocol): only peers
 * this node dialled itself (bootstrap, DHT lookups, mDNS), never one that
 * merely connected. A DHT that steers lookups to many Sybils can still
 * fill this kind, so the bound is small and separate: it never takes the
 * contacts' or mailboxes' places.
 */
export const PEER_MEMORY_MAX_DHT_PEERS = 32;
/** Relays remembered (they announce the circuit relay hop protocol on a connection this node opened); a claim, as for DHT peers. */
export const PEER_MEMORY_MAX_RELAYS = 8;
/** Addresses kept per remembered peer: as many as an invite carries (MAX_INVITE_ADDRESSES; a node lists a handful). */
export const PEER_MEMORY_MAX_ADDRESSES = 8;
/** Longest remembered address, in characters (an invite address of MAX_INVITE_ADDRESS_BYTES prints shorter). */
export const PEER_MEMORY_MAX_ADDRESS_LENGTH = 1024;
/**
 * Starts in a row at which a remembered peer did not answer (while another
 * peer did, so the network was up) before it is forgotten. A laptop that
 * starts offline counts nothing.
 */
export const PEER_MEMORY_MAX_FAILURES = 3;
/** A remembered peer that has not answered for this long is forgotten (mail is held 14 days; a month covers a holiday). */
export const PEER_MEMORY_MAX_AGE_MS = 30 * 24 * 60 * 60 * 1000;
/** A peer that answers again within this time is not written again: one write per peer per 10 minutes at most. */
export const PEER_MEMORY_TOUCH_INTERVAL_MS = 10 * 60 * 1000;
/** Remembered peers dialled at once at start (each dial is bounded by CONNECT_TIMEOUT_MS). */
export const PEER_MEMORY_DIAL_CONCURRENCY = 8;

/**
 * How often a node sends its contacts its listen addresses when they have
 * not changed (docs/PROTOCOL.md §14): a contact that lost them (a restored
 * home, a missed message) has them again within a day.
 */
export const ADDRESS_ANNOUNCE_INTERVAL_MS = 24 * 60 * 60 * 1000;
/**
 * How long a node waits after its addresses change before it tells its
 * contacts: changes come in bursts (listeners, relay reservations, a new
 * network), and one announcement covers them all.
 */
export const ADDRESS_ANNOUNCE_SETTLE_MS = 5_000;

/**
 * How long `sotto start` waits for a first peer before it says that none is
 * reachable (and what to do). Dials of bootstrap and remembered peers end
 * sooner when they fail (a refused connection takes milliseconds); mDNS
 * only answers when someone else is there, so with it on the whole wait is
 * spent. A LAN peer answers mDNS within a second.
 */
export const START_PEER_WAIT_MS = 10_000;

/**
 * How long a `sotto` process may keep running once its command is done
 * before it is ended (src/app/cli/exit.ts). node-datachannel, under
 * @libp2p/webrtc, never releases the native callbacks of a data channel
 * that closed before it opened (a WebRTC dial that failed or was stopped;
 * on the answering side, the first channel, which the dialler closes at
 * once), and they keep Node's event loop alive for ever. After a node's
 * stop a process ends by itself within about a second (libp2p's
 * address-change debounce), or a little later when WebRTC's native
 * teardown is slow; cutting that short is harmless, every connection
 * being closed and the database too. Short, so that leaving the chat
 * still takes about a second.
 */
export const EXIT_AFTER_COMMAND_MS = 1_000;

// ---------------------------------------------------------------------------
// Mailboxes (store-and-forward) and published bundles
// ---------------------------------------------------------------------------

/** Deposit, fetch and acknowledge mail held for offline peers. */
export const MAILBOX_PROTOCOL = `${PROTOCOL_PREFIX}/mailbox/1.0.0`;
/** Prefix hashed with a recipient's peer id into its mailbox key: H(label || peer id). */
export const LABEL_MAILBOX = 'sotto/v1/mailbox';
/** Signature context of a custody receipt. */
export const LABEL_CUSTODY = 'sotto/v1/custody';
/** Signature context of a mailbox pass (a recipient lets one contact deposit for it). */
export const LABEL_MAILBOX_PASS = 'sotto/v1/mailbox-pass';
/**
 * How long a mailbox pass is valid. A recipient gives each contact a pass and
 * renews it when less than MAILBOX_PASS_RENEW_BEFORE_MS is left, so a contact
 * offline for weeks still holds a valid one; a contact the recipient removed
 * keeps its pass until it expires (it only buys mailbox room, never a
 * conversation).
 */
export const MAILBOX_PASS_TTL_MS = 60 * 24 * 60 * 60 * 1000;
export const MAILBOX_PASS_RENEW_BEFORE_MS = 30 * 24 * 60 * 60 * 1000;
/** How often a node checks whether its contacts' passes need renewing. */
export const MAILBOX_PASS_CHECK_INTERVAL_MS = 24 * 60 * 60 * 1000;
/** Signature context of a bundle record published in the DHT. */
export const LABEL_BUNDLE_RECORD = 'sotto/v1/bundle-record';
/** Mailboxes a sender places each message with (the k closest to the mailbox key). */
export const MAILBOX_REPLICAS = 3;
/** How long a mailbox keeps mail (the recipient has this long to come back). */
export const MAILBOX_TTL_MS = 14 * 24 * 60 * 60 * 1000;
/** Largest sealed item a mailbox accepts: a sealed maximum-size envelope. */
export const MAILBOX_MAX_ITEM_BYTES = 68 * 1024;
/**
 * Items and bytes a mailbox holds for one recipient. A returning peer may
 * find a long backlog (the simulation drains 10,000 messages); beyond this a
 * flood cannot grow one recipient's box further.
 */
export const MAILBOX_MAX_ITEMS_PER_RECIPIENT = 20_000;
export const MAILBOX_MAX_BYTES_PER_RECIPIENT = 64 * 1024 * 1024;
/**
 * What a mailbox holds for one recipient from depositors without the
 * recipient's pass (strangers): a few first messages, never enough to crowd
 * out the recipient's contacts, whose deposits carry passes and count
 * against MAILBOX_MAX_*_PER_RECIPIENT only.
 */
export const MAILBOX_STRANGER_ITEMS_PER_RECIPIENT = 64;
export const MAILBOX_STRANGER_BYTES_PER_RECIPIENT = 1024 * 1024;
/** Stranger deposits one depositing peer may make per MAILBOX_DEPOSITOR_WINDOW_MS, over all recipients. */
export const MAILBOX_STRANGER_DEPOSITS_PER_DEPOSITOR = 32;
/**
 * Bytes of stranger mail a mailbox holds in all, as a share of its total
 * bound (1/16: 64 MiB of the default 1 GiB). Fresh peer ids without passes
 * can fill only this share, never the room contacts' mail needs.
 */
export const MAILBOX_STRANGER_SHARE_DIVISOR = 16;
/** Deposits and bytes one depositing peer may make per window (kept in memory). */
export const MAILBOX_MAX_DEPOSITS_PER_DEPOSITOR = 20_000;
export const MAILBOX_MAX_BYTES_PER_DEPOSITOR = 64 * 1024 * 1024;
export const MAILBOX_DEPOSITOR_WINDOW_MS = 60 * 60 * 1000;
/** Default bound on everything a mailbox holds, on disk. */
export const MAILBOX_DEFAULT_MAX_TOTAL_BYTES = 1024 * 1024 * 1024;
/** How often a mailbox sweeps expired mail. */
export const MAILBOX_SWEEP_INTERVAL_MS = 10 * 60 * 1000;
/** Largest /sotto/mailbox frame: a batch of fetched items. */
export const MAX_MAILBOX_FRAME_BYTES = 1024 * 1024;
/** Items a fetcher asks for per request. */
export const MAILBOX_FETCH_BATCH = 1000;
/** How often a running node fetches its mail from its mailboxes. */
export const MAILBOX_POLL_INTERVAL_MS = 60_000;
/** First quick retry of a fetch or a publication that reached too few peers (the DHT is still filling after start). */
export const MAILBOX_RETRY_MS = 2_000;
/** Time allowed for one mailbox exchange. */
export const MAILBOX_TIMEOUT_MS = 15_000;
/** Mailbox candidates asked of the DHT before choosing the k closest that answer. */
export const MAILBOX_CANDIDATES = 20;
/** A bundle record older than this is stale and refused by every node. */
export const BUNDLE_RECORD_MAX_AGE_MS = 30 * 24 * 60 * 60 * 1000;
/** How far in the future a record's time may be (clock skew between peers). */
export const BUNDLE_RECORD_MAX_SKEW_MS = 10 * 60 * 1000;
/** How often a node publishes its bundle record again. */
export const BUNDLE_REPUBLISH_INTERVAL_MS = 6 * 60 * 60 * 1000;
/** Largest bundle record (a bundle is about 1.6 KB). */
export const MAX_BUNDLE_RECORD_BYTES = 4 * 1024;

// ---------------------------------------------------------------------------
// Prekeys: how many one-time prekeys are handed out, and how long prekeys live
// (docs/PROTOCOL.md §5 and "/sotto/prekeys")
// ---------------------------------------------------------------------------

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

/**
 * One-time prekeys one requesting peer (the peer id Noise authenticated) can
 * get at once, and how often it earns another (a token bucket). An honest
 * contact needs one per session it starts; more requests get a last-resort
 * bundle, which still starts a session. Larger lets a peer that resets its
 * sessions often keep forward secrecy from a one-time prekey; smaller makes
 * each peer id drain less.
 */
export const ONE_TIME_PREKEYS_PER_PEER_BURST = 3;
export const ONE_TIME_PREKEYS_PER_PEER_REFILL_MS = 8 * HOUR_MS;
/**
 * One-time prekeys this node hands out at once to all peers together, and how
 * often one more is allowed. Peer ids cost nothing to make, so this is what
 * bounds a drain by many ids; the price is that during such a flood honest new
 * contacts get last-resort bundles too. Chosen so that everything handed out
 * within ONE_TIME_PREKEY_TTL_MS (20 + 30 days / 2 h = 380) fits beside
 * ONE_TIME_PREKEY_TARGET fresh ones in MAX_ONE_TIME_PREKEYS (500): a flood can
 * never leave the node without room to make new ones.
 */
export const ONE_TIME_PREKEYS_BURST = 20;
export const ONE_TIME_PREKEYS_REFILL_MS = 2 * HOUR_MS;
/**
 * Requesting peers whose allowance is remembered (in memory); the peer heard
 * from least recently is forgotten first. A forgotten peer starts again with
 * a full allowance, which the overall limit still bounds. About 100 bytes each.
 */
export const MAX_PREKEY_REQUESTERS_TRACKED = 1024;
/**
 * A one-time prekey handed out and never used is dropped this long after it
 * was handed out (its room goes to a fresh one). The first message that uses
 * it is encrypted when the bundle is fetched and may then wait MAILBOX_TTL_MS
 * (14 days) in mailboxes; the rest covers a sender that was itself offline
 * with the message in its outbox. Longer keeps more late first messages
 * decryptable; shorter frees the room of drained keys sooner.
 */
export const ONE_TIME_PREKEY_TTL_MS = 30 * DAY_MS;
/**
 * How often the signed and KEM prekeys are replaced (the X3DH spec suggests
 * weekly or monthly; Signal clients rotate every few days). A leaked signed
 * prekey exposes first messages sent to it until the next rotation; each
 * rotation adds a retained KEM prekey (3.6 KB) to the stored state.
 */
export const SIGNED_PREKEY_ROTATION_MS = 7 * DAY_MS;
/**
 * How long a superseded signed or KEM prekey is kept after its successor was
 * made. A sender may take a bundle record from the DHT up to
 * BUNDLE_RECORD_MAX_AGE_MS old, and its first message may then wait
 * MAILBOX_TTL_MS in mailboxes; one day more covers clock differences between
 * peers. A first message to a prekey dropped before it arrives cannot be read.
 */
export const SIGNED_PREKEY_RETENTION_MS = BUNDLE_RECORD_MAX_AGE_MS + MAILBOX_TTL_MS + DAY_MS;
/**
 * Longest wait between two prekey maintenance runs (expiry, rotation,
 * retention, top-up), even when nothing falls due sooner: timers stall while
 * a machine sleeps, and a host timer cannot wait more than 24.8 days.
 */
export const PREKEY_MAINTENANCE_MAX_DELAY_MS = HOUR_MS;

// ---------------------------------------------------------------------------
// Invites (docs/PROTOCOL.md, "Invites")
// ---------------------------------------------------------------------------

/**
 * Text prefix of an invite. Upper case, like the base32 that follows, so a
 * QR code holds the whole invite in alphanumeric mode (5.5 bits a character
 * instead of 8: a smaller code that fits a terminal).
 */
export const INVITE_PREFIX = 'SOTTO:';
/** Version byte of the invite body. */
export const INVITE_VERSION = 1;
/** Signature context of an invite. */
export const LABEL_INVITE = 'sotto/v1/invite';
/**
 * Most addresses in an invite. A node on every interface lists a handful
 * (IPv4/IPv6, TCP/WebSocket, a relay); each one costs QR modules.
 */
export const MAX_INVITE_ADDRESSES = 8;
/** Longest address in an invite, in bytes of its binary multiaddr (a relayed address with both peer ids is about 80). */
export const MAX_INVITE_ADDRESS_BYTES = 128;
/**
 * Distinct ports on one host that one contact's invite addresses can make
 * this node dial (a relay's host and port count for its relayed
 * addresses). A node lists its TCP and WebSocket ports, plus a relay that
 * may share the host: three. Addresses on further ports are not dialled, so
 * an invite cannot turn the node into a port scanner of one host; the eight
 * addresses of an invite bound the rest.
 */
export const MAX_CONTACT_DIAL_PORTS_PER_HOST = 3;
/**
 * Prefix lengths of the subnet assumed around one of this node's own
 * addresses when no interface says better (a browser page knows no
 * interfaces, only its relay's address): a private invite address in it
 * is dialled. The common LAN sizes.
 */
export const OWN_SUBNET_PREFIX_IPV4 = 24;
export const OWN_SUBNET_PREFIX_IPV6 = 64;
/** Longest name in an invite, in UTF-8 bytes (one length byte; a 64-character name of 1 to 3-byte characters fits). */
export const MAX_INVITE_NAME_BYTES = 255;
/**
 * Largest invite body and signature, in bytes: version, key, time, the
 * longest name, the most and longest addresses, the signature (1,394).
 */
export const MAX_INVITE_BYTES = 1 + 32 + 8 + 1 + MAX_INVITE_NAME_BYTES + 1 + MAX_INVITE_ADDRESSES * (1 + MAX_INVITE_ADDRESS_BYTES) + 64;
/** Longest invite text: the prefix and the base32 of MAX_INVITE_BYTES (2,237). Longer input is refused before decoding. */
export const MAX_INVITE_TEXT_LENGTH = INVITE_PREFIX.length + Math.ceil((MAX_INVITE_BYTES * 8) / 5);

// ---------------------------------------------------------------------------
// Browser peers (docs/WEB.md)
// ---------------------------------------------------------------------------

/**
 * Port `sotto start --web` serves the browser app on when none is given.
 * Fixed, not random: a browser keeps a page's IndexedDB per origin, port
 * included, so the same port is what brings a browser identity back.
 */
export const WEB_DEFAULT_PORT = 7420;
/** Address the browser app is served on: this machine only. */
export const WEB_HOST = '127.0.0.1';
/** Version of the /config.json document the page reads. */
export const WEB_CONFIG_VERSION = 1;
/** Most relay addresses /config.json hands a page (each is dialled at start). */
export const WEB_MAX_RELAYS = 4;
/** Largest file the app server reads into memory at start (the built app's files are far smaller). */
export const WEB_MAX_FILE_BYTES = 8 * 1024 * 1024;
/**
 * Largest received picture the page previews: a preview reads the whole
 * file into a Blob for an <img> and lets the browser decode it; a larger
 * one (a peer's choice) is offered only to save, so a conversation cannot
 * be made to hold gigabytes of images at once.
 */
export const WEB_PREVIEW_MAX_BYTES = 16 * 1024 * 1024;

// ---------------------------------------------------------------------------
// Streams a remote peer may hold open on this node
// ---------------------------------------------------------------------------

/**
 * Inbound /sotto/msg streams one connection may hold open at once. A sender
 * pipelines its whole window over one stream; the rest covers restarts and
 * retries that overlap. libp2p resets a stream over the limit as it arrives.
 */
export const MAX_INBOUND_MSG_STREAMS = 32;
/** Inbound /sotto/prekeys streams per connection: one fetch at a time is the norm. */
export const MAX_INBOUND_PREKEYS_STREAMS = 8;
/**
 * Inbound /sotto/mailbox streams per connection. Each stream has at most one
 * request being served (deposit, fetch or ack, answered before the next is
 * read), so this also bounds a peer's pending deposits per connection.
 */
export const MAX_INBOUND_MAILBOX_STREAMS = 32;

// ---------------------------------------------------------------------------
// The local store
// ---------------------------------------------------------------------------

/**
 * Longest mailbox key or item id a stored held item carries, in UTF-8 bytes
 * (both are 64 hex characters; the bound keeps a corrupt record from asking
 * for a large read).
 */
export const STORE_MAX_MAIL_NAME_BYTES = 128;
/**
 * Records one migration batch rewrites (docs/PROTOCOL.md §16). Each batch is
 * one atomic write, so this bounds the memory a migration holds and the work
 * redone after a crash; smaller batches mean more synced writes (about one
 * fsync each).
 */
export const STORE_MIGRATION_BATCH_RECORDS = 512;
/**
 * Value bytes one migration batch holds at most, whatever its record count
 * (held mail items are up to 68 KiB each): bounds a migration's memory.
 */
export const STORE_MIGRATION_BATCH_BYTES = 4 * 1024 * 1024;
// Circuit relay server (`--relay`, and `--web`, which needs it)
// ---------------------------------------------------------------------------

/**
 * Relay slots (circuit relay v2 reservations) this node holds at once, for
 * all peers together (libp2p default: 15). A slot is what lets a browser
 * page or a peer behind NAT be reached through this node; each costs a
 * little memory and the right to have circuits opened to its holder. Pages
 * of this machine need one each; a relay for a small team a few dozen.
 */
export const RELAY_MAX_RESERVATIONS = 32;
/**
 * Relay slots held by peers connected from one IP address. Peer ids are
 * free, so without it one host could take every slot; every page of this
 * machine comes from 127.0.0.1 and shares this number, as do the peers
 * behind one NAT.
 */
export const RELAY_MAX_RESERVATIONS_PER_IP = 8;
/**
 * How long a relay slot lasts before its holder must renew it (libp2p
 * default: 2 h; clients renew 5 min before the end). Shorter frees the
 * slots of peers that left sooner, at one small renewal per holder and hour.
 */
export const RELAY_RESERVATION_TTL_MS = 60 * 60 * 1000;
/**
 * Bytes one relayed connection may carry, both ways together, before the
 * relay resets it (go-libp2p's and js-libp2p's default is 128 KiB, sized for
 * hole-punch signalling only). Sotto's relays carry messages between peers
 * that cannot connect directly (a symmetric NAT), so one circuit must hold
 * the largest mailbox frame (MAX_MAILBOX_FRAME_BYTES, 1 MiB) several times
 * over, about 60 of the largest messages or thousands of short ones; at
 * 128 KiB a mailbox batch could never cross a relay and two large messages
 * could not share a circuit. When it is used up the sender opens a new
 * circuit; this bounds one circuit, not what a peer relays in all.
 */
export const RELAY_DATA_LIMIT_BYTES = 4 * 1024 * 1024;
/**
 * How long one relayed connection may stay open (libp2p default: 2 min).
 * Long enough for a conversation's burst and a mailbox drain; a longer
 * one opens a new circuit, which costs a Noise handshake through the relay.
 */
export const RELAY_DURATION_LIMIT_MS = 10 * 60 * 1000;
/** Time a peer has to complete a relay request (reserve or connect) on its stream (libp2p default: 30 s). */
export const RELAY_HOP_TIMEOUT_MS = 10_000;
/**
 * Relay request streams one connection may hold open at once (the registrar
 * default, made explicit): a connect request's stream carries the relayed
 * connection, so this is also how many circuits one peer runs through this
 * relay at once.
 */
export const MAX_RELAY_HOP_STREAMS = 32;
/**
 * Circuits this relay opens to one slot holder at once (libp2p default:
 * 300): how many peers can be signalling to one page at the same moment.
 */
export const MAX_RELAY_STOP_STREAMS = 32;

// ---------------------------------------------------------------------------
// Crossing NATs: AutoNAT, relay slots of our own, DCUtR, UPnP
// ---------------------------------------------------------------------------

/**
 * Relays a node that is not reachable from the internet holds a slot on at
 * once. Two: when one relay goes away the node stays reachable through the
 * other while it looks for a replacement; each slot costs a relay operator
 * a place among its RELAY_MAX_RESERVATIONS.
 */
export const RELAY_SLOTS_WANTED = 2;
/** A relay that refused a slot or could not be reached is not asked again for this long. */
export const RELAY_RETRY_DELAY_MS = 60_000;
/**
 * How often a node short of relay slots looks at its peers again (those
 * connected, then those its peer store knows to be relays). New connections
 * trigger a look at once; this covers relays that came back.
 */
export const RELAY_SEARCH_INTERVAL_MS = 30_000;
/** Relays a node dials at once while it looks for slots (peers it knows run a relay but is not connected to). */
export const RELAY_SEARCH_DIALS = 3;
/**
 * Requests for one relay slot before the node gives up until its next
 * connection to that relay: the first can share the refusal of a request
 * libp2p's own relay discovery made at the same moment (a request for the
 * same relay joins it).
 */
export const RELAY_RESERVE_ATTEMPTS = 3;
/** How long an AutoNAT dial-back may take, asked or answered (the library's default, 30 s). */
export const AUTONAT_TIMEOUT_MS = 30_000;
/** AutoNAT requests one connection may have open at once (the library's default): each makes this node dial the asking peer back. */
export const MAX_AUTONAT_INBOUND_STREAMS = 2;
/** How long one DCUtR upgrade attempt may take (the library's default, go-libp2p's too). */
export const DCUTR_TIMEOUT_MS = 5_000;
/** DCUtR attempts per relayed connection (the library's default). */
export const DCUTR_ATTEMPTS = 3;
/** DCUtR streams one connection may have open at once (the library's default): an upgrade needs one. */
export const MAX_DCUTR_INBOUND_STREAMS = 1;
/**
 * How long a lookup for the closest peers waits before answering "none"
 * when the routing table is empty. libp2p's random walk (AutoNAT runs it
 * every minute while an address is unverified) repeats such lookups in a
 * loop, and with an empty table each one ends without yielding to the event
 * loop: a lone node with a public address froze a minute after start.
 */
export const EMPTY_ROUTING_TABLE_PAUSE_MS = 1_000;

// Groups (docs/GROUPS.md, PROTOCOL.md §24).

/** Version byte of every group frame and group record (PROTOCOL.md §24). */
export const GROUP_WIRE_VERSION = 1;
/**
 * Most members (leaves) a group may have. The target; every figure of
 * `npm run bench -- groups` is measured up to it, and a Welcome to a group of
 * this size (it carries the ratchet tree) stays under MAX_GROUP_WELCOME_BYTES.
 */
export const MAX_GROUP_MEMBERS = 1000;
/**
 * Largest group application frame: the longest text (MAX_TEXT_BYTES) with
 * its payload header, MLS framing, padding and signature.
 */
export const MAX_GROUP_MESSAGE_BYTES = 72 * 1024;
/**
 * Largest group operation (one or two commits). A commit's UpdatePath holds
 * one X-Wing ciphertext (≈ 1.2 KB) per node of the copath's resolution: about
 * log2 N in a filled tree, up to N − 1 in a tree whose parents are blank (a
 * group just made by adds), so 1,000 members need ≈ 1.3 MB for one commit,
 * twice that for a removal and its sealing commit.
 */
export const MAX_GROUP_OPERATION_BYTES = 3 * 1024 * 1024;
/** Largest Welcome: group secrets for each new member plus the ratchet tree (2.7 MB at 1,000 members with X-Wing keys). */
export const MAX_GROUP_WELCOME_BYTES = 4 * 1024 * 1024;
/** Largest published key package record: an X-Wing init key and leaf key (1,216 bytes each), a credential and signatures. */
export const MAX_GROUP_KEY_PACKAGE_BYTES = 4 * 1024;
/** Longest a published key package is valid (its record's notAfter − now at creation): a month, as signed prekeys. */
export const GROUP_KEY_PACKAGE_LIFETIME_MS = 30 * 24 * 3600 * 1000;
/**
 * Operations a member can roll back to resolve concurrent commits (the fork
 * choice horizon, as Marmot's max_rewind_commits). A branch forking further
 * back is never chosen: its authors re-apply their changes on the canonical
 * branch. Each costs one kept snapshot of the group state.
 */
export const GROUP_MAX_REWIND_OPERATIONS = 3;
/** Competing branches a member holds at once while the fork choice runs; the oldest is dropped beyond it. */
export const MAX_GROUP_SIDE_BRANCHES = 4;
/**
 * Past epochs whose receiving keys are kept for late messages (a message sent
 * just before a commit and delivered after it). Bounded by count here and by
 * GROUP_PAST_EPOCH_KEYS_MAX_AGE_MS: forward secrecy for a past epoch begins
 * when its keys go.
 */
export const GROUP_PAST_EPOCHS_KEPT = 4;
/**
 * Longest the receiving keys of a past epoch are kept after it ended: the
 * mailbox TTL, so that nothing a mailbox still holds becomes unreadable.
 */
export const GROUP_PAST_EPOCH_KEYS_MAX_AGE_MS = 14 * 24 * 3600 * 1000;
/** Message keys a member keeps per sender for messages that arrive out of order within an epoch. */
export const GROUP_RETAINED_GENERATIONS = 100;
/**
 * Largest jump forward in one sender's chain within an epoch (messages
 * skipped). Bounds the work a forged generation number can cause.
 */
export const MAX_GROUP_FORWARD_STEPS = 1000;
/** Digests of processed group frames remembered per group, to refuse replays before any key is touched. */
export const MAX_GROUP_SEEN_DIGESTS = 10_000;
/** A member updates its own keys (an empty commit) after sending this many messages since its last commit. */
export const GROUP_SELF_UPDATE_AFTER_MESSAGES = 100;
/** A member updates its own keys when its last commit is older than this (and at once after joining). */
export const GROUP_SELF_UPDATE_AFTER_MS = 7 * 24 * 3600 * 1000;

// Group delivery (docs/GROUPS.md "Delivery", PROTOCOL.md §24a).

/** The protocol members use to hand a group frame straight to another member who is online. */
export const GROUP_PROTOCOL = `${PROTOCOL_PREFIX}/group/1.0.0`;
/**
 * Largest /sotto/group frame: a mailbox item's size. A group frame larger
 * than GROUP_CHUNK_BYTES travels as chunks (PROTOCOL.md §24b).
 */
export const MAX_GROUP_STREAM_FRAME_BYTES = 72 * 1024;
/**
 * Bytes of a group frame one chunk carries (PROTOCOL.md §24b). A chunk with
 * its 46-byte header must fit a mailbox item (MAILBOX_MAX_ITEM_BYTES), a
 * /sotto/group frame and, inside an invitation payload, a 1:1 message
 * (whose text limit is 60 KiB); 56 KiB leaves room for every header.
 */
export const GROUP_CHUNK_BYTES = 56 * 1024;
/**
 * Largest group frame carried in chunks: the largest Welcome (a 1,000-member
 * X-Wing tree, MAX_GROUP_WELCOME_BYTES), which bounds an operation too.
 */
export const MAX_GROUP_CHUNKED_FRAME_BYTES = 4 * 1024 * 1024;
/** Most chunks of one frame: enough for MAX_GROUP_CHUNKED_FRAME_BYTES at GROUP_CHUNK_BYTES each. */
export const MAX_GROUP_CHUNKS = Math.ceil(MAX_GROUP_CHUNKED_FRAME_BYTES / GROUP_CHUNK_BYTES);
/**
 * Time a member allows one /sotto/group stream to bring all chunks of a
 * frame (MAX_GROUP_CHUNKS at a slow link's pace); past it the stream is
 * dropped with what it brought.
 */
export const GROUP_CHUNKED_RECEIVE_TIMEOUT_MS = 60_000;
/**
 * Chunked /sotto/group streams one peer may have open at once (each holds
 * up to MAX_GROUP_CHUNKED_FRAME_BYTES in memory); a second is answered
 * `retry`.
 */
export const MAX_GROUP_CHUNKED_STREAMS_PER_PEER = 1;
/** Chunked /sotto/group streams a member serves at once from all peers: at most 32 MiB held for reassembly. */
export const MAX_GROUP_CHUNKED_STREAMS = 8;
/**
 * Incomplete chunked invitations kept per sender (each chunk a stored
 * invitation record until the set is whole); the oldest set beyond it is
 * dropped, so a stranger cannot fill the store with pieces.
 */
export const MAX_GROUP_PARTIAL_INVITATIONS_PER_PEER = 2;
/**
 * How long the chunks of an incomplete invitation are kept after the newest
 * of them arrived: the mailbox TTL, after which no missing chunk can still
 * come from a mailbox.
 */
export const GROUP_PARTIAL_INVITATION_TTL_MS = 14 * 24 * 3600 * 1000;
/** Time allowed for handing one frame to one member directly (dial, write, ack). */
export const GROUP_DIRECT_TIMEOUT_MS = 5_000;
/**
 * An operation (or a leave proposal) is handed on directly to every member
 * not yet reached for this long even once k mailboxes hold it (retried with
 * the backoff of RETRY_MAX_MS at most): after a partition the other side
 * fetches from the mailboxes closest to the group's key, which need not be
 * those the operation's side could reach, and an operation it never sees
 * splits the group for good. As long as the mailbox copies live; costs a
 * dial per member away per retry while it lasts.
 */
export const GROUP_OPERATION_HANDOFF_MS = MAILBOX_TTL_MS;
/** Members a sender hands a frame to at the same time (the rest wait their turn). */
export const GROUP_FANOUT_CONCURRENCY = 16;
/**
 * Dormant group outbox entries kept: messages that k mailboxes hold but
 * some members have not acked, kept (without timer dials) to hand on when a
 * connection to such a member opens, until MAILBOX_TTL_MS since they were
 * made. Beyond it the oldest are dropped first (a member offline for good
 * leaves no unbounded outbox): they are in the mailboxes anyway.
 */
export const MAX_GROUP_DORMANT_ENTRIES = 500;
/**
 * Dormant frames handed to one member per batch when a connection to it
 * opens (in queue order; another batch follows while it acks them all).
 */
export const GROUP_DORMANT_HANDOFF_BATCH = 32;
/** Label of a group mailbox key: SHA-256(label || the group's mailbox token). */
export const LABEL_GROUP_MAILBOX = 'sotto/v1/group-mailbox';
/** Bytes of a group's mailbox token (random, chosen by the group's creator, sent in every invitation). */
export const GROUP_MAILBOX_TOKEN_BYTES = 32;
/** How often a running node fetches its groups' frames from their mailboxes. */
export const GROUP_POLL_INTERVAL_MS = 60_000;
/**
 * How soon after refusing a frame of one of its groups (a frame ahead of its
 * epoch, a sender it does not know as a member yet), or after joining a
 * group, a member fetches that group's mailboxes: long enough for the sender
 * to have deposited the frame there (it does so right after handing it
 * on), short against GROUP_POLL_INTERVAL_MS. Refusals while a fetch is due
 * add nothing (one fetch per group at a time).
 */
export const GROUP_CATCH_UP_DELAY_MS = 2_000;
/**
 * Catch-up fetches after one refusal when a fetch brings nothing new (the
 * frame was not in the mailboxes yet): GROUP_CATCH_UP_DELAY_MS, then twice
 * as long each time (2, 4, 8 s); after that the group poll takes over.
 */
export const GROUP_CATCH_UP_ATTEMPTS = 3;
/** The protocol an adder uses to ask a peer online now for a fresh key package (docs/PROTOCOL.md §24c). */
export const GROUP_KEY_PACKAGE_PROTOCOL = `${PROTOCOL_PREFIX}/keypackage/1.0.0`;
/** Largest /sotto/keypackage frame: a key package record (MAX_GROUP_KEY_PACKAGE_BYTES) with its 6-byte header. */
export const MAX_GROUP_KEY_PACKAGE_FRAME_BYTES = 4 * 1024 + 6;
/** Time allowed for a whole /sotto/keypackage exchange (making an X-Wing key package takes milliseconds). */
export const GROUP_KEY_PACKAGE_REQUEST_TIMEOUT_MS = 10_000;
/**
 * Key packages one requesting peer gets at once live, and how often it earns
 * another (a token bucket, as one-time prekeys). Each costs the server a key
 * package secret kept up to 30 days (MAX_GROUP_KEY_PACKAGE_SECRETS bounds
 * them all); an honest adder needs one per group it adds this person to.
 */
export const GROUP_KEY_PACKAGES_PER_PEER_BURST = 3;
export const GROUP_KEY_PACKAGES_PER_PEER_REFILL_MS = 8 * 3600 * 1000;
/**
 * Key packages handed out live to all peers together, and how often one more
 * is allowed: bounds a drain by many peer ids to 20 + 12 a day, far inside
 * MAX_GROUP_KEY_PACKAGE_SECRETS over a key package's 30-day life.
 */
export const GROUP_KEY_PACKAGES_BURST = 20;
export const GROUP_KEY_PACKAGES_REFILL_MS = 2 * 3600 * 1000;
/** Longest group name (UTF-8 bytes): a contact name's limit. */
export const MAX_GROUP_NAME_BYTES = 64;
/**
 * Key package secrets a node keeps at once (one per contact it sent a key
 * package to, plus those handed out live). Beyond it the oldest go: an adder
 * holding that key package gets a Welcome nobody can use, and asks again.
 */
export const MAX_GROUP_KEY_PACKAGE_SECRETS = 2_000;
/**
 * Received group messages a member processes before it writes the group
 * state again (an operation or a send writes it at once). A crash loses at
 * most this many ratchet steps, which the member redoes from the mailboxes;
 * the messages themselves are stored as they arrive and de-duplicated by id.
 */
export const GROUP_STATE_WRITE_AFTER_MESSAGES = 50;
/** Processed mailbox items a member remembers per group (marks older than the mailbox TTL are swept). */
export const GROUP_SEEN_ITEM_TTL_MS = 15 * 24 * 3600 * 1000;
// ---------------------------------------------------------------------------
// Direct connections across NATs: STUN on relays, WebRTC upgrades
// ---------------------------------------------------------------------------

/**
 * Largest STUN request a relay answers, in bytes (the datagram). RFC 8489
 * keeps STUN over UDP under 548 bytes (576, IPv4's smallest datagram every
 * host takes, less headers); a Binding request from an ICE agent carries a
 * few short attributes at most.
 */
export const STUN_MAX_REQUEST_BYTES = 548;
/**
 * STUN answers a relay sends per second, all senders together (also the
 * burst). Each WebRTC connection of a slot holder asks a few times while it
 * gathers candidates; the bound is what a forged source address can draw
 * at a victim: at most 200 datagrams of 32–44 bytes a second. Beyond it a
 * request gets no answer, and that peer's ICE goes on with its own
 * addresses.
 */
export const STUN_MAX_ANSWERS_PER_SECOND = 200;
/**
 * STUN servers a node's WebRTC asks at once (its relays'): @libp2p/webrtc
 * notes that five or more make the WebRTC stack warn, and two relays are
 * what a node holds (RELAY_SLOTS_WANTED) beside its kept ones.
 */
export const ICE_MAX_STUN_SERVERS = 4;
/**
 * How long one attempt to turn a relayed connection into a direct WebRTC
 * one may take: signalling through the relay, ICE, DTLS and SCTP took
 * 250–1,300 ms here, and where no path exists (a symmetric NAT) ICE never
 * finds a pair and the attempt is cut off. The relayed connection carries
 * the messages meanwhile. Longer than libp2p's inbound upgrade timeout
 * (10 s), so that the answering side gives up first, on its own timer:
 * @libp2p/webrtc 6.0.33 takes a signalling stream the dialling side
 * resets for the end of a successful exchange, and the answering side was
 * left with an open "connection" that no ICE pair carried (seen through
 * the symmetric NAT of test/nat until the ICE failure closed it).
 */
export const WEBRTC_UPGRADE_TIMEOUT_MS = 15_000;
/**
 * A peer a WebRTC upgrade failed with (a symmetric NAT between them) is not
 * tried again for this long; the relay carries on. Each attempt costs a few
 * STUN requests and a signalling exchange through the relay.
 */
export const WEBRTC_UPGRADE_RETRY_MS = 10 * 60 * 1000;
/**
 * After a first failed WebRTC upgrade with a peer, the node tries once more
 * after this long by itself, while the relayed connection is open: a first
 * attempt fails now and then where a second succeeds (seen on a LAN bridge
 * with both nodes behind one relay, about one run in five); only a second
 * failure rests the peer for WEBRTC_UPGRADE_RETRY_MS.
 */
export const WEBRTC_UPGRADE_FIRST_RETRY_MS = 20_000;
/**
 * A WebRTC connection must open a stream within this long. The dialling side
 * of an upgrade can see its connection open while the other side never
 * finished it: a stream then waits for its data channel forever (seen about
 * one run in three of test/web/reach, a page's message queued behind such a
 * connection). So an upgrade proves its connection with one stream before
 * the relayed one is closed, and a stream that a WebRTC connection does not
 * open in time aborts that connection; the next attempt takes the relayed
 * one or dials again. A live connection opens one in milliseconds.
 */
export const WEBRTC_STREAM_OPEN_TIMEOUT_MS = 4_000;

// ---------------------------------------------------------------------------
// Files (docs/FILES.md, docs/PROTOCOL.md §25)
// ---------------------------------------------------------------------------

export { FILE_CHUNK_BYTES, FILE_MAX_BYTES } from '../crypto/constants.ts';
/** Protocol id of the file transfer: manifests, chunks and bitmaps from a holder. */
export const FILE_PROTOCOL = `${PROTOCOL_PREFIX}/file/1.0.0`;
/** Largest file carried inside its message (its one sealed chunk), so through mailboxes too. */
export const FILE_INLINE_MAX_BYTES = 32 * 1024;
/** Chunks asked and not yet answered on one stream (2 MiB in flight per holder). */
export const FILE_WINDOW_CHUNKS = 8;
/** Holders a fetch takes chunks from at once. */
export const FILE_MAX_HOLDERS = 4;
/** Chunk hashes in one HASHES answer (64 KiB). */
export const FILE_MANIFEST_PAGE_HASHES = 2048;
/** Largest file name, UTF-8 bytes (a file system's name limit). */
export const MAX_FILE_NAME_BYTES = 255;
/** Largest media type, bytes (RFC 6838). */
export const MAX_FILE_TYPE_BYTES = 127;
/** Largest `/sotto/file` frame: a CHUNK frame of a full chunk (2 + 4 + 262,144 + 16). */
export const FILE_MAX_FRAME_BYTES = 2 + 4 + 256 * 1024 + 16;
/** Open `/sotto/file` streams a holder serves one peer at once; more are refused `busy`. */
export const FILE_MAX_STREAMS_PER_PEER = 4;
/** A holder closes a `/sotto/file` stream with no request for this long. */
export const FILE_STREAM_IDLE_MS = 30_000;
/** A fetcher drops a holder that sends no answer for this long while it has chunks asked (a holder that stalls, not one that is slow: a chunk on a 100 kB/s relay takes under 3 s). */
export const FILE_ANSWER_TIMEOUT_MS = 30_000;
/**
 * Inbound `/sotto/file` streams per connection that libp2p lets through to
 * the holder: twice FILE_MAX_STREAMS_PER_PEER, so a peer past its streams
 * is answered `busy` (a reason it can act on) rather than reset by libp2p.
 */
export const MAX_INBOUND_FILE_STREAMS = 2 * FILE_MAX_STREAMS_PER_PEER;
/** Received files a home keeps by default, bytes (`sotto config set files-quota SIZE`). */
export const FILES_DEFAULT_QUOTA_BYTES = 10 * 1024 * 1024 * 1024;
/** Files a node fetches at once (each from up to FILE_MAX_HOLDERS holders). */
export const FILE_MAX_CONCURRENT_FETCHES = 2;
/** A fetch that ended with chunks missing (no holder reachable) is tried again after this, or when a holder connects. */
export const FILE_FETCH_RETRY_MS = 60_000;
/** A fetch tells its progress at most this often. */
export const FILE_PROGRESS_INTERVAL_MS = 250;
/**
 * Longest wait for a connected contact's HAVE answer when the sender's
 * history asks how far it fetched a 1:1 file (docs/FILES.md, "What the
 * sender sees"); past it the last answer (or `pending`) is shown.
 */
export const FILE_SENT_QUERY_TIMEOUT_MS = 2_000;
