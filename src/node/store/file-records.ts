/**
 * The records of files a home keeps (docs/PROTOCOL.md §16, "Files"): per file
 * (by its id F, hex) what its message said about it, who it was shared with,
 * whether it was sent or received, its state and the messages that reference
 * it (`file:`); its manifest (`fman:`, binary); which chunks are written
 * (`fbits:`, a bitmap); and, in a page, the sealed chunks themselves
 * (`fchunk:`). UTF-8 JSON checked field by field, like ./records.ts.
 */
import { StoreCorruptError } from '../errors.ts';
import { field, isCount, isString, isStringList, oneOf, parse } from './records.ts';

/** Where a file was shared: with one contact, or in a group. */
export type FileAudienceRecord = { readonly kind: 'contact'; readonly peerId: string } | { readonly kind: 'group'; readonly groupId: string };

/** A file's stored state: still being written, verified whole, or given up on (`reason`). */
export type FileRecordState = 'incomplete' | 'complete' | 'failed';

/** One file this home holds (sent: a sealed copy of what was sent; received: what was fetched of it). */
export interface FileRecord {
  /** The file id F, hex. */
  readonly id: string;
  readonly name: string;
  /** Media type, or ''. */
  readonly type: string;
  readonly size: number;
  /** D, the SHA-256 of the plaintext, hex. */
  readonly sha256: string;
  /** K, the file key, base64 (the value is encrypted at rest with the home). */
  readonly key: string;
  readonly audience: FileAudienceRecord;
  readonly origin: 'sent' | 'received';
  readonly state: FileRecordState;
  /** Why a file failed ("digest does not match", …); only with state `failed`. */
  readonly reason?: string;
  /** Ids of the messages that reference the file; its chunks go when the last one does. */
  readonly messages: readonly string[];
  /** A sent 1:1 file whose contact was seen holding every chunk (its HAVE answer): the sender's history shows it complete from then on. */
  readonly delivered?: true;
}

function decodeAudience(key: string, v: unknown): FileAudienceRecord {
  if (typeof v !== 'object' || v === null) throw new StoreCorruptError(key, 'field audience');
  const o = v as Record<string, unknown>;
  return field(key, o, 'kind', oneOf('contact', 'group')) === 'contact' ? { kind: 'contact', peerId: field(key, o, 'peerId', isString) } : { kind: 'group', groupId: field(key, o, 'groupId', isString) };
}

/** Decodes a stored file record (StoreCorruptError for a wrong field). */
export function decodeFile(key: string, bytes: Uint8Array): FileRecord {
  const o = parse(key, bytes);
  const state = field(key, o, 'state', oneOf('incomplete', 'complete', 'failed'));
  return {
    id: field(key, o, 'id', isString),
    name: field(key, o, 'name', isString),
    type: field(key, o, 'type', isString),
    size: field(key, o, 'size', isCount),
    sha256: field(key, o, 'sha256', isString),
    key: field(key, o, 'key', isString),
    audience: decodeAudience(key, o['audience']),
    origin: field(key, o, 'origin', oneOf('sent', 'received')),
    state,
    ...(state === 'failed' ? { reason: field(key, o, 'reason', isString) } : {}),
    messages: field(key, o, 'messages', isStringList),
    ...(o['delivered'] === true ? { delivered: true as const } : {}),
  };
}

/**
 * A received file message whose file the file service has not taken yet
 * (`fwant:<message id>`): written in the transaction that stores the
 * message, deleted once the file has its record (or was refused), so a
 * file is never forgotten, whatever stops in between.
 */
export interface FileWantRecord {
  readonly messageId: string;
  /** Where the message is: a contact's conversation or a group's. */
  readonly audience: FileAudienceRecord;
  /** Who sent it (the first holder to ask). */
  readonly sender: string;
}

/** Decodes a stored file want (StoreCorruptError for a wrong field). */
export function decodeFileWant(key: string, bytes: Uint8Array): FileWantRecord {
  const o = parse(key, bytes);
  return { messageId: field(key, o, 'messageId', isString), audience: decodeAudience(key, o['audience']), sender: field(key, o, 'sender', isString) };
}
