/**
 * Sealed chunks on disk (docs/FILES.md, "Kept encrypted"): one file
 * `<id>.chunks` per file in the home's `files/` folder, chunk i at offset
 * i × (FILE_CHUNK_BYTES + 16), written where it belongs whatever the order
 * (a sparse file until every chunk is there). File handles stay open while
 * a file is written or served; the file system is injected so tests can
 * make a write fail.
 */
import type { FileHandle } from 'node:fs/promises';
import * as fsPromises from 'node:fs/promises';
import { constants } from 'node:fs';
import { join } from 'node:path';
import type { Bytes } from '../../crypto/bytes.ts';
import { FILE_CHUNK_BYTES } from '../constants.ts';
import { FILE_CHUNK_TAG_BYTES } from '../../crypto/constants.ts';
import type { ChunkSpace } from './chunk-space.ts';

/** The file-system calls the file store makes (node:fs/promises, or a wrapper in tests). */
export type FileSystem = Pick<typeof fsPromises, 'open' | 'stat' | 'rename' | 'rm' | 'mkdir' | 'readdir' | 'link' | 'unlink'>;

/** Bytes between the starts of two chunks in a chunks file. */
const CHUNK_STRIDE = FILE_CHUNK_BYTES + FILE_CHUNK_TAG_BYTES;
/** Files and folders of a home are its owner's alone. */
const FILE_MODE = 0o600;

/** The name of the chunks file of `id` in the files folder. */
export function chunksFileName(id: string): string {
  return `${id}.chunks`;
}

/** Chunks of each file in `<dir>/<id>.chunks`. */
export class DiskChunks implements ChunkSpace {
  private readonly handles = new Map<string, Promise<FileHandle>>();

  constructor(
    private readonly dir: string,
    private readonly fs: FileSystem = fsPromises,
  ) {}

  private path(id: string): string {
    return join(this.dir, chunksFileName(id));
  }

  private handle(id: string): Promise<FileHandle> {
    let handle = this.handles.get(id);
    if (!handle) {
      handle = this.fs.open(this.path(id), constants.O_RDWR | constants.O_CREAT, FILE_MODE);
      this.handles.set(id, handle);
      handle.catch(() => this.handles.delete(id));
    }
    return handle;
  }

  private async release(id: string): Promise<void> {
    const handle = this.handles.get(id);
    this.handles.delete(id);
    if (handle) await (await handle.catch(() => undefined))?.close();
  }

  async write(id: string, index: number, sealed: Bytes): Promise<void> {
    const handle = await this.handle(id);
    let done = 0;
    while (done < sealed.length) {
      const { bytesWritten } = await handle.write(sealed, done, sealed.length - done, index * CHUNK_STRIDE + done);
      done += bytesWritten;
    }
  }

  async read(id: string, index: number, length: number): Promise<Bytes | undefined> {
    let handle: FileHandle;
    try {
      handle = await this.handle(id);
    } catch {
      return undefined;
    }
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await handle.read(out, done, length - done, index * CHUNK_STRIDE + done);
      if (bytesRead === 0) return undefined;
      done += bytesRead;
    }
    return out;
  }

  async flush(id: string): Promise<void> {
    const handle = this.handles.get(id);
    if (handle) await (await handle).datasync();
  }

  async rename(from: string, to: string): Promise<void> {
    await this.release(from);
    await this.fs.rename(this.path(from), this.path(to));
  }

  async remove(id: string): Promise<void> {
    await this.release(id);
    await this.fs.rm(this.path(id), { force: true });
  }

  async close(): Promise<void> {
    for (const id of [...this.handles.keys()]) await this.release(id);
  }
}
