/**
 * Key packages: what a person publishes so that an admin can add them to a
 * group while they are offline (MLS KeyPackage, RFC 9420 §10), wrapped in a
 * Sotto record that the identity key signs with an expiry.
 *
 * The MLS lifetime field is left at its widest (0 .. 2^64 − 1): ts-mls checks
 * it against the wall clock when a commit adds the member, which Sotto's
 * injected clock cannot reach, so freshness is the record's `notAfter`,
 * checked against the injected clock by {@link readKeyPackageRecord} (and so
 * before any add). Every key package has its own leaf signature key, so two
 * of a person's key packages cannot be linked by that key; both carry the
 * identity key in their credential.
 */
import {
  encode,
  generateKeyPackageWithKey,
  keyPackageDecoder,
  keyPackageEncoder,
  makeKeyPackageRef,
  privateKeyPackageDecoder,
  privateKeyPackageEncoder,
  type KeyPackage,
  type PrivateKeyPackage,
} from 'ts-mls';
import { concatBytes, Reader, utf8, Writer, type Bytes } from '../../crypto/bytes.ts';
import { ED25519_SIGNATURE_BYTES } from '../../crypto/constants.ts';
import { DecodeError, InvalidSignatureError } from '../../crypto/errors.ts';
import type { IdentityKeyPair } from '../../crypto/identity.ts';
import { readVersion } from '../../crypto/version.ts';
import { GROUP_KEY_PACKAGE_LIFETIME_MS, GROUP_WIRE_VERSION, MAX_GROUP_KEY_PACKAGE_BYTES } from '../constants.ts';
import { GroupKeyPackageExpiredError, GroupMessageTooLargeError } from '../errors.ts';
import { GROUP_CIPHERSUITE, type GroupCiphersuiteId } from './ciphersuite.ts';
import { groupCapabilities, mlsContext, type GroupEnv } from './context.ts';
import { makeGroupCredential, readGroupCredential } from './credential.ts';

/** Label of the identity's signature over a key package record. */
export const LABEL_GROUP_KEY_PACKAGE = utf8('sotto/v1/group-key-package');
/** The MLS lifetime of every Sotto key package: all time (freshness is the record's). */
export const KEY_PACKAGE_MLS_LIFETIME = { notBefore: 0n, notAfter: 0xffff_ffff_ffff_ffffn };

/** A key package as the adder holds it, after its record was checked. */
export interface GroupKeyPackage {
  /** The identity key of the person it adds. */
  readonly identity: Bytes;
  readonly suite: GroupCiphersuiteId;
  readonly notAfter: number;
  readonly keyPackage: KeyPackage;
  /** The published record it came from. */
  readonly record: Bytes;
}

/** A key package and its private keys, kept by its owner until a Welcome uses them. */
export interface GroupKeyPackageSecrets {
  readonly keyPackage: KeyPackage;
  readonly privateKeys: PrivateKeyPackage;
}

function signedPart(suite: number, notAfter: number, keyPackage: Bytes): Bytes {
  return concatBytes(LABEL_GROUP_KEY_PACKAGE, new Writer(10).u16(suite).u64(notAfter).finish(), keyPackage);
}

/**
 * A new key package for `identity`: the publishable record
 * (version || u16 suite || u64 notAfter || u32 length || KeyPackage || identity signature)
 * and the secrets to keep. notAfter = now + GROUP_KEY_PACKAGE_LIFETIME_MS.
 */
export async function createKeyPackage(env: GroupEnv, identity: IdentityKeyPair): Promise<{ record: Bytes; secrets: GroupKeyPackageSecrets }> {
  const suite = env.suite ?? GROUP_CIPHERSUITE;
  const { cipherSuite } = mlsContext(env.ctx, suite);
  const signatureKeyPair = await cipherSuite.signature.keygen();
  const { publicPackage, privatePackage } = await generateKeyPackageWithKey({
    credential: await makeGroupCredential(env.ctx.primitives, identity, signatureKeyPair.publicKey),
    capabilities: groupCapabilities(),
    lifetime: KEY_PACKAGE_MLS_LIFETIME,
    extensions: [],
    signatureKeyPair,
    cipherSuite,
  });
  const kp = encode(keyPackageEncoder, publicPackage);
  const notAfter = env.ctx.now() + GROUP_KEY_PACKAGE_LIFETIME_MS;
  const signature = await env.ctx.primitives.ed25519Sign(identity.signingSeed, signedPart(suite, notAfter, kp));
  const record = new Writer(kp.length + 96).u8(GROUP_WIRE_VERSION).u16(suite).u64(notAfter).varBytes(kp).fixed(signature, ED25519_SIGNATURE_BYTES).finish();
  return { record, secrets: { keyPackage: publicPackage, privateKeys: privatePackage } };
}

/** Decodes an MLS structure with a ts-mls decoder that must consume `bytes` exactly. */
export function decodeExactly<T>(decoder: (b: Uint8Array, offset: number) => [T, number] | undefined, bytes: Bytes, what: string): T {
  let result: [T, number] | undefined;
  try {
    result = decoder(bytes, 0);
  } catch {
    result = undefined;
  }
  if (result === undefined) throw new DecodeError(what, 'not a valid MLS encoding');
  if (result[1] !== bytes.length) throw new DecodeError(what, `${bytes.length - result[1]} trailing bytes`);
  return result[0];
}

/**
 * Checks a published key package record: size, version, ciphersuite, not
 * expired at `env.ctx.now()`, a Sotto credential whose identity signed the
 * record, the MLS signatures of the key package and its leaf (checked by
 * ts-mls when it is added). Throws GroupMessageTooLargeError, DecodeError,
 * VersionTooOld/New, GroupKeyPackageExpiredError or InvalidSignatureError.
 */
export async function readKeyPackageRecord(env: GroupEnv, record: Bytes): Promise<GroupKeyPackage> {
  if (record.length > MAX_GROUP_KEY_PACKAGE_BYTES) throw new GroupMessageTooLargeError('key package', record.length, MAX_GROUP_KEY_PACKAGE_BYTES);
  const r = new Reader(record, 'group key package');
  readVersion(r, 'group key package', GROUP_WIRE_VERSION);
  const suite = r.u16('ciphersuite');
  if (suite !== (env.suite ?? GROUP_CIPHERSUITE)) throw new DecodeError('group key package', `ciphersuite 0x${suite.toString(16)} is not this group's`);
  const notAfter = r.u64('notAfter');
  const kp = r.varBytes('key package', MAX_GROUP_KEY_PACKAGE_BYTES);
  const signature = r.fixed(ED25519_SIGNATURE_BYTES, 'signature');
  r.end();
  if (notAfter <= env.ctx.now()) throw new GroupKeyPackageExpiredError(notAfter);
  const keyPackage = decodeExactly(keyPackageDecoder, kp, 'MLS key package');
  if (keyPackage.cipherSuite !== suite) throw new DecodeError('group key package', 'the key package names another ciphersuite');
  const { identity } = readGroupCredential(keyPackage.leafNode.credential);
  const valid = await env.ctx.primitives.ed25519Verify(signature, signedPart(suite, notAfter, kp), identity).catch(() => false);
  if (!valid) throw new InvalidSignatureError('identity-certificate');
  const authentic = await mlsContext(env.ctx, suite).authService.validateCredential(keyPackage.leafNode.credential, keyPackage.leafNode.signaturePublicKey);
  if (!authentic) throw new InvalidSignatureError('identity-certificate');
  return { identity, suite: suite as GroupCiphersuiteId, notAfter, keyPackage, record };
}

/** The identity key a record names, without checking anything else (for lookups). */
export function keyPackageIdentity(keyPackage: KeyPackage): Bytes {
  return readGroupCredential(keyPackage.leafNode.credential).identity;
}

/** MLS KeyPackageRef of a key package (RFC 9420 §5.2). */
export function keyPackageRef(env: GroupEnv, keyPackage: KeyPackage): Promise<Bytes> {
  return makeKeyPackageRef(keyPackage, mlsContext(env.ctx, keyPackage.cipherSuite as GroupCiphersuiteId).cipherSuite.hash);
}

/** Stored form of key package secrets: version || u32 length || KeyPackage || u32 length || PrivateKeyPackage. */
export function encodeKeyPackageSecrets(secrets: GroupKeyPackageSecrets): Bytes {
  const kp = encode(keyPackageEncoder, secrets.keyPackage);
  const priv = encode(privateKeyPackageEncoder, secrets.privateKeys);
  return new Writer(kp.length + priv.length + 9).u8(GROUP_WIRE_VERSION).varBytes(kp).varBytes(priv).finish();
}

/** Reads {@link encodeKeyPackageSecrets}. Throws DecodeError or VersionTooOld/New. */
export function decodeKeyPackageSecrets(bytes: Bytes): GroupKeyPackageSecrets {
  const r = new Reader(bytes, 'group key package secrets');
  readVersion(r, 'group key package secrets', GROUP_WIRE_VERSION);
  const keyPackage = decodeExactly(keyPackageDecoder, r.varBytes('key package', MAX_GROUP_KEY_PACKAGE_BYTES), 'MLS key package');
  const privateKeys = decodeExactly(privateKeyPackageDecoder, r.varBytes('private keys', MAX_GROUP_KEY_PACKAGE_BYTES), 'MLS private key package');
  r.end();
  return { keyPackage, privateKeys };
}
