/**
 * Encryption at rest (docs/PROTOCOL.md, "Encryption at rest"). Every value in
 * a home's database is encrypted with a random 256-bit data key; the data key
 * is stored wrapped by a key derived from the user's passphrase (Argon2id), in
 * the keyring record, the only value stored in clear. Changing the
 * passphrase re-wraps the data key and re-encrypts nothing. Every identifier
 * in a record key (contact names, peer ids, message ids, envelope hashes,
 * mailbox keys, item ids: the `id` components of keys.ts) is replaced by a
 * keyed hash.
 *
 *   KEK     = Argon2id(passphrase, salt, t = 2, m = 19 MiB, p = 1, 32)
 *   wrapped = XChaCha20-Poly1305(KEK, nonce, dataKey, "sotto/v1/keyring")
 *   value'  = u8 version (1) || nonce (24) || XChaCha20-Poly1305(valueKey, nonce, value, "sotto/v1/at-rest" || key)
 *   valueKey = HKDF(dataKey, info "sotto/v1/at-rest/values"), nameKey = HKDF(dataKey, info "sotto/v1/at-rest/names")
 *   name'   = hex(HMAC-SHA256(nameKey, identifier))[0:32]
 */
import { argon2id } from '../../crypto/argon2.ts';
import { concatBytes, Reader, Writer } from '../../crypto/bytes.ts';
import type { CryptoContext } from '../../crypto/context.ts';
import { SottoError } from '../../crypto/errors.ts';
import { fromBase64, toBase64 } from '../encoding/base64.ts';
import { StoreCorruptError } from '../errors.ts';
import type { ValueCodec } from './backend.ts';
import { keyNames, type KeyNames } from './keys.ts';

/** Where the keyring lives (stored raw). */
export const KEYRING_KEY = 'meta:keyring';
/**
 * Argon2id cost (RFC 9106): OWASP's first recommended setting, 19 MiB of
 * memory and 2 passes, about 0.2 s here. Memory-hard, so guessing on GPUs is
 * costly, yet light enough for a phone or a browser tab and for an idle
 * node's memory (scrypt's recommended 128 MiB stayed in the process).
 */
export const ARGON2_T = 2;
export const ARGON2_M_KIB = 19_456;
export const ARGON2_P = 1;
const SALT_BYTES = 16;
const KEY_BYTES = 32;
const NONCE_BYTES = 24;
const VALUE_VERSION = 1;
/** Hex characters of a hashed name in a record key (128 bits). */
const NAME_HASH_HEX = 32;
const encoder = new TextEncoder();
const LABEL_KEYRING = encoder.encode('sotto/v1/keyring');
const LABEL_VALUES = encoder.encode('sotto/v1/at-rest/values');
const LABEL_NAMES = encoder.encode('sotto/v1/at-rest/names');
const LABEL_VALUE_AD = encoder.encode('sotto/v1/at-rest');

/** The passphrase does not unlock this home. Nothing was changed. */
export class WrongPassphraseError extends SottoError {
  override readonly name = 'WrongPassphraseError';
  constructor() {
    super('wrong passphrase');
  }
}

/** This home is encrypted and no passphrase was given. */
export class PassphraseRequiredError extends SottoError {
  override readonly name = 'PassphraseRequiredError';
  constructor() {
    super('this home is encrypted and needs its passphrase');
  }
}

/** The keyring record: how (and whether) the home is encrypted. */
export type Keyring =
  | { readonly version: 1; readonly kdf: 'none' }
  | { readonly version: 1; readonly kdf: 'argon2id'; readonly t: number; readonly m: number; readonly p: number; readonly salt: string; readonly nonce: string; readonly wrapped: string };

export function encodeKeyring(keyring: Keyring): Uint8Array {
  return encoder.encode(JSON.stringify(keyring));
}

export function decodeKeyring(bytes: Uint8Array): Keyring {
  try {
    const k = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as Record<string, unknown>;
    if (k['version'] !== 1) throw new Error('version');
    if (k['kdf'] === 'none') return { version: 1, kdf: 'none' };
    if (k['kdf'] !== 'argon2id') throw new Error('kdf');
    const n = (name: string): number => {
      const v = k[name];
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) throw new Error(name);
      return v;
    };
    const b = (name: string): string => {
      const v = k[name];
      if (typeof v !== 'string') throw new Error(name);
      fromBase64(v);
      return v;
    };
    return { version: 1, kdf: 'argon2id', t: n('t'), m: n('m'), p: n('p'), salt: b('salt'), nonce: b('nonce'), wrapped: b('wrapped') };
  } catch (err) {
    throw new StoreCorruptError(KEYRING_KEY, err instanceof Error ? err.message : 'undecodable');
  }
}

/** Highest cost a keyring may ask for (a tampered keyring must not make unlocking hang). */
const MAX_ARGON2_T = 64;
const MAX_ARGON2_M_KIB = 4 * 1024 * 1024;

async function kek(ctx: CryptoContext, passphrase: string, salt: Uint8Array, t: number, m: number, p: number): Promise<Uint8Array> {
  if (t > MAX_ARGON2_T || m > MAX_ARGON2_M_KIB || p !== ARGON2_P) throw new StoreCorruptError(KEYRING_KEY, 'key derivation cost out of range');
  return argon2id(ctx.primitives, encoder.encode(passphrase.normalize('NFKC')), salt, { t, m, p, dkLen: KEY_BYTES });
}

async function wrap(ctx: CryptoContext, passphrase: string, dataKey: Uint8Array): Promise<Keyring> {
  const salt = ctx.randomBytes(SALT_BYTES);
  const nonce = ctx.randomBytes(NONCE_BYTES);
  const key = await kek(ctx, passphrase, salt, ARGON2_T, ARGON2_M_KIB, ARGON2_P);
  const wrapped = ctx.primitives.aeadSeal(key, nonce, dataKey, LABEL_KEYRING);
  return { version: 1, kdf: 'argon2id', t: ARGON2_T, m: ARGON2_M_KIB, p: ARGON2_P, salt: toBase64(salt), nonce: toBase64(nonce), wrapped: toBase64(wrapped) };
}

/** A new data key wrapped by `passphrase`. */
export async function createKeyring(ctx: CryptoContext, passphrase: string): Promise<{ keyring: Keyring; dataKey: Uint8Array }> {
  const dataKey = ctx.randomBytes(KEY_BYTES);
  return { keyring: await wrap(ctx, passphrase, dataKey), dataKey };
}

/** The data key of an encrypted keyring. Throws WrongPassphraseError. */
export async function unlockKeyring(ctx: CryptoContext, keyring: Keyring & { kdf: 'argon2id' }, passphrase: string): Promise<Uint8Array> {
  const key = await kek(ctx, passphrase, fromBase64(keyring.salt), keyring.t, keyring.m, keyring.p);
  const dataKey = ctx.primitives.aeadOpen(key, fromBase64(keyring.nonce), fromBase64(keyring.wrapped), LABEL_KEYRING);
  if (!dataKey || dataKey.length !== KEY_BYTES) throw new WrongPassphraseError();
  return dataKey;
}

/** The same data key wrapped by a new passphrase (nothing else is re-encrypted). */
export async function rewrapKeyring(ctx: CryptoContext, keyring: Keyring & { kdf: 'argon2id' }, oldPassphrase: string, newPassphrase: string): Promise<Keyring> {
  return wrap(ctx, newPassphrase, await unlockKeyring(ctx, keyring, oldPassphrase));
}

/** The value codec and key naming of an unlocked home. */
export function atRestCodecs(ctx: CryptoContext, dataKey: Uint8Array): { values: ValueCodec; names: KeyNames } {
  const p = ctx.primitives;
  const valueKey = p.hkdfSha256(dataKey, new Uint8Array(0), LABEL_VALUES, KEY_BYTES);
  const nameKey = p.hkdfSha256(dataKey, new Uint8Array(0), LABEL_NAMES, KEY_BYTES);
  const hashed = new Map<string, string>();
  const hashName = (name: string): string => {
    let h = hashed.get(name);
    if (!h) {
      h = Array.from(p.hmacSha256(nameKey, encoder.encode(name)).subarray(0, NAME_HASH_HEX / 2), (b) => b.toString(16).padStart(2, '0')).join('');
      hashed.set(name, h);
    }
    return h;
  };
  const values: ValueCodec = {
    encode: (key, value) => {
      const nonce = ctx.randomBytes(NONCE_BYTES);
      const sealed = p.aeadSeal(valueKey, nonce, value, concatBytes(LABEL_VALUE_AD, encoder.encode(key)));
      return new Writer(1 + NONCE_BYTES + sealed.length).u8(VALUE_VERSION).fixed(nonce, NONCE_BYTES).fixed(sealed, sealed.length).finish();
    },
    decode: (key, stored) => {
      try {
        const r = new Reader(stored, 'encrypted value');
        if (r.u8('version') !== VALUE_VERSION) throw new Error('version');
        const nonce = r.fixed(NONCE_BYTES, 'nonce');
        const opened = p.aeadOpen(valueKey, nonce, r.rest(), concatBytes(LABEL_VALUE_AD, encoder.encode(key)));
        if (!opened) throw new Error('does not authenticate');
        return opened;
      } catch (err) {
        throw new StoreCorruptError(key, err instanceof Error ? err.message : 'undecodable');
      }
    },
  };
  // Every identifier in a record key (keys.ts, KEY_KINDS) becomes its keyed hash.
  const names = keyNames(hashName);
  return { values, names };
}
