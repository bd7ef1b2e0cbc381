/**
 * A device identity: the Ed25519 identity key (it is also the libp2p key, so
 * the PeerId names the identity) and an X25519 identity key certified by it.
 *
 * Key agreement never reuses the Ed25519 key as an X25519 key: the X25519
 * identity key is a separate random key, and the certificate
 * Ed25519(signingKey, "sotto/v1/identity-x25519" || dhKey) binds it to the
 * identity. Anyone given an {@link IdentityPublic} checks that certificate
 * with {@link verifyIdentity} before using it.
 */
import { concatBytes, equalBytes, Reader, Writer, type Bytes } from './bytes.ts';
import { ED25519_KEY_BYTES, ED25519_SIGNATURE_BYTES, LABEL_IDENTITY_CERT, STORAGE_VERSION, X25519_KEY_BYTES } from './constants.ts';
import type { CryptoContext } from './context.ts';
import { DecodeError, InvalidSignatureError } from './errors.ts';
import { assertValidX25519PublicKey } from './keys.ts';
import { readVersion } from './version.ts';

/** The public half of an identity, as contacts see it. */
export interface IdentityPublic {
  /** Ed25519 identity key (the libp2p public key). */
  readonly signingKey: Bytes;
  /** X25519 identity key used in session agreement. */
  readonly dhKey: Bytes;
  /** Ed25519 signature by `signingKey` over LABEL_IDENTITY_CERT || dhKey. */
  readonly certificate: Bytes;
}

/** A device's own identity, with its private keys. */
export interface IdentityKeyPair {
  readonly public: IdentityPublic;
  /** 32-byte Ed25519 seed. */
  readonly signingSeed: Bytes;
  /** 32-byte X25519 private key. */
  readonly dhPrivateKey: Bytes;
}

/** Bytes of an encoded {@link IdentityPublic}: signingKey || dhKey || certificate. */
export const IDENTITY_PUBLIC_BYTES = ED25519_KEY_BYTES + X25519_KEY_BYTES + ED25519_SIGNATURE_BYTES;

/**
 * Creates a new identity from the context's RNG, or from a given Ed25519 seed
 * (to adopt an existing libp2p key). The X25519 key is always fresh.
 */
export async function generateIdentity(ctx: CryptoContext, signingSeed?: Bytes): Promise<IdentityKeyPair> {
  const seed = signingSeed ?? ctx.randomBytes(ED25519_KEY_BYTES);
  if (seed.length !== ED25519_KEY_BYTES) throw new RangeError(`generateIdentity: seed must be ${ED25519_KEY_BYTES} bytes`);
  const signingKey = await ctx.primitives.ed25519PublicKey(seed);
  const dhPrivateKey = ctx.randomBytes(X25519_KEY_BYTES);
  const dhKey = await ctx.primitives.x25519PublicKey(dhPrivateKey);
  const certificate = await ctx.primitives.ed25519Sign(seed, concatBytes(LABEL_IDENTITY_CERT, dhKey));
  return { public: { signingKey, dhKey, certificate }, signingSeed: seed, dhPrivateKey };
}

/**
 * Checks an identity received from anyone: the X25519 key passes the key
 * policy and the certificate verifies. Throws {@link InvalidPublicKeyError}
 * or {@link InvalidSignatureError}.
 */
export async function verifyIdentity(ctx: CryptoContext, identity: IdentityPublic): Promise<void> {
  assertValidX25519PublicKey(identity.dhKey, 'identity X25519 key');
  const ok = await ctx.primitives.ed25519Verify(identity.certificate, concatBytes(LABEL_IDENTITY_CERT, identity.dhKey), identity.signingKey);
  if (!ok) throw new InvalidSignatureError('identity-certificate');
}

/** Writes an {@link IdentityPublic} as its fixed 128-byte layout. */
export function writeIdentityPublic(w: Writer, identity: IdentityPublic): void {
  w.fixed(identity.signingKey, ED25519_KEY_BYTES).fixed(identity.dhKey, X25519_KEY_BYTES).fixed(identity.certificate, ED25519_SIGNATURE_BYTES);
}

/** Reads the fixed 128-byte layout of an {@link IdentityPublic} (no signature check). */
export function readIdentityPublic(r: Reader): IdentityPublic {
  const signingKey = r.fixed(ED25519_KEY_BYTES, 'identity signing key');
  const dhKey = r.fixed(X25519_KEY_BYTES, 'identity DH key');
  const certificate = r.fixed(ED25519_SIGNATURE_BYTES, 'identity certificate');
  return { signingKey, dhKey, certificate };
}

/** Encodes an {@link IdentityPublic} (128 bytes). */
export function encodeIdentityPublic(identity: IdentityPublic): Bytes {
  const w = new Writer(IDENTITY_PUBLIC_BYTES);
  writeIdentityPublic(w, identity);
  return w.finish();
}

/** Decodes 128 bytes into an {@link IdentityPublic}; throws DecodeError. Call {@link verifyIdentity} before use. */
export function decodeIdentityPublic(bytes: Bytes): IdentityPublic {
  const r = new Reader(bytes, 'identity');
  const identity = readIdentityPublic(r);
  r.end();
  return identity;
}

/** Storage encoding of the device's own identity: version || seed || dhPrivateKey || public. */
export function encodeIdentityKeyPair(identity: IdentityKeyPair): Bytes {
  const w = new Writer(1 + 64 + IDENTITY_PUBLIC_BYTES);
  w.u8(STORAGE_VERSION).fixed(identity.signingSeed, ED25519_KEY_BYTES).fixed(identity.dhPrivateKey, X25519_KEY_BYTES);
  writeIdentityPublic(w, identity.public);
  return w.finish();
}

/**
 * Decodes a stored identity and checks that the private keys match the
 * public ones, so a corrupt record is refused rather than used. Throws
 * DecodeError, VersionTooOldError, VersionTooNewError or InvalidSignatureError.
 */
export async function decodeIdentityKeyPair(ctx: CryptoContext, bytes: Bytes): Promise<IdentityKeyPair> {
  const r = new Reader(bytes, 'stored identity');
  readVersion(r, 'stored identity', STORAGE_VERSION);
  const signingSeed = r.fixed(ED25519_KEY_BYTES, 'signing seed');
  const dhPrivateKey = r.fixed(X25519_KEY_BYTES, 'DH private key');
  const pub = readIdentityPublic(r);
  r.end();
  const [signingKey, dhKey] = await Promise.all([ctx.primitives.ed25519PublicKey(signingSeed), ctx.primitives.x25519PublicKey(dhPrivateKey)]);
  const identity: IdentityKeyPair = { public: pub, signingSeed, dhPrivateKey };
  if (!equalBytes(signingKey, pub.signingKey) || !equalBytes(dhKey, pub.dhKey)) {
    throw new DecodeError('stored identity', 'private keys do not match the public keys');
  }
  await verifyIdentity(ctx, pub);
  return identity;
}
