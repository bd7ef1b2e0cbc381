/**
 * Bundle records: every node publishes a signed last-resort prekey bundle in
 * the DHT under `/sotto-bundle/<peer id>`, so that a first message can go to
 * a contact who has never been online at the same time as the sender.
 *
 *   record = u8 version (1) || u64 publishedAt || u32 length || bundle || signature (64)
 *   signature = Ed25519(identity key, "sotto/v1/bundle-record" || peer id bytes || u64 publishedAt || bundle)
 *
 * Every DHT node validates records before storing or serving them: the
 * bundle's identity must be the key inside the peer id the record is filed
 * under, the record signature and every bundle signature must verify, and it
 * must be fresh (not older than BUNDLE_RECORD_MAX_AGE_MS, not from the future
 * beyond BUNDLE_RECORD_MAX_SKEW_MS). Of several valid records the newest wins.
 */
import { concatBytes, equalBytes, Reader, Writer, type Bytes } from '../../crypto/bytes.ts';
import { decodeBundle, encodeBundle, verifyBundle, type PrekeyBundle } from '../../crypto/bundle.ts';
import type { CryptoContext } from '../../crypto/context.ts';
import { SottoError, VersionTooNewError, VersionTooOldError } from '../../crypto/errors.ts';
import type { IdentityKeyPair } from '../../crypto/identity.ts';
import { readVersion } from '../../crypto/version.ts';
import { BUNDLE_RECORD_MAX_AGE_MS, BUNDLE_RECORD_MAX_SKEW_MS, BUNDLE_RECORD_NAMESPACE, FRAME_VERSION, LABEL_BUNDLE_RECORD, MAX_BUNDLE_RECORD_BYTES } from '../constants.ts';
import { peerIdFromText, peerIdOfIdentity, signingKeyOfPeerId } from '../encoding/peer-id.ts';

const SIGNATURE_BYTES = 64;
const encoder = new TextEncoder();

/** A bundle record refused by the validator (forged, for another peer, stale, malformed). */
export class InvalidBundleRecordError extends SottoError {
  override readonly name = 'InvalidBundleRecordError';
  constructor(readonly reason: 'malformed' | 'wrong-key' | 'other-identity' | 'bad-signature' | 'stale' | 'future') {
    super(`bundle record refused: ${reason}`);
  }
}

/** A decoded bundle record. */
export interface BundleRecord {
  readonly publishedAt: number;
  readonly bundle: PrekeyBundle;
}

/** The DHT key of `peerId`'s bundle record: "/sotto-bundle/<peer id>". */
export function bundleRecordKey(peerId: string): Uint8Array {
  return encoder.encode(`/${BUNDLE_RECORD_NAMESPACE}/${peerId}`);
}

function signedData(peerId: string, publishedAt: number, bundle: Bytes): Bytes {
  return concatBytes(encoder.encode(LABEL_BUNDLE_RECORD), peerIdFromText(peerId).toMultihash().bytes, new Writer(8).u64(publishedAt).finish(), bundle);
}

/** Signs and encodes a record for `bundle` (a last-resort bundle: no one-time prekey). */
export async function encodeBundleRecord(ctx: CryptoContext, identity: IdentityKeyPair, bundle: PrekeyBundle, publishedAt: number): Promise<Uint8Array> {
  if (bundle.oneTimePrekey) throw new RangeError('a published bundle must not carry a one-time prekey');
  const bytes = encodeBundle(bundle);
  const signature = await ctx.primitives.ed25519Sign(identity.signingSeed, signedData(peerIdOfIdentity(identity.public), publishedAt, bytes));
  return new Writer(17 + bytes.length + SIGNATURE_BYTES).u8(FRAME_VERSION).u64(publishedAt).varBytes(bytes).fixed(signature, SIGNATURE_BYTES).finish();
}

/** The peer id a record key names; throws InvalidBundleRecordError for another namespace. */
function peerIdOfKey(key: Uint8Array): string {
  const text = new TextDecoder().decode(key);
  const prefix = `/${BUNDLE_RECORD_NAMESPACE}/`;
  if (!text.startsWith(prefix)) throw new InvalidBundleRecordError('wrong-key');
  try {
    return peerIdFromText(text.slice(prefix.length)).toString();
  } catch {
    throw new InvalidBundleRecordError('wrong-key');
  }
}

/**
 * Decodes and checks a record filed under `key` at time `now`. Throws
 * InvalidBundleRecordError, VersionTooOldError / VersionTooNewError for a
 * bundle of another version than BUNDLE_VERSION (a record's own version byte
 * is FRAME_VERSION), and the bundle's own verification errors.
 */
export async function validateBundleRecord(ctx: CryptoContext, key: Uint8Array, value: Uint8Array, now: number): Promise<BundleRecord> {
  const peerId = peerIdOfKey(key);
  if (value.length > MAX_BUNDLE_RECORD_BYTES) throw new InvalidBundleRecordError('malformed');
  let publishedAt: number;
  let bytes: Bytes;
  let signature: Bytes;
  let bundle: PrekeyBundle;
  try {
    const r = new Reader(value, 'bundle record');
    readVersion(r, 'bundle record', FRAME_VERSION);
    publishedAt = r.u64('published at');
    bytes = r.varBytes('bundle', MAX_BUNDLE_RECORD_BYTES);
    signature = r.fixed(SIGNATURE_BYTES, 'signature');
    r.end();
    bundle = decodeBundle(bytes);
  } catch (err) {
    // A bundle of another version (an old peer's v1) says so; anything else is malformed.
    if (err instanceof VersionTooOldError || err instanceof VersionTooNewError) throw err;
    throw new InvalidBundleRecordError('malformed');
  }
  if (!equalBytes(bundle.identity.signingKey, signingKeyOfPeerId(peerId))) throw new InvalidBundleRecordError('other-identity');
  if (!(await ctx.primitives.ed25519Verify(signature, signedData(peerId, publishedAt, bytes), bundle.identity.signingKey))) throw new InvalidBundleRecordError('bad-signature');
  if (publishedAt > now + BUNDLE_RECORD_MAX_SKEW_MS) throw new InvalidBundleRecordError('future');
  if (now - publishedAt > BUNDLE_RECORD_MAX_AGE_MS) throw new InvalidBundleRecordError('stale');
  await verifyBundle(ctx, bundle);
  return { publishedAt, bundle };
}

/** Index of the newest record among `values` (each already valid). */
export function selectBundleRecord(values: readonly Uint8Array[]): number {
  let best = 0;
  let bestTime = -1;
  values.forEach((value, i) => {
    try {
      const r = new Reader(value, 'bundle record');
      r.u8('version');
      const t = r.u64('published at');
      if (t > bestTime) {
        bestTime = t;
        best = i;
      }
    } catch {
      // an invalid record never wins
    }
  });
  return best;
}

/** The validator and selector to give the DHT for the bundle namespace. */
export function bundleRecordDhtHooks(ctx: CryptoContext): {
  validators: Record<string, (key: Uint8Array, value: Uint8Array) => Promise<void>>;
  selectors: Record<string, (key: Uint8Array, values: Uint8Array[]) => number>;
} {
  return {
    validators: { [BUNDLE_RECORD_NAMESPACE]: async (key, value) => void (await validateBundleRecord(ctx, key, value, ctx.now())) },
    selectors: { [BUNDLE_RECORD_NAMESPACE]: (_key, values) => selectBundleRecord(values) },
  };
}
