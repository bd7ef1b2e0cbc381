/**
 * Writes a file so that readers (and a crash) see either nothing or all of
 * it: the bytes go to a temporary file beside the target (private to the
 * user), are synced to disk, and only then take the target's name, with the
 * folder synced after. Without `overwrite`, an existing target is never
 * replaced, even one that appears while the file is being written.
 */
import { randomBytes } from 'node:crypto';
import { link, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { SottoError } from '../crypto/errors.ts';

/** Permissions of files that hold secrets: only their owner may read them. */
export const PRIVATE_FILE_MODE = 0o600;
/** Random bytes in a temporary file's name (two writers never collide). */
const TEMP_NAME_RANDOM_BYTES = 8;

/** The output file exists and replacing it was not asked for. Nothing was written. */
export class OutputFileExistsError extends SottoError {
  override readonly name = 'OutputFileExistsError';
  constructor(readonly path: string) {
    super(`${path} already exists`);
  }
}

async function syncFolder(folder: string): Promise<void> {
  const handle = await open(folder, 'r');
  try {
    await handle.sync();
  } catch {
    // Some file systems cannot sync a folder; the file itself is synced.
  } finally {
    await handle.close();
  }
}

/**
 * Writes `data` to `path` atomically with mode 0600. Throws
 * OutputFileExistsError when `path` exists and `overwrite` is false (nothing
 * written), and the file system's errors (the temporary file is removed).
 */
export async function writeFileAtomic(path: string, data: Uint8Array, options: { overwrite: boolean }): Promise<void> {
  const folder = dirname(path);
  const temp = join(folder, `.${basename(path)}.${randomBytes(TEMP_NAME_RANDOM_BYTES).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', PRIVATE_FILE_MODE);
  try {
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (options.overwrite) {
      await rename(temp, path);
    } else {
      // link() fails if the target exists: no check-then-write race.
      try {
        await link(temp, path);
      } catch (err) {
        if ((err as { code?: string }).code === 'EEXIST') throw new OutputFileExistsError(path);
        throw err;
      }
      await unlink(temp);
    }
  } catch (err) {
    await unlink(temp).catch(() => {});
    throw err;
  }
  await syncFolder(folder);
}
