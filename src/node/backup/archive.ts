/**
 * The encrypted envelope of a backup archive (docs/PROTOCOL.md, "Backup
 * archive"): a clear header naming the format version and the Argon2id cost
 * and salt, then the body sealed with XChaCha20-Poly1305 under a key derived
 * from the archive's passphrase, the header bound in as associated data.
 *
 *   header = "SOTTOBAK" || u8 version (1) || u8 kdf (1 = Argon2id) || u32 t || u32 m (KiB) || u8 p
 *            || salt (16) || check (16) || nonce (24)
 *   KEK    = Argon2id(NFKC(passphrase), salt, t, m, p, 32)
 *   check  = HKDF-SHA256(KEK, salt empty, "sotto/v1/backup/check", 16)
 *   key    = HKDF-SHA256(KEK, salt empty, "sotto/v1/backup/key", 32)
 *   file   = header || XChaCha20-Poly1305(key, nonce, body, AD "sotto/v1/backup" || header)
 *
 * Plain bytes in, plain bytes out: no Node types, so a browser peer reads the
 * same files. The header is checked (magic, version, cost bounds, lengths)
 * before the passphrase is even asked for.
 */
import { argon2id } from '../../crypto/argon2.ts';
import { concatBytes, equalBytes, Reader, utf8, Writer, type Bytes } from '../../crypto/bytes.ts';
import type { CryptoContext } from '../../crypto/context.ts';
import { DecodeError, VersionTooNewError, VersionTooOldError } from '../../crypto/errors.ts';
import { ARGON2_M_KIB, ARGON2_P, ARGON2_T } from '../store/at-rest.ts';
import {
  BACKUP_CHECK_BYTES,
  BACKUP_HEADER_BYTES,
  BACKUP_KDF_ARGON2ID,
  BACKUP_KEY_BYTES,
  BACKUP_MAGIC,
  BACKUP_MIN_VERSION,
  BACKUP_NONCE_BYTES,
  BACKUP_SALT_BYTES,
  BACKUP_TAG_BYTES,
  BACKUP_VERSION,
  LABEL_BACKUP,
  LABEL_BACKUP_CHECK,
  LABEL_BACKUP_KEY,
  MAX_BACKUP_ARGON2_M_KIB,
  MAX_BACKUP_ARGON2_T,
  MAX_BACKUP_BYTES,
} from './constants.ts';
import { BackupCorruptError, BackupTooLargeError, NotABackupError, WrongBackupPassphraseError } from './errors.ts';

/** Argon2id cost of an archive. */
export interface BackupCost {
  /** Passes. */
  readonly t: number;
  /** Memory, KiB. */
  readonly m: number;
  /** Lanes (always 1). */
  readonly p: number;
}

/** The cost Sotto writes: the same as the home's keyring (docs/PROTOCOL.md, "Encryption at rest"). */
export const BACKUP_COST: BackupCost = { t: ARGON2_T, m: ARGON2_M_KIB, p: ARGON2_P };

/** Smallest memory Argon2id accepts: 8 KiB per lane. */
const MIN_ARGON2_M_KIB_PER_LANE = 8;
const WHAT = 'backup archive';
const MAGIC = utf8(BACKUP_MAGIC);
const AD_PREFIX = utf8(LABEL_BACKUP);
const INFO_KEY = utf8(LABEL_BACKUP_KEY);
const INFO_CHECK = utf8(LABEL_BACKUP_CHECK);
const EMPTY = new Uint8Array(0);

/** A parsed header and the ciphertext after it. */
interface ParsedArchive {
  readonly header: Bytes;
  readonly cost: BackupCost;
  readonly salt: Bytes;
  readonly check: Bytes;
  readonly nonce: Bytes;
  readonly ciphertext: Bytes;
}

function checkCost(cost: BackupCost): void {
  const { t, m, p } = cost;
  if (p !== ARGON2_P || t < 1 || t > MAX_BACKUP_ARGON2_T || m < MIN_ARGON2_M_KIB_PER_LANE * p || m > MAX_BACKUP_ARGON2_M_KIB) {
    throw new BackupCorruptError('key derivation cost out of range');
  }
}

async function deriveKeys(passphrase: string, salt: Bytes, cost: BackupCost, ctx: CryptoContext): Promise<{ key: Bytes; check: Bytes }> {
  const p = ctx.primitives;
  const kek = await argon2id(p, utf8(passphrase.normalize('NFKC')), salt, { t: cost.t, m: cost.m, p: cost.p, dkLen: BACKUP_KEY_BYTES });
  return { key: p.hkdfSha256(kek, EMPTY, INFO_KEY, BACKUP_KEY_BYTES), check: p.hkdfSha256(kek, EMPTY, INFO_CHECK, BACKUP_CHECK_BYTES) };
}

function writeHeader(cost: BackupCost, salt: Bytes, check: Bytes, nonce: Bytes): Bytes {
  return new Writer(BACKUP_HEADER_BYTES)
    .fixed(MAGIC, MAGIC.length)
    .u8(BACKUP_VERSION)
    .u8(BACKUP_KDF_ARGON2ID)
    .u32(cost.t)
    .u32(cost.m)
    .u8(cost.p)
    .fixed(salt, BACKUP_SALT_BYTES)
    .fixed(check, BACKUP_CHECK_BYTES)
    .fixed(nonce, BACKUP_NONCE_BYTES)
    .finish();
}

/**
 * Checks an archive's header without any passphrase: magic, version, key
 * derivation and its cost, lengths. Throws BackupTooLargeError,
 * NotABackupError, VersionTooOldError, VersionTooNewError, BackupCorruptError.
 */
function parseArchive(archive: Bytes): ParsedArchive {
  if (!(archive instanceof Uint8Array)) throw new TypeError('openArchive: archive must be a Uint8Array');
  if (archive.length > MAX_BACKUP_BYTES) throw new BackupTooLargeError(archive.length, MAX_BACKUP_BYTES);
  const prefix = Math.min(archive.length, MAGIC.length);
  if (!equalBytes(archive.subarray(0, prefix), MAGIC.subarray(0, prefix)) || archive.length === 0) throw new NotABackupError();
  try {
    const r = new Reader(archive, WHAT);
    r.fixed(MAGIC.length, 'magic');
    const version = r.u8('version');
    if (version < BACKUP_MIN_VERSION) throw new VersionTooOldError(WHAT, version, BACKUP_MIN_VERSION);
    if (version > BACKUP_VERSION) throw new VersionTooNewError(WHAT, version, BACKUP_VERSION);
    const kdf = r.u8('key derivation');
    if (kdf !== BACKUP_KDF_ARGON2ID) throw new BackupCorruptError(`unknown key derivation ${kdf}`);
    const cost = { t: r.u32('t'), m: r.u32('m'), p: r.u8('p') };
    checkCost(cost);
    const salt = r.fixed(BACKUP_SALT_BYTES, 'salt');
    const check = r.fixed(BACKUP_CHECK_BYTES, 'passphrase check');
    const nonce = r.fixed(BACKUP_NONCE_BYTES, 'nonce');
    const ciphertext = r.rest();
    if (ciphertext.length < BACKUP_TAG_BYTES) throw new BackupCorruptError(`truncated: ${ciphertext.length} bytes of ciphertext`);
    return { header: archive.slice(0, BACKUP_HEADER_BYTES), cost, salt, check, nonce, ciphertext };
  } catch (err) {
    if (err instanceof DecodeError) throw new BackupCorruptError(err.reason);
    throw err;
  }
}

/**
 * Seals `body` into an archive under `passphrase` (fresh salt and nonce from
 * ctx.randomBytes). Throws BackupTooLargeError when the archive would exceed
 * MAX_BACKUP_BYTES (nothing is produced), RangeError for a cost out of the
 * accepted bounds.
 */
export async function sealArchive(ctx: CryptoContext, body: Bytes, passphrase: string, cost: BackupCost = BACKUP_COST): Promise<Bytes> {
  const size = BACKUP_HEADER_BYTES + body.length + BACKUP_TAG_BYTES;
  if (size > MAX_BACKUP_BYTES) throw new BackupTooLargeError(size, MAX_BACKUP_BYTES);
  try {
    checkCost(cost);
  } catch {
    throw new RangeError(`sealArchive: Argon2id cost t=${cost.t} m=${cost.m} p=${cost.p} out of range`);
  }
  const salt = ctx.randomBytes(BACKUP_SALT_BYTES);
  const nonce = ctx.randomBytes(BACKUP_NONCE_BYTES);
  const { key, check } = await deriveKeys(passphrase, salt, cost, ctx);
  const header = writeHeader(cost, salt, check, nonce);
  return concatBytes(header, ctx.primitives.aeadSeal(key, nonce, body, concatBytes(AD_PREFIX, header)));
}

/**
 * Opens an archive: checks the header, then asks for the passphrase (only if
 * the header is sound), derives the key, compares the passphrase check and
 * opens the body. Resolves to the body bytes. Throws BackupTooLargeError,
 * NotABackupError, VersionTooOldError, VersionTooNewError,
 * WrongBackupPassphraseError, BackupCorruptError.
 */
export async function openArchive(ctx: CryptoContext, archive: Bytes, passphrase: () => Promise<string>): Promise<Bytes> {
  const parsed = parseArchive(archive);
  const { key, check } = await deriveKeys(await passphrase(), parsed.salt, parsed.cost, ctx);
  if (!equalBytes(check, parsed.check)) throw new WrongBackupPassphraseError();
  const body = ctx.primitives.aeadOpen(key, parsed.nonce, parsed.ciphertext, concatBytes(AD_PREFIX, parsed.header));
  if (!body) throw new BackupCorruptError('the body does not authenticate');
  return body;
}
