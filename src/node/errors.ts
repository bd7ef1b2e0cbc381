/**
 * Typed errors of Sotto's node layer (store, messenger, protocols). Like the
 * crypto errors they extend SottoError: callers match on `err.name`, and no
 * message ever contains a key or a plaintext.
 */
import { SottoError } from '../crypto/errors.ts';

/** A stored value does not parse as the record it should be. */
export class StoreCorruptError extends SottoError {
  override readonly name = 'StoreCorruptError';
  constructor(readonly key: string, readonly reason: string) {
    super(`stored record ${key} is corrupt: ${reason}`);
  }
}

/** The database was written by a newer Sotto (or an unknown schema). */
export class SchemaVersionError extends SottoError {
  override readonly name = 'SchemaVersionError';
  constructor(readonly found: number, readonly supported: number) {
    super(`database schema version ${found} is not supported (this Sotto reads version ${supported})`);
  }
}

/** This home has no identity yet. */
export class NotInitialisedError extends SottoError {
  override readonly name = 'NotInitialisedError';
  constructor() {
    super('this home has no identity yet');
  }
}

/** This home already has an identity, and it is never overwritten. */
export class AlreadyInitialisedError extends SottoError {
  override readonly name = 'AlreadyInitialisedError';
  constructor(readonly peerId: string) {
    super(`this home already has an identity (${peerId})`);
  }
}

/** No contact has that name. */
export class UnknownContactError extends SottoError {
  override readonly name = 'UnknownContactError';
  constructor(readonly contact: string) {
    super(`no contact named "${contact}"`);
  }
}

/** A contact name is empty, too long or contains control characters. */
export class InvalidContactNameError extends SottoError {
  override readonly name = 'InvalidContactNameError';
  constructor(readonly contact: string, readonly reason: string) {
    super(`invalid contact name: ${reason}`);
  }
}

/**
 * A known contact now presents another identity key (another peer id). Never
 * accepted silently: the user must accept the new key explicitly.
 */
export class ContactIdentityChangedError extends SottoError {
  override readonly name = 'ContactIdentityChangedError';
  constructor(readonly contact: string, readonly knownPeerId: string, readonly newPeerId: string) {
    super(`the identity key of "${contact}" changed (was ${knownPeerId}, now ${newPeerId})`);
  }
}

/** The same peer id is already a contact under another name. */
export class DuplicatePeerError extends SottoError {
  override readonly name = 'DuplicatePeerError';
  constructor(readonly peerId: string, readonly existing: string) {
    super(`peer ${peerId} is already the contact "${existing}"`);
  }
}

/** A message text is empty or too long. */
export class InvalidMessageError extends SottoError {
  override readonly name = 'InvalidMessageError';
  constructor(readonly reason: string) {
    super(`invalid message: ${reason}`);
  }
}

/** A peer's answer on a Sotto protocol is malformed or says it failed. */
export class ProtocolError extends SottoError {
  override readonly name = 'ProtocolError';
  constructor(readonly protocol: string, readonly reason: string) {
    super(`${protocol}: ${reason}`);
  }
}
