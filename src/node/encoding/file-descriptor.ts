/**
 * The file descriptor a file message carries (docs/PROTOCOL.md §25, "File
 * descriptor"), in 1:1 payloads (type 8) and group plaintexts (type 2). It
 * sits in encoding/ because messaging/ and groups/ carry it, below files/.
 */
import type { Bytes } from '../../crypto/bytes.ts';

/** What a file message says about its file (docs/PROTOCOL.md §25, "File descriptor"). */
export interface FileDescriptor {
  readonly name: string;
  /** Media type, or '' when unknown. */
  readonly type: string;
  readonly size: number;
  /** SHA-256 of the plaintext (D). */
  readonly sha256: Bytes;
  /** The file id (F). */
  readonly fileId: Bytes;
  /** The file key (K). */
  readonly key: Bytes;
  /** The one sealed chunk of a file of at most FILE_INLINE_MAX_BYTES, else empty. */
  readonly inline: Bytes;
}
