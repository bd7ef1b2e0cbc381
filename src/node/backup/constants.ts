/**
 * Every label, size and limit of Sotto's backup archive (docs/PROTOCOL.md,
 * "Backup archive"), in one place. The archive is plain bytes (no Node
 * types), so that a browser peer can read the same file.
 */

/** First bytes of every archive: tells a Sotto backup from any other file. */
export const BACKUP_MAGIC = 'SOTTOBAK';
/** The archive format this code writes and reads. Version 1 carries storage schema 1 records. */
export const BACKUP_VERSION = 1;
/** Oldest archive format this code reads. */
export const BACKUP_MIN_VERSION = 1;
/** Key derivation identifier in the header: Argon2id. */
export const BACKUP_KDF_ARGON2ID = 1;

/** Associated data prefix of the body AEAD (the header follows it). */
export const LABEL_BACKUP = 'sotto/v1/backup';
/** HKDF info that derives the body key from the passphrase key. */
export const LABEL_BACKUP_KEY = 'sotto/v1/backup/key';
/** HKDF info that derives the passphrase check stored in the header. */
export const LABEL_BACKUP_CHECK = 'sotto/v1/backup/check';

/** Argon2id salt, random per archive. */
export const BACKUP_SALT_BYTES = 16;
/**
 * Passphrase check in the header. It tells a wrong passphrase from a corrupt
 * file; it helps a guesser no more than the AEAD tag would, since every guess
 * still costs one Argon2id.
 */
export const BACKUP_CHECK_BYTES = 16;
/** XChaCha20-Poly1305 nonce, random per archive. */
export const BACKUP_NONCE_BYTES = 24;
/** Poly1305 tag at the end of the ciphertext. */
export const BACKUP_TAG_BYTES = 16;
/** Key sizes: the Argon2id output and the body key. */
export const BACKUP_KEY_BYTES = 32;
/** magic (8) || version (1) || kdf (1) || t (4) || m (4) || p (1) || salt || check || nonce. */
export const BACKUP_HEADER_BYTES = BACKUP_MAGIC.length + 1 + 1 + 4 + 4 + 1 + BACKUP_SALT_BYTES + BACKUP_CHECK_BYTES + BACKUP_NONCE_BYTES;

/**
 * Highest Argon2id cost an archive may ask for. Tighter than the keyring's
 * bounds (a keyring lives on the user's own disk; an archive may come from
 * anywhere): a tampered header must not make an import hang or allocate
 * gigabytes. 1 GiB and 64 passes are still far above the 19 MiB and 2 passes
 * Sotto writes.
 */
export const MAX_BACKUP_ARGON2_T = 64;
export const MAX_BACKUP_ARGON2_M_KIB = 1024 * 1024;

/**
 * Largest archive, in bytes. The whole file is read, decrypted and decoded in
 * memory (twice over while it is decrypted, in a browser tab too). Years of
 * heavy chat (100 messages a day of 500 bytes each is 18 MB a year) fit many
 * times; a store that would not fit is refused at export, before any file
 * is written.
 */
export const MAX_BACKUP_BYTES = 256 * 1024 * 1024;
/** Most records in one archive (each costs at least 8 bytes of lengths, so this is checked against the body size too). */
export const MAX_BACKUP_RECORDS = 4_000_000;
/** Longest record key, in UTF-8 bytes: a kind, a contact name of 64 characters (up to 256 bytes) or a peer id, and a hash or sequence number. */
export const MAX_BACKUP_KEY_BYTES = 512;
/**
 * Largest record value, in bytes. The largest real ones are session records
 * (up to 5 sessions, each with up to 5,000 skipped message keys: about
 * 1.2 MB) and messages of 60 KiB text escaped as JSON (at most 6 bytes per
 * byte of text).
 */
export const MAX_BACKUP_VALUE_BYTES = 8 * 1024 * 1024;
/** Bytes of a record's two length prefixes (u32 each): the least a record can take. */
export const MIN_BACKUP_RECORD_BYTES = 8;
