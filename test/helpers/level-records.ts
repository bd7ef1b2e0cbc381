/**
 * The records of a LevelDB database on disk, read or written raw (no Sotto
 * store on top): to show that a database was left as it was, and to make
 * the databases an older Sotto (or something else) left.
 */
import { Level } from 'level';

/**
 * Every record of the existing database at `path`, key → hex value. (LevelDB
 * rewrites its own files whenever it is opened, so compare records, not files.)
 */
export async function levelRecords(path: string): Promise<Record<string, string>> {
  const db = new Level<string, Uint8Array>(path, { createIfMissing: false, keyEncoding: 'utf8', valueEncoding: 'view' });
  await db.open();
  const out: Record<string, string> = {};
  try {
    for await (const [key, value] of db.iterator()) out[key] = Buffer.from(value).toString('hex');
  } finally {
    await db.close();
  }
  return out;
}

/** Writes `entries` raw into a new database at `path`. */
export async function writeLevelRecords(path: string, entries: Record<string, Uint8Array>): Promise<void> {
  const db = new Level<string, Uint8Array>(path, { keyEncoding: 'utf8', valueEncoding: 'view' });
  await db.open();
  try {
    for (const [key, value] of Object.entries(entries)) await db.put(key, value);
  } finally {
    await db.close();
  }
}
