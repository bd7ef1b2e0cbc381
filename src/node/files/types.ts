/**
 * The contracts between the parts of files (docs/FILES.md): the store that
 * keeps sealed chunks (./file-store.ts on disk, ./level-file-store.ts in a
 * page), the transfer protocol that serves and fetches them
 * (./transfer-server.ts, ./transfer-client.ts), and the service that ties
 * them to messages (./file-service.ts).
 */
import type { Bytes } from '../../crypto/bytes.ts';
import type { FileDescriptor } from '../encoding/file-descriptor.ts';

export type { FileDescriptor };

/** A file's id (F, docs/PROTOCOL.md §25) as lower-case hex. */
export type FileIdHex = string;

/** Where a file was shared: with one contact, or in a group. */
export type FileAudience = { readonly kind: 'contact'; readonly peerId: string } | { readonly kind: 'group'; readonly groupId: string };

/** The state of a file in a history entry: `received` counts plaintext bytes held. */
export type FileState =
  | { readonly state: 'pending' }
  | { readonly state: 'partial'; readonly received: number }
  | { readonly state: 'complete' }
  | { readonly state: 'failed'; readonly reason: string };

/** What a holder serves from (the transfer server's view of the store). */
export interface FileHoldings {
  /** The manifest when it is held whole, else undefined. */
  manifest(fileId: FileIdHex): Promise<Bytes | undefined>;
  /** Chunk count and which chunks are held, or undefined when nothing of the file is held. */
  held(fileId: FileIdHex): Promise<{ readonly chunks: number; readonly bitmap: Bytes } | undefined>;
  /** Sealed chunk `index`, or undefined when not held. */
  readChunk(fileId: FileIdHex, index: number): Promise<Bytes | undefined>;
  /** Whether `peerId` may fetch the file (the audience it was shared with). */
  mayFetch(fileId: FileIdHex, peerId: string): Promise<boolean>;
}

/** What a fetch writes into (the transfer client's view of one incoming file). */
export interface FetchTarget {
  readonly fileId: FileIdHex;
  readonly size: number;
  /** The manifest when the store has it already. */
  manifest(): Promise<Bytes | undefined>;
  /** Keeps the manifest (already checked against the file id by the caller). */
  putManifest(manifest: Bytes): Promise<void>;
  /** Indexes of the chunks not yet written, ascending. */
  missing(): Promise<number[]>;
  /**
   * Writes sealed chunk `index` (already checked against the manifest) and
   * records it as held once the bytes are written. Throws FileQuotaError or
   * FileDiskFullError (then nothing is recorded).
   */
  writeChunk(index: number, sealed: Bytes): Promise<void>;
}
