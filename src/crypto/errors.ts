/**
 * Typed errors of Sotto's crypto layer.
 *
 * Callers match on `err.name` (or `instanceof`), never on message text. Every
 * class carries the data a caller needs to react; none ever carries key
 * material or plaintext. Bad arguments from the program itself (wrong key
 * length passed by code) are TypeError/RangeError instead.
 */

/** Base class of every protocol error Sotto raises on purpose. */
export abstract class SottoError extends Error {
  abstract override readonly name: string;
}

/** Input bytes do not parse as the named structure (truncated, trailing bytes, bad length or field). */
export class DecodeError extends SottoError {
  override readonly name = 'DecodeError';
  constructor(readonly what: string, readonly reason: string) {
    super(`cannot decode ${what}: ${reason}`);
  }
}

/** A structure carries a format version older than any this build accepts. */
export class VersionTooOldError extends SottoError {
  override readonly name = 'VersionTooOldError';
  constructor(readonly what: string, readonly version: number, readonly minimum: number) {
    super(`${what} version ${version} is older than the oldest supported (${minimum})`);
  }
}

/** A structure carries a format version newer than this build understands. */
export class VersionTooNewError extends SottoError {
  override readonly name = 'VersionTooNewError';
  constructor(readonly what: string, readonly version: number, readonly maximum: number) {
    super(`${what} version ${version} is newer than the newest supported (${maximum})`);
  }
}

/** A signature over an identity certificate or a prekey does not verify. */
export class InvalidSignatureError extends SottoError {
  override readonly name = 'InvalidSignatureError';
  constructor(readonly what: 'identity-certificate' | 'signed-prekey' | 'kem-prekey') {
    super(`invalid signature on ${what}`);
  }
}

/** A prekey bundle has no ML-KEM prekey: Sotto never falls back to a classical-only handshake. */
export class MissingKemPrekeyError extends SottoError {
  override readonly name = 'MissingKemPrekeyError';
  constructor() {
    super('prekey bundle has no ML-KEM prekey; refusing a classical-only handshake');
  }
}

/** A public key is malformed, non-canonical, of low order, or yields an all-zero DH output. */
export class InvalidPublicKeyError extends SottoError {
  override readonly name = 'InvalidPublicKeyError';
  constructor(readonly what: string, readonly reason: 'length' | 'non-canonical' | 'low-order' | 'zero-shared-secret' | 'invalid-kem-key') {
    super(`invalid public key (${what}): ${reason}`);
  }
}

/** No current, next or kept header key opens the message header. */
export class HeaderDecryptError extends SottoError {
  override readonly name = 'HeaderDecryptError';
  constructor() {
    super('message header does not decrypt under any key of this session');
  }
}

/**
 * The message's counter was already used in its chain, or its skipped key was
 * evicted or expired. Either way it cannot be decrypted again.
 */
export class DuplicateMessageError extends SottoError {
  override readonly name = 'DuplicateMessageError';
  constructor(readonly counter: number) {
    super(`message ${counter} was already decrypted or its key was discarded`);
  }
}

/** A header asks to skip more message keys than the limit allows. */
export class TooManySkippedMessagesError extends SottoError {
  override readonly name = 'TooManySkippedMessagesError';
  constructor(readonly requested: number, readonly limit: number) {
    super(`message would skip ${requested} keys; the limit is ${limit}`);
  }
}

/** The message body fails authentication (tampered, or wrong associated data). */
export class AuthenticationError extends SottoError {
  override readonly name = 'AuthenticationError';
  constructor(readonly what: string) {
    super(`${what} failed authentication`);
  }
}

/** A prekey message names a prekey this device does not have (used, rotated away, or never issued). */
export class UnknownPrekeyError extends SottoError {
  override readonly name = 'UnknownPrekeyError';
  constructor(readonly kind: 'signed' | 'kem' | 'one-time', readonly id: number) {
    super(`no ${kind} prekey with id ${id}`);
  }
}

/** A message arrived with an identity other than the one this session belongs to. */
export class IdentityMismatchError extends SottoError {
  override readonly name = 'IdentityMismatchError';
  constructor() {
    super('message identity key differs from the session identity key');
  }
}

/** A normal message arrived, but no session exists with its sender. */
export class NoSessionError extends SottoError {
  override readonly name = 'NoSessionError';
  constructor() {
    super('no session with this contact');
  }
}

/** A plaintext exceeds the largest message Sotto encrypts. */
export class MessageTooLargeError extends SottoError {
  override readonly name = 'MessageTooLargeError';
  constructor(readonly size: number, readonly limit: number) {
    super(`message of ${size} bytes exceeds the limit of ${limit}`);
  }
}

/** A sending chain reached the largest counter the header can carry. */
export class ChainExhaustedError extends SottoError {
  override readonly name = 'ChainExhaustedError';
  constructor() {
    super('sending chain exhausted; a reply from the contact is needed to ratchet');
  }
}
