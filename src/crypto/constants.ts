/**
 * Every label, size and limit of Sotto's cryptographic protocol, in one place.
 * docs/PROTOCOL.md quotes these values; change them only together with the spec
 * and its version.
 */
import { utf8 } from './bytes.ts';

// ---------------------------------------------------------------------------
// Versions
// ---------------------------------------------------------------------------

/**
 * The spec version (docs/PROTOCOL.md). Each domain-separation label carries
 * the version of its own construction: "sotto/v1/..." for those version 2
 * kept, "sotto/v2/..." for those it changed or added.
 */
export const SPEC_VERSION = 2;
/** Wire format version byte of envelopes and sealed mail. */
export const WIRE_VERSION = 1;
/**
 * Version byte of envelopes (§9). Version 2 carries the post-quantum ratchet
 * (§7a) and binds the KEM key and ciphertext into the agreement (§6); a
 * version-1 envelope is refused with VersionTooOld.
 */
export const ENVELOPE_VERSION = 2;
/**
 * Version byte of a prekey bundle. Version 2 may carry a one-time ML-KEM
 * prekey in the KEM fields (same layout as 1); a version 1 bundle comes from
 * a peer that needs upgrading (VersionTooOld).
 */
export const BUNDLE_VERSION = 2;
/** Storage schema version byte of persisted crypto records (separate from the wire). */
export const STORAGE_VERSION = 1;
/**
 * Storage version of session records (§11). Version 2 adds the post-quantum
 * ratchet's state; a version-1 record is still read and upgraded in place.
 */
export const SESSION_STORAGE_VERSION = 2;
/** The oldest session-record storage version this build reads. */
export const OLDEST_SESSION_STORAGE_VERSION = 1;
/**
 * Storage version of the prekey state. Version 3 adds the one-time ML-KEM
 * prekeys; version 2 (which recorded when each one-time prekey was handed
 * out) and version 1 (which only marked them handed out) are still read.
 */
export const PREKEY_STORAGE_VERSION = 3;
/** The oldest prekey-state storage version this build reads. */
export const OLDEST_PREKEY_STORAGE_VERSION = 1;

// ---------------------------------------------------------------------------
// Domain-separation labels (HKDF info strings, signature contexts)
// ---------------------------------------------------------------------------

/** Signature context for the X25519 identity key certified by the Ed25519 identity key. */
export const LABEL_IDENTITY_CERT = utf8('sotto/v1/identity-x25519');
/** Signature context for a signed X25519 prekey. */
export const LABEL_SIGNED_PREKEY = utf8('sotto/v1/signed-prekey');
/** Signature context for a signed ML-KEM-768 prekey. */
export const LABEL_KEM_PREKEY = utf8('sotto/v1/kem-prekey');
/** HKDF info of the PQXDH-style session agreement. */
export const LABEL_PQXDH = 'sotto/v1/pqxdh/x25519-mlkem768-sha256';
/** HKDF info of the root-key step of the Double Ratchet (KDF_RK). */
export const LABEL_RATCHET = 'sotto/v1/ratchet';
/** HKDF info that expands a message-key seed into the AEAD key. */
export const LABEL_MESSAGE_KEY = 'sotto/v1/message-key';
/** HKDF info of a v2 message key: the message-key seed under the PQ epoch key (§7a). */
export const LABEL_MESSAGE_KEY_V2 = 'sotto/v2/message-key';
/** HKDF info of the v2 session agreement; the KEM key and ciphertext digests follow it (§6). */
export const LABEL_PQXDH_V2 = 'sotto/v2/pqxdh/x25519-mlkem768-sha256';
/** HKDF info of a PQ epoch key: the KEM secret under the previous epoch key (§7a). */
export const LABEL_PQ_EPOCH = 'sotto/v2/pq-epoch';
/** Prefix of the associated data that binds both identities to every message. */
export const LABEL_ASSOCIATED_DATA = utf8('sotto/v1/ad');
/** Prefix hashed into each party's safety-number fingerprint. */
export const LABEL_SAFETY_NUMBER = utf8('sotto/v1/safety-number');
/** Prefix of the QR payload that carries a safety number. */
export const SAFETY_NUMBER_QR_PREFIX = 'sotto-sn:1:';

// ---------------------------------------------------------------------------
// Sizes (bytes)
// ---------------------------------------------------------------------------

export const X25519_KEY_BYTES = 32;
export const ED25519_KEY_BYTES = 32;
export const ED25519_SIGNATURE_BYTES = 64;
export const MLKEM768_PUBLIC_KEY_BYTES = 1184;
export const MLKEM768_SECRET_KEY_BYTES = 2400;
export const MLKEM768_CIPHERTEXT_BYTES = 1088;
export const MLKEM768_SEED_BYTES = 64;
export const MLKEM768_ENCAPS_RANDOM_BYTES = 32;
export const SYMMETRIC_KEY_BYTES = 32;
/** XChaCha20-Poly1305 nonce (sealed mail draws it whole; a ratchet message carries WIRE_NONCE_BYTES of it). */
export const NONCE_BYTES = 24;
export const AEAD_TAG_BYTES = 16;
/** Random nonce bytes a v2 message carries; the AEAD nonce is these followed by 8 zero bytes (§7). */
export const WIRE_NONCE_BYTES = 16;
/**
 * Header plaintext (v2): ratchet public key (32) || previous chain length (u32)
 * || counter (u32) || PQ epoch (u32) || first part (u8) || part count (u8).
 */
export const HEADER_PLAINTEXT_BYTES = X25519_KEY_BYTES + 4 + 4 + 4 + 1 + 1;
export const HEADER_CIPHERTEXT_BYTES = HEADER_PLAINTEXT_BYTES + AEAD_TAG_BYTES;
/** The first 32 bytes of the PQXDH key material: 0xFF * 32, as in X3DH/PQXDH for X25519. */
export const PQXDH_PREFIX = new Uint8Array(32).fill(0xff);
/** Safety number: 30 digits per party, from 30 fingerprint bytes in six 5-byte chunks. */
export const SAFETY_NUMBER_DIGITS_PER_PARTY = 30;
/** SHA-512 iterations per safety-number fingerprint (as Signal: slows down targeted collisions). */
export const SAFETY_NUMBER_ITERATIONS = 5200;
/** Bytes of each party's fingerprint carried in the QR payload. */
export const SAFETY_NUMBER_QR_FINGERPRINT_BYTES = 32;

// ---------------------------------------------------------------------------
// Limits, each with the trade-off it makes
// ---------------------------------------------------------------------------

/**
 * Largest plaintext one message may carry. Chat text and receipts are far
 * smaller; attachments are split above this layer. Bounds decoder allocation.
 */
export const MAX_PLAINTEXT_BYTES = 64 * 1024;
/**
 * Plaintexts are padded to a multiple of this, hiding exact lengths from the
 * peers that store mail (Signal pads to 160). Costs at most 63 bytes a message.
 */
export const PADDING_BLOCK_BYTES = 64;
/**
 * Largest counter jump accepted in one chain, including the previous-chain gap
 * (pn - Nr) checked before a DH step. Matches libsignal's 25,000: a device
 * offline for a long time can receive a long burst; beyond this the work to
 * advance the chain becomes a denial-of-service lever.
 */
export const MAX_SKIP = 25_000;
/**
 * Skipped message keys kept per receiving chain. libsignal keeps 2,000. When a
 * jump skips more, only the newest keys are kept (older ones are more likely
 * lost than late); the chain itself still advances by the full jump.
 */
export const MAX_SKIPPED_KEYS_PER_CHAIN = 2_000;
/**
 * Skipped message keys kept per session across all chains; oldest evicted
 * first. Bounds the stored state (about 80 bytes a key, so ~400 KB).
 */
export const MAX_SKIPPED_KEYS_TOTAL = 5_000;
/**
 * Previous receiving chains whose skipped keys are kept (libsignal keeps 5).
 * This is also skipped-key expiry by DH steps: keys from a chain more than
 * this many DH steps old are dropped. Each kept chain costs one extra header
 * trial decryption for a message that fits no current chain.
 */
export const MAX_PREVIOUS_RECEIVING_CHAINS = 5;
/**
 * Skipped keys older than this are dropped. Longer than the mailbox TTL (14
 * days) so that mail delayed in mailboxes still decrypts; shorter keeps
 * compromise of stored state from exposing very old late messages.
 */
export const SKIPPED_KEY_MAX_AGE_MS = 30 * 24 * 60 * 60 * 1000;
/**
 * Sessions kept per contact besides the active one. Old sessions stay to
 * decrypt late messages after a session reset or a simultaneous start.
 */
export const MAX_ARCHIVED_SESSIONS = 4;
/**
 * The post-quantum ratchet (§7a) completes a KEM exchange at least once every
 * this many messages of a conversation (both directions counted) while both
 * sides send: the sending side spreads its KEM material so that it is all out
 * by then. Below SPQR's rate in a ping-pong, at about 47 bytes a message.
 */
export const PQ_EPOCH_MAX_MESSAGES = 50;
/** Messages left over for the round trip that completes an epoch (part of PQ_EPOCH_MAX_MESSAGES). */
export const PQ_EPOCH_MARGIN_MESSAGES = 2;
/**
 * An epoch whose KEM material has been on its way this long goes out whole in
 * the next message, so that a slow conversation still re-keys daily.
 */
export const PQ_EPOCH_MAX_AGE_MS = 24 * 60 * 60 * 1000;
/**
 * Bytes of KEM material in one part; a message carries whole parts. 96 puts a
 * 2,272-byte blob in 24 parts: one a message in a ping-pong finishes within
 * PQ_EPOCH_MAX_MESSAGES.
 */
export const PQ_PART_BYTES = 96;
/**
 * Past PQ epochs whose keys are kept for late messages (besides the newest
 * two). An epoch lasts at least a round trip, so a message later than this
 * many re-keyings is refused as DuplicateMessage; older keys are deleted for
 * forward secrecy.
 */
export const PQ_MAX_KEPT_EPOCHS = 4;
/** Largest message counter the header's u32 can carry. */
export const MAX_CHAIN_COUNTER = 0xffff_ffff;
/** One-time prekeys a device keeps available at most (bounds its stored prekeys). */
export const MAX_ONE_TIME_PREKEYS = 500;
/**
 * One-time ML-KEM prekeys a device keeps at most, handed out or not. They are
 * handed out in the same bundles as the one-time X25519 prekeys, under the
 * same allowance, so the same bound holds: everything handed out within one
 * ONE_TIME_PREKEY_TTL_MS beside a full top-up fits. Each is stored as its
 * 64-byte seed and signature (about 141 bytes), so 500 cost about 70 KB.
 */
export const MAX_ONE_TIME_KEM_PREKEYS = 500;
/**
 * Signed / KEM prekeys kept at most, the current one included. Superseded ones
 * are kept by age (the node's SIGNED_PREKEY_RETENTION_MS, so that late first
 * messages still decrypt); this count is the hard bound on the stored state
 * behind it (each KEM prekey costs about 3.6 KB), with room for a weekly
 * rotation over that retention (8 at once). Beyond it the oldest is dropped.
 */
export const MAX_RETAINED_SIGNED_PREKEYS = 10;

// ---------------------------------------------------------------------------
// Files (docs/PROTOCOL.md §25)
// ---------------------------------------------------------------------------

/** Version byte of a file's chunk associated data and file id input. */
export const FILE_FORMAT_VERSION = 1;
/** Plaintext bytes per chunk (the last one may be shorter). */
export const FILE_CHUNK_BYTES = 256 * 1024;
/** Largest file: 4 GiB (16,384 chunks). */
export const FILE_MAX_BYTES = 4 * 1024 * 1024 * 1024;
/** Bytes of a file key (XChaCha20-Poly1305). */
export const FILE_KEY_BYTES = 32;
/** Bytes of a chunk hash, a file id and a file digest (SHA-256). */
export const FILE_HASH_BYTES = 32;
/** Bytes a seal adds to each chunk (the Poly1305 tag). */
export const FILE_CHUNK_TAG_BYTES = 16;
