/**
 * Where a file store keeps sealed chunks: a file of chunks at fixed offsets
 * on disk (./disk-chunks.ts), or records in a page's level store
 * (./level-file-store.ts). A chunk space only holds bytes; which chunks are
 * held is recorded by the store (./sealed-files.ts), after the bytes.
 */
import type { Bytes } from '../../crypto/bytes.ts';

/** Bytes of sealed chunks by file and index; no bookkeeping of its own. */
export interface ChunkSpace {
  /** Writes sealed chunk `index` of file `id`. Throws the platform's write error (ENOSPC …) with `code`. */
  write(id: string, index: number, sealed: Bytes): Promise<void>;
  /** Sealed chunk `index` of `id` when `length` bytes of it are there, else undefined. */
  read(id: string, index: number, length: number): Promise<Bytes | undefined>;
  /** Makes every write of `id` that completed durable (called before the chunks are recorded). */
  flush(id: string): Promise<void>;
  /** Moves the chunks of `from` (an import under way) to `to` (its file id). */
  rename(from: string, to: string, chunks: number): Promise<void>;
  /** Deletes every chunk of `id` (nothing when there is none). */
  remove(id: string, chunks: number): Promise<void>;
  /** Releases open files. */
  close(): Promise<void>;
}
