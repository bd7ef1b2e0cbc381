/**
 * The file store of the files benchmark, on disk: a sealed copy of a file
 * (what a sender keeps in its home) served as {@link FileHoldings}, and an
 * incoming file written chunk by chunk at its offset as a
 * FetchTarget. Both are plain positional reads and writes on one file, no
 * fsync: the benchmark measures the transfer, not the disk. The store
 * `disk` of ./stores.ts.
 */
import { open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { toHex, type Bytes } from '../../src/crypto/bytes.ts';
import { FILE_CHUNK_TAG_BYTES, FILE_HASH_BYTES } from '../../src/crypto/constants.ts';
import { chunkCount, chunkHash, chunkPlainBytes, chunkSealedBytes, fileIdOf, sealChunk } from '../../src/crypto/file-cipher.ts';
import type { Primitives } from '../../src/crypto/primitives/types.ts';
import { FILE_CHUNK_BYTES } from '../../src/node/constants.ts';
import type { FileHoldings, FileIdHex } from '../../src/node/files/types.ts';
import { bitmapOf } from '../../src/node/files/wire.ts';
import type { BenchStore, BenchTarget } from './stores.ts';

/** Where sealed chunk `index` starts in a file of sealed chunks. */
export function sealedOffset(index: number): number {
  return index * (FILE_CHUNK_BYTES + FILE_CHUNK_TAG_BYTES);
}

/** A sealed file on disk. */
export interface SealedOnDisk {
  readonly path: string;
  readonly size: number;
  readonly chunks: number;
  readonly manifest: Bytes;
  readonly fileId: FileIdHex;
}

/**
 * Seals `size` bytes under `key` into `path`, chunk by chunk (one chunk in
 * memory at a time). The plaintext is `pattern` repeated: its content does
 * not matter once sealed.
 */
export async function writeSealedFile(primitives: Primitives, path: string, size: number, key: Bytes, pattern: Bytes): Promise<SealedOnDisk> {
  const chunks = chunkCount(size);
  const manifest = new Uint8Array(chunks * FILE_HASH_BYTES);
  const handle = await open(path, 'w');
  try {
    for (let i = 0; i < chunks; i++) {
      const sealed = sealChunk(primitives, key, size, i, pattern.subarray(0, chunkPlainBytes(size, i)));
      manifest.set(chunkHash(primitives, sealed), i * FILE_HASH_BYTES);
      await handle.write(sealed, 0, sealed.length, sealedOffset(i));
    }
  } finally {
    await handle.close();
  }
  return { path, size, chunks, manifest, fileId: toHex(fileIdOf(primitives, size, manifest)) };
}

/** Reads sealed chunk `index` of `file` from `handle`. */
export async function readSealedChunk(handle: FileHandle, file: Pick<SealedOnDisk, 'size'>, index: number): Promise<Bytes> {
  const out = new Uint8Array(chunkSealedBytes(file.size, index));
  const { bytesRead } = await handle.read(out, 0, out.length, sealedOffset(index));
  if (bytesRead !== out.length) throw new Error(`chunk ${index}: read ${bytesRead} of ${out.length} bytes`);
  return out;
}

/** Serves one whole sealed file on disk to the peers in `audience`. */
export class DiskHoldings implements FileHoldings {
  private readonly bitmap: Bytes;

  constructor(private readonly file: SealedOnDisk, private readonly handle: FileHandle, private readonly audience: ReadonlySet<string>) {
    this.bitmap = bitmapOf(file.chunks, Array.from({ length: file.chunks }, (_, i) => i));
  }

  async manifest(fileId: FileIdHex): Promise<Bytes | undefined> {
    return fileId === this.file.fileId ? this.file.manifest : undefined;
  }

  async held(fileId: FileIdHex): Promise<{ chunks: number; bitmap: Bytes } | undefined> {
    return fileId === this.file.fileId ? { chunks: this.file.chunks, bitmap: this.bitmap } : undefined;
  }

  async readChunk(fileId: FileIdHex, index: number): Promise<Bytes | undefined> {
    if (fileId !== this.file.fileId || index >= this.file.chunks) return undefined;
    return readSealedChunk(this.handle, this.file, index);
  }

  async mayFetch(fileId: FileIdHex, peerId: string): Promise<boolean> {
    return fileId === this.file.fileId && this.audience.has(peerId);
  }
}

/** An incoming file written at its offsets into `path`; which chunks are written is kept in memory. */
export class DiskTarget implements BenchTarget {
  private stored: Bytes | undefined;
  private readonly done: Uint8Array;

  private constructor(readonly fileId: FileIdHex, readonly size: number, private readonly path: string, private readonly handle: FileHandle) {
    this.done = new Uint8Array(chunkCount(size));
  }

  /** A new, empty target file at `path`. */
  static async create(path: string, fileId: FileIdHex, size: number): Promise<DiskTarget> {
    return new DiskTarget(fileId, size, path, await open(path, 'w+'));
  }

  async manifest(): Promise<Bytes | undefined> {
    return this.stored;
  }

  async putManifest(manifest: Bytes): Promise<void> {
    this.stored = manifest;
  }

  async missing(): Promise<number[]> {
    const out: number[] = [];
    this.done.forEach((d, i) => {
      if (d === 0) out.push(i);
    });
    return out;
  }

  async writeChunk(index: number, sealed: Bytes): Promise<void> {
    await this.handle.write(sealed, 0, sealed.length, sealedOffset(index));
    this.done[index] = 1;
  }

  async readBack(index: number): Promise<Bytes> {
    return readSealedChunk(this.handle, this, index);
  }

  async discard(): Promise<void> {
    await this.handle.close();
    await rm(this.path, { force: true });
  }
}

let targets = 0;

/** The sealed file and the incoming files on disk, in the benchmark's directory. */
export const diskStore: BenchStore = {
  hold: async (dir, primitives, size, key, pattern) => {
    const file = await writeSealedFile(primitives, join(dir, 'sealed'), size, key, pattern);
    const handle = await open(file.path, 'r');
    const audience = new Set<string>();
    return {
      fileId: file.fileId,
      size,
      holdings: new DiskHoldings(file, handle, audience),
      allow: (peerId) => void audience.add(peerId),
      close: () => handle.close(),
    };
  },
  target: (dir, fileId, size) => DiskTarget.create(join(dir, `fetched-${targets++}`), fileId, size),
};
