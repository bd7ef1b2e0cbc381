/**
 * Sotto's crypto core: identities and safety numbers, prekey bundles, the
 * PQXDH-style session start, the Double Ratchet, and the wire envelope.
 * Pure functions on plain data; no I/O, no network, runs in Node and
 * browsers. Node callers pass `nodePrimitives` (./primitives/node.ts) in
 * their context; everywhere else `noblePrimitives`.
 */
export type { Bytes } from './bytes.ts';
export { concatBytes, equalBytes, fromHex, toHex } from './bytes.ts';
export * as limits from './constants.ts';
export type { CryptoContext } from './context.ts';
export {
  AuthenticationError,
  ChainExhaustedError,
  DecodeError,
  DuplicateMessageError,
  HeaderDecryptError,
  IdentityMismatchError,
  InvalidPublicKeyError,
  InvalidSignatureError,
  MessageTooLargeError,
  MissingKemPrekeyError,
  NoSessionError,
  SottoError,
  TooManySkippedMessagesError,
  UnknownPrekeyError,
  VersionTooNewError,
  VersionTooOldError,
} from './errors.ts';
export type { Primitives, KemKeyPair } from './primitives/types.ts';
export { noblePrimitives } from './primitives/noble.ts';
export type { IdentityKeyPair, IdentityPublic } from './identity.ts';
export {
  decodeIdentityKeyPair,
  decodeIdentityPublic,
  encodeIdentityKeyPair,
  encodeIdentityPublic,
  generateIdentity,
  verifyIdentity,
} from './identity.ts';
export type { SafetyNumber } from './safety-number.ts';
export { formatSafetyNumber, matchesSafetyNumberQr, safetyNumber } from './safety-number.ts';
export type { PrekeyBundle } from './bundle.ts';
export { decodeBundle, encodeBundle, verifyBundle } from './bundle.ts';
export type { OneTimeKemPrekeyRecord, PrekeyState } from './prekeys.ts';
export type { PrekeyLifetimes } from './prekey-lifetime.ts';
export { applyPrekeyLifetimes } from './prekey-lifetime.ts';
export {
  consumeOneTimePrekey,
  createPrekeyState,
  decodePrekeyState,
  encodePrekeyState,
  issueBundle,
  replenishOneTimeKemPrekeys,
  replenishOneTimePrekeys,
  rotateSignedPrekeys,
} from './prekeys.ts';
export type { DecryptInput, DecryptResult, SessionRecord, SessionState } from './session.ts';
export { decryptMessage, encryptMessage, startSession } from './session.ts';
export { decodeSessionRecord, encodeSessionRecord } from './session-codec.ts';
export type { Envelope } from './envelope.ts';
export { decodeEnvelope, encodeEnvelope, MAX_ENVELOPE_BYTES } from './envelope.ts';
