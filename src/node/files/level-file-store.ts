/**
 * The file store of a page (docs/FILES.md, "Kept encrypted"): the same
 * records as a home's (./sealed-files.ts), with the sealed chunks as records
 * of the page's level store too (`fchunk:`, browser-level over IndexedDB;
 * memory-level in tests), encrypted at rest with everything else. A page
 * attaches bytes (importBytes) and hands a complete file's plaintext out
 * chunk by chunk (`plaintext`, for a Blob) instead of saving to a path.
 */
import type { Bytes } from '../../crypto/bytes.ts';
import { Tx, type SottoStore } from '../store/store.ts';
import type { ChunkSpace } from './chunk-space.ts';
import { SealedFiles, type ChunkReader, type SealedFilesInit } from './sealed-files.ts';
import type { FileAudience, FileDescriptor, FileIdHex } from './types.ts';

/** Chunk deletions in one commit when a file goes (bounded batches). */
const DELETE_BATCH_CHUNKS = 64;
/** Chunks moved in one commit when an import gets its id: 2 MiB of sealed chunks held at once. */
const RENAME_BATCH_CHUNKS = 8;

/**
 * Chunks as `fchunk:<id>:<index>` records. Commits are written in order, so
 * a chunk's record always lands before the bitmap that names it: flush has
 * nothing to wait for.
 */
export class LevelChunks implements ChunkSpace {
  constructor(private readonly store: SottoStore) {}

  async write(id: string, index: number, sealed: Bytes): Promise<void> {
    await this.store.commit(new Tx().putFileChunk(id, index, sealed), { sync: false });
  }

  async read(id: string, index: number, length: number): Promise<Bytes | undefined> {
    const sealed = await this.store.getFileChunk(id, index);
    return sealed?.length === length ? sealed : undefined;
  }

  async flush(): Promise<void> {}

  async rename(from: string, to: string, chunks: number): Promise<void> {
    // In batches: one commit (an IndexedDB transaction in a page) per RENAME_BATCH_CHUNKS chunks, not one each.
    for (let first = 0; first < chunks; first += RENAME_BATCH_CHUNKS) {
      const tx = new Tx();
      for (let i = first; i < Math.min(chunks, first + RENAME_BATCH_CHUNKS); i++) {
        const sealed = await this.store.getFileChunk(from, i);
        if (sealed) tx.putFileChunk(to, i, sealed).deleteFileChunk(from, i);
      }
      await this.store.commit(tx, { sync: false });
    }
  }

  async remove(id: string, chunks: number): Promise<void> {
    for (let from = 0; from < chunks; from += DELETE_BATCH_CHUNKS) {
      const tx = new Tx();
      for (let i = from; i < Math.min(chunks, from + DELETE_BATCH_CHUNKS); i++) tx.deleteFileChunk(id, i);
      await this.store.commit(tx, { sync: false });
    }
  }

  async close(): Promise<void> {}
}

/** A page's files: records and sealed chunks in its level store. */
export class LevelFileStore extends SealedFiles {
  constructor(init: Omit<SealedFilesInit, 'chunks'>) {
    super({ ...init, chunks: new LevelChunks(init.store) });
  }

  /**
   * Seals a file of `size` bytes called `name` read chunk by chunk through
   * `read` (a page's attachment: a File sliced, so a large one is never
   * whole in memory). See SealedFiles.importChunks for what it throws.
   */
  importReader(name: string, size: number, read: ChunkReader, audience: FileAudience): Promise<FileDescriptor> {
    return this.importChunks(name, size, read, audience);
  }

  /** The plaintext of complete file `id`, chunk by chunk (see SealedFiles.plaintext), for a Blob. */
  read(id: FileIdHex): AsyncGenerator<Bytes> {
    return this.plaintext(id);
  }
}
