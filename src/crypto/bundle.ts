/**
 * Prekey bundles: what a device publishes so that others can start a session
 * with it while it is offline. A bundle holds the identity, a signed X25519
 * prekey, a signed ML-KEM-768 prekey (mandatory: Sotto never runs a
 * classical-only handshake), which is either a one-time ML-KEM prekey or the
 * device's current last-resort one (the same fields and signature; only the
 * device that made it tells them apart, by id), and at most one one-time
 * X25519 prekey.
 *
 * Wire layout (docs/PROTOCOL.md §5, "Prekey bundle"):
 *   u8 version (2) || identity (128) || u8 flags
 *   || u32 spkId || spk (32) || spkSig (64)
 *   || [flags & 1] u32 kemId || kemKey (1184) || kemSig (64)
 *   || [flags & 2] u32 opkId || opk (32)
 * flags bit 0 (KEM prekey) must be set; other bits must be zero.
 */
import { concatBytes, Reader, u32be, Writer, type Bytes } from './bytes.ts';
import {
  ED25519_SIGNATURE_BYTES,
  LABEL_KEM_PREKEY,
  LABEL_SIGNED_PREKEY,
  BUNDLE_VERSION,
  MLKEM768_PUBLIC_KEY_BYTES,
  X25519_KEY_BYTES,
} from './constants.ts';
import type { CryptoContext } from './context.ts';
import { DecodeError, InvalidPublicKeyError, InvalidSignatureError, MissingKemPrekeyError } from './errors.ts';
import { readIdentityPublic, verifyIdentity, writeIdentityPublic, type IdentityPublic } from './identity.ts';
import { assertValidX25519PublicKey } from './keys.ts';
import { isValidMlKem768EncapsulationKey } from './mlkem-key.ts';
import { readVersion } from './version.ts';

const FLAG_KEM_PREKEY = 0x01;
const FLAG_ONE_TIME_PREKEY = 0x02;
const KNOWN_FLAGS = FLAG_KEM_PREKEY | FLAG_ONE_TIME_PREKEY;

/** A signed X25519 prekey as published. */
export interface SignedPrekeyPublic {
  readonly id: number;
  readonly publicKey: Bytes;
  readonly signature: Bytes;
}

/** A signed ML-KEM-768 prekey as published. */
export interface KemPrekeyPublic {
  readonly id: number;
  readonly publicKey: Bytes;
  readonly signature: Bytes;
}

/** A one-time X25519 prekey as published (unsigned, as in X3DH). */
export interface OneTimePrekeyPublic {
  readonly id: number;
  readonly publicKey: Bytes;
}

/** A prekey bundle. */
export interface PrekeyBundle {
  readonly identity: IdentityPublic;
  readonly signedPrekey: SignedPrekeyPublic;
  readonly kemPrekey: KemPrekeyPublic;
  readonly oneTimePrekey?: OneTimePrekeyPublic | undefined;
}

/** The message an identity key signs to certify a signed X25519 prekey. */
export function signedPrekeySignedData(id: number, publicKey: Bytes): Bytes {
  return concatBytes(LABEL_SIGNED_PREKEY, u32be(id), publicKey);
}

/** The message an identity key signs to certify an ML-KEM prekey. */
export function kemPrekeySignedData(id: number, publicKey: Bytes): Bytes {
  return concatBytes(LABEL_KEM_PREKEY, u32be(id), publicKey);
}

/** Encodes a bundle. Throws MissingKemPrekeyError for a bundle without a KEM prekey. */
export function encodeBundle(bundle: PrekeyBundle): Bytes {
  if (!bundle.kemPrekey) throw new MissingKemPrekeyError();
  const w = new Writer(1 + 128 + 1 + 100 + 1252 + 36);
  w.u8(BUNDLE_VERSION);
  writeIdentityPublic(w, bundle.identity);
  w.u8(FLAG_KEM_PREKEY | (bundle.oneTimePrekey ? FLAG_ONE_TIME_PREKEY : 0));
  w.u32(bundle.signedPrekey.id).fixed(bundle.signedPrekey.publicKey, X25519_KEY_BYTES).fixed(bundle.signedPrekey.signature, ED25519_SIGNATURE_BYTES);
  w.u32(bundle.kemPrekey.id).fixed(bundle.kemPrekey.publicKey, MLKEM768_PUBLIC_KEY_BYTES).fixed(bundle.kemPrekey.signature, ED25519_SIGNATURE_BYTES);
  if (bundle.oneTimePrekey) w.u32(bundle.oneTimePrekey.id).fixed(bundle.oneTimePrekey.publicKey, X25519_KEY_BYTES);
  return w.finish();
}

/**
 * Decodes a bundle without checking signatures (see {@link verifyBundle}).
 * Only BUNDLE_VERSION is read: a version 1 bundle (a peer that needs
 * upgrading) is VersionTooOldError, a later one VersionTooNewError. Throws
 * DecodeError, VersionTooOldError, VersionTooNewError, or
 * MissingKemPrekeyError when the KEM flag is clear.
 */
export function decodeBundle(bytes: Bytes): PrekeyBundle {
  const r = new Reader(bytes, 'prekey bundle');
  readVersion(r, 'prekey bundle', BUNDLE_VERSION);
  const identity = readIdentityPublic(r);
  const flags = r.u8('flags');
  if ((flags & ~KNOWN_FLAGS) !== 0) throw new DecodeError('prekey bundle', `unknown flags 0x${flags.toString(16)}`);
  if ((flags & FLAG_KEM_PREKEY) === 0) throw new MissingKemPrekeyError();
  const signedPrekey = { id: r.u32('signed prekey id'), publicKey: r.fixed(X25519_KEY_BYTES, 'signed prekey'), signature: r.fixed(ED25519_SIGNATURE_BYTES, 'signed prekey signature') };
  const kemPrekey = { id: r.u32('KEM prekey id'), publicKey: r.fixed(MLKEM768_PUBLIC_KEY_BYTES, 'KEM prekey'), signature: r.fixed(ED25519_SIGNATURE_BYTES, 'KEM prekey signature') };
  const oneTimePrekey = flags & FLAG_ONE_TIME_PREKEY ? { id: r.u32('one-time prekey id'), publicKey: r.fixed(X25519_KEY_BYTES, 'one-time prekey') } : undefined;
  r.end();
  return { identity, signedPrekey, kemPrekey, oneTimePrekey };
}

/**
 * Checks every signature and key of a bundle: the identity certificate, the
 * signed prekey, the KEM prekey (which must be present, of the right length
 * and pass FIPS 203 §7.2's modulus check), and the X25519 key policy for each
 * X25519 key, in the order of docs/PROTOCOL.md §5. Throws MissingKemPrekeyError,
 * InvalidSignatureError or InvalidPublicKeyError.
 */
export async function verifyBundle(ctx: CryptoContext, bundle: PrekeyBundle): Promise<void> {
  if (!bundle.kemPrekey) throw new MissingKemPrekeyError();
  await verifyIdentity(ctx, bundle.identity);
  const p = ctx.primitives;
  const { signedPrekey, kemPrekey, oneTimePrekey } = bundle;
  assertValidX25519PublicKey(signedPrekey.publicKey, 'signed prekey');
  if (!(await p.ed25519Verify(signedPrekey.signature, signedPrekeySignedData(signedPrekey.id, signedPrekey.publicKey), bundle.identity.signingKey))) {
    throw new InvalidSignatureError('signed-prekey');
  }
  if (kemPrekey.publicKey.length !== MLKEM768_PUBLIC_KEY_BYTES) throw new InvalidPublicKeyError('KEM prekey', 'length');
  if (!isValidMlKem768EncapsulationKey(kemPrekey.publicKey)) throw new InvalidPublicKeyError('KEM prekey', 'invalid-kem-key');
  if (!(await p.ed25519Verify(kemPrekey.signature, kemPrekeySignedData(kemPrekey.id, kemPrekey.publicKey), bundle.identity.signingKey))) {
    throw new InvalidSignatureError('kem-prekey');
  }
  if (oneTimePrekey) assertValidX25519PublicKey(oneTimePrekey.publicKey, 'one-time prekey');
}
