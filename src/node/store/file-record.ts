/**
 * The file a stored message carries (`"file"` in `msg:` and `gmsg:`
 * records, docs/PROTOCOL.md §16): its descriptor (§25) as JSON, with the
 * sealed inline chunk of a small file, and why its check failed when it did.
 * The store encrypts values at rest, key included.
 */
import { fromHex, toHex } from '../../crypto/bytes.ts';
import { fromBase64, toBase64 } from '../encoding/base64.ts';
import type { FileDescriptor } from '../encoding/file-descriptor.ts';
import { StoreCorruptError } from '../errors.ts';
import { field, isCount, isString } from './records.ts';

/** A message's file as stored. */
export interface StoredFile {
  readonly name: string;
  /** Media type, '' when unknown. */
  readonly type: string;
  readonly size: number;
  /** SHA-256 of the plaintext (D), hex. */
  readonly sha256: string;
  /** The file id (F), hex. */
  readonly fileId: string;
  /** The file key (K), base64. */
  readonly key: string;
  /** The one sealed chunk of a file of at most FILE_INLINE_MAX_BYTES (base64); absent for a larger file. */
  readonly inline?: string;
  /** Why a received inline file did not verify (FileIntegrityError's reason); absent when it did or was not checked. */
  readonly failure?: string;
}

/** The stored form of descriptor `d`; `failure` when its inline chunk did not verify. */
export function storedFile(d: FileDescriptor, failure?: string): StoredFile {
  return {
    name: d.name,
    type: d.type,
    size: d.size,
    sha256: toHex(d.sha256),
    fileId: toHex(d.fileId),
    key: toBase64(d.key),
    ...(d.inline.length > 0 ? { inline: toBase64(d.inline) } : {}),
    ...(failure === undefined ? {} : { failure }),
  };
}

/** The descriptor a stored file was made from. */
export function descriptorOf(f: StoredFile): FileDescriptor {
  return { name: f.name, type: f.type, size: f.size, sha256: fromHex(f.sha256), fileId: fromHex(f.fileId), key: fromBase64(f.key), inline: f.inline === undefined ? new Uint8Array(0) : fromBase64(f.inline) };
}

/** Decodes the `file` field of a stored message (StoreCorruptError otherwise). */
export function decodeStoredFile(key: string, value: unknown): StoredFile {
  if (typeof value !== 'object' || value === null) throw new StoreCorruptError(key, 'field file');
  const o = value as Record<string, unknown>;
  return {
    name: field(key, o, 'name', isString),
    type: field(key, o, 'type', isString),
    size: field(key, o, 'size', isCount),
    sha256: field(key, o, 'sha256', isString),
    fileId: field(key, o, 'fileId', isString),
    key: field(key, o, 'key', isString),
    ...(o['inline'] === undefined ? {} : { inline: field(key, o, 'inline', isString) }),
    ...(o['failure'] === undefined ? {} : { failure: field(key, o, 'failure', isString) }),
  };
}
