/**
 * The size of a home's database on disk: the bytes of every file in its
 * LevelDB folder (tables, the write-ahead log, the manifest), and the same
 * after a full compaction, which drops overwritten and deleted records that
 * LevelDB otherwise keeps until its own compactions reach them.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Level } from 'level';

/** Bytes of every file under `dir` (their lengths, not the blocks they take). */
export async function diskBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    // A table LevelDB deletes between the listing and the stat counts as gone.
    total += entry.isDirectory() ? await diskBytes(path) : await stat(path).then((s) => s.size, () => 0);
  }
  return total;
}

/** Larger than any key of a Sotto store: keys are UTF-8, which never contains the byte 0xff. */
const PAST_EVERY_KEY = new Uint8Array(8).fill(0xff);

/**
 * Compacts the whole LevelDB database at `dir` (no process may hold it; its
 * values are read as opaque bytes, so an encrypted home needs no
 * passphrase) and resolves to its size on disk afterwards.
 */
export async function compactedBytes(dir: string): Promise<number> {
  const db = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view', createIfMissing: false });
  await db.open();
  try {
    // In Node `level` is classic-level, whose compactRange its shared typings leave out.
    const { compactRange } = db as unknown as { compactRange?: (start: Uint8Array, end: Uint8Array) => Promise<void> };
    if (typeof compactRange !== 'function') throw new Error('this level backend cannot compact');
    await compactRange.call(db, new Uint8Array(0), PAST_EVERY_KEY);
  } finally {
    await db.close();
  }
  return diskBytes(dir);
}
