/**
 * Opens the on-disk store of a Sotto home: a `level` database (classic-level
 * in Node, browser-level in a browser, where `location` is the IndexedDB
 * name). Only one process may hold it; a second one gets
 * {@link DatabaseLockedError} instead of a generic I/O error.
 */
import { Level } from 'level';
import { SottoError } from '../../crypto/errors.ts';
import { levelBackend, plainValues, type ValueCodec } from './backend.ts';
import { SottoStore } from './store.ts';

/** Another process (usually a running `sotto start`) holds the database. */
export class DatabaseLockedError extends SottoError {
  override readonly name = 'DatabaseLockedError';
  constructor(readonly location: string) {
    super(`the database at ${location} is in use by another process`);
  }
}

/** Opens (creating if needed) the store at `location` and checks its schema. */
export async function openLevelStore(location: string, values: ValueCodec = plainValues): Promise<SottoStore> {
  const db = new Level<string, Uint8Array>(location, { keyEncoding: 'utf8', valueEncoding: 'view' });
  try {
    await db.open();
  } catch (err) {
    const code = (err as { code?: string; cause?: { code?: string } }).cause?.code ?? (err as { code?: string }).code;
    if (code === 'LEVEL_LOCKED') throw new DatabaseLockedError(location);
    throw err;
  }
  const store = new SottoStore(levelBackend(db as never), values);
  try {
    return await store.open();
  } catch (err) {
    await db.close();
    throw err;
  }
}
