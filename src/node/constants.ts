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
 * How long the hash of a processed envelope is kept so that a re-delivery is
 * recognised and acked again. As long as skipped message keys live (30 days):
 * after that a stale copy cannot be decrypted anyway.
 */
export const SEEN_ENVELOPE_TTL_MS = 30 * 24 * 60 * 60 * 1000;
