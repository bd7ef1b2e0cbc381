/**
 * The file store of a home (docs/FILES.md, "Kept encrypted", "Resumable"):
 * sealed chunks in the home's `files/` folder (./disk-chunks.ts), records in
 * the home's level store (./sealed-files.ts). Adds what needs a file system:
 * importing a local file read once, streaming, and refusing one that changes
 * while it is read; saving a complete file through a temporary file beside
 * the destination, checked, synced and renamed into place; and, at open,
 * deleting chunks that no record names (an import or a delete cut short).
 */
import * as fsPromises from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { toHex, type Bytes } from '../../crypto/bytes.ts';
import { FILE_CHUNK_BYTES } from '../constants.ts';
import { FileChangedError, FileExistsError, FileNotCompleteError, FileNotFoundError, NotRegularFileError, UnknownFileError } from '../errors.ts';
import { chunksFileName, DiskChunks, type FileSystem } from './disk-chunks.ts';
import { SealedFiles, type SealedFilesInit } from './sealed-files.ts';
import type { FileAudience, FileDescriptor, FileIdHex } from './types.ts';

/** What a home's file store needs besides the home's store and crypto context. */
export interface FileStoreInit extends Omit<SealedFilesInit, 'chunks'> {
  /** The home's `files/` folder (created when missing). */
  readonly dir: string;
  /** The file system (tests wrap it to make a write fail or a file change). */
  readonly fs?: FileSystem;
}

/** Options of {@link FileStore.save}. */
export interface SaveOptions {
  /** Replace a file at the destination (refused by default). */
  readonly overwrite?: boolean;
}

/** Folders of a home are its owner's alone. */
const DIR_MODE = 0o700;
/** A file saved from the store gets the usual permissions of a user's file. */
const SAVED_FILE_MODE = 0o644;

/** A home's files: sealed chunks on disk, records in the store. */
export class FileStore extends SealedFiles {
  private constructor(
    init: SealedFilesInit,
    private readonly dir: string,
    private readonly fs: FileSystem,
  ) {
    super(init);
  }

  /** Opens the store of files in `init.dir`, deleting chunks files no record names. */
  static async open(init: FileStoreInit): Promise<FileStore> {
    const fs = init.fs ?? fsPromises;
    await fs.mkdir(init.dir, { recursive: true, mode: DIR_MODE });
    const known = new Set((await init.store.listFiles()).map((f) => chunksFileName(f.id)));
    for (const entry of await fs.readdir(init.dir)) {
      if (entry.endsWith('.chunks') && !known.has(entry)) await fs.rm(join(init.dir, entry), { force: true });
    }
    return new FileStore({ ...init, chunks: new DiskChunks(init.dir, fs) }, init.dir, fs);
  }

  /**
   * Seals the local file at `path`, read once, one chunk at a time, and
   * keeps the sealed copy; the name is the path's last component, the media
   * type comes from its extension. Throws FileNameError (a name the
   * protocol refuses), FileTooLargeError, FileChangedError (its size or
   * modification time changed while it was read, or it had more or fewer
   * bytes than its size), FileDiskFullError, FileNotFoundError,
   * NotRegularFileError, and the file system's other errors (EACCES …);
   * nothing is left behind.
   */
  async importFile(path: string, audience: FileAudience): Promise<FileDescriptor> {
    const before = await this.fs.stat(path).catch((err: unknown) => {
      throw (err as { code?: string }).code === 'ENOENT' ? new FileNotFoundError(path) : err;
    });
    if (!before.isFile()) throw new NotRegularFileError(path);
    const handle = await this.fs.open(path, 'r');
    try {
      const read = async (index: number, length: number): Promise<Bytes> => {
        const out = new Uint8Array(length);
        if ((await readFully(handle, out, index * FILE_CHUNK_BYTES)) < length) throw new FileChangedError(path);
        return out;
      };
      const check = async (): Promise<void> => {
        const after = await this.fs.stat(path);
        const extra = await readFully(handle, new Uint8Array(1), before.size);
        if (extra > 0 || after.size !== before.size || after.mtimeMs !== before.mtimeMs) throw new FileChangedError(path);
      };
      return await this.importChunks(basename(path), before.size, read, audience, check);
    } finally {
      await handle.close();
    }
  }

  /**
   * Writes the plaintext of complete file `id` to `dest` (or, when `dest`
   * is a folder, to the file's name inside it): decrypted into a temporary
   * file beside it, checked against D, synced, then moved into place; the
   * temporary file is deleted on any failure, so nothing that does not
   * verify is ever under the final name. Returns the path written. Throws
   * UnknownFileError, FileNotCompleteError, FileExistsError (unless
   * `overwrite`), FileDigestError (the file becomes failed), and the file
   * system's errors.
   */
  async save(id: FileIdHex, dest: string, options: SaveOptions = {}): Promise<string> {
    const record = await this.record(id);
    if (!record) throw new UnknownFileError(id);
    if (record.state !== 'complete') throw new FileNotCompleteError(id, record.state === 'failed' ? 'failed' : (await this.state(id))!.state);
    const target = (await this.isDirectory(dest)) ? join(dest, record.name) : dest;
    if (!options.overwrite && (await this.exists(target))) throw new FileExistsError(target);
    const temporary = join(dirname(target), `.${basename(target)}.${toHex(this.ctx.randomBytes(8))}.part`);
    const handle = await this.fs.open(temporary, 'wx', SAVED_FILE_MODE);
    try {
      try {
        for await (const plain of this.plaintext(id)) await writeFully(handle, plain);
        await handle.sync();
      } finally {
        await handle.close();
      }
      if (options.overwrite) await this.fs.rename(temporary, target);
      else {
        // link() fails with EEXIST if something appeared at the destination meanwhile: it is never replaced.
        await this.fs.link(temporary, target).catch((err: unknown) => {
          throw (err as { code?: string }).code === 'EEXIST' ? new FileExistsError(target) : err;
        });
        await this.fs.unlink(temporary);
      }
    } catch (err) {
      await this.fs.rm(temporary, { force: true });
      throw err;
    }
    await syncDirectory(this.fs, dirname(target));
    return target;
  }

  private async isDirectory(path: string): Promise<boolean> {
    return (await this.fs.stat(path).catch(() => undefined))?.isDirectory() ?? false;
  }

  private async exists(path: string): Promise<boolean> {
    return (await this.fs.stat(path).catch(() => undefined)) !== undefined;
  }

  /** The folder of sealed chunks. */
  get folder(): string {
    return this.dir;
  }
}

/** Reads into `out` from `position` until it is full or the file ends; the bytes read. */
async function readFully(handle: FileHandle, out: Uint8Array, position: number): Promise<number> {
  let done = 0;
  while (done < out.length) {
    const { bytesRead } = await handle.read(out, done, out.length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}

/** Appends all of `bytes` at the handle's position. */
async function writeFully(handle: FileHandle, bytes: Uint8Array): Promise<void> {
  let done = 0;
  while (done < bytes.length) done += (await handle.write(bytes, done, bytes.length - done)).bytesWritten;
}

/** Syncs a folder, so a rename into it survives a crash (best effort: not every platform opens folders). */
async function syncDirectory(fs: FileSystem, dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r').catch(() => undefined);
  if (!handle) return;
  await handle.sync().catch(() => undefined);
  await handle.close();
}
