/**
 * What a home holds, read without its passphrase and without writing:
 * nothing yet, an identity, or a database that an interrupted first run of
 * an older Sotto left half-made (it created `db/` before asking for the
 * passphrase, and a mistake there left the folder with no identity in it;
 * later commands then wrote a schema record into it that the next `init`
 * could not read). Commands that need an identity check it here first, so
 * that they name the home and say what to do instead of writing into a
 * half-made one.
 */
import { readdir } from 'node:fs/promises';
import { SottoError } from '../crypto/errors.ts';
import { NotInitialisedError } from '../node/errors.ts';
import { inspectLevelStore } from '../node/store/level.ts';
import { nodeIsRunning } from './control/client.ts';
import { checkHome, type HomePaths } from './home.ts';

/**
 * Files LevelDB writes into a folder before it holds a database (opening a
 * folder takes its LOCK and starts a LOG even when it then finds nothing).
 * A database folder without CURRENT and with nothing but these holds no record.
 */
const LEVELDB_BOOKKEEPING: ReadonlySet<string> = new Set(['LOCK', 'LOG', 'LOG.old']);
/** The file that makes a folder a LevelDB database. */
const LEVELDB_CURRENT = 'CURRENT';

/**
 * What a home holds: `none` (no database folder), `identity`, `half-made`
 * (a database folder with no identity and nothing but what the start of a
 * creation writes: safe to start over) or `unknown` (no identity, but
 * other files or records: never deleted by Sotto).
 */
export type HomeState = { readonly kind: 'none' } | { readonly kind: 'identity'; readonly encrypted: boolean } | { readonly kind: 'half-made' } | { readonly kind: 'unknown' };

/** The home's database was left half-made by an interrupted first run (an older Sotto): it holds no identity. */
export class HalfMadeHomeError extends SottoError {
  override readonly name = 'HalfMadeHomeError';
  constructor(readonly database: string) {
    super(`${database} holds no identity: an earlier first run or "sotto init" stopped half-way and left it`);
  }
}

/** The home's database holds no identity but other records (or files): Sotto does not know it, and leaves it alone. */
export class UnknownHomeDatabaseError extends SottoError {
  override readonly name = 'UnknownHomeDatabaseError';
  constructor(readonly database: string) {
    super(`${database} holds no identity, but other records or files: Sotto leaves it alone`);
  }
}

/** Reads what `home` holds. Throws UnsafeHomeError (nothing read), DatabaseLockedError. */
export async function homeState(home: HomePaths): Promise<HomeState> {
  await checkHome(home);
  let entries: string[];
  try {
    entries = await readdir(home.database);
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return { kind: 'none' };
    throw err;
  }
  if (!entries.includes(LEVELDB_CURRENT)) return entries.every((name) => LEVELDB_BOOKKEEPING.has(name)) ? { kind: 'half-made' } : { kind: 'unknown' };
  const { contents, encrypted } = await inspectLevelStore(home.database);
  if (contents === 'identity') return { kind: 'identity', encrypted };
  return contents === 'setup-only' ? { kind: 'half-made' } : { kind: 'unknown' };
}

/** The error a command that needs an identity gives for a home in `state`, or undefined when it has one. */
export function missingIdentityError(home: HomePaths, state: HomeState): SottoError | undefined {
  switch (state.kind) {
    case 'identity':
      return undefined;
    case 'none':
      return new NotInitialisedError(home.root);
    case 'half-made':
      return new HalfMadeHomeError(home.database);
    case 'unknown':
      return new UnknownHomeDatabaseError(home.database);
  }
}

/**
 * Resolves when `home` has an identity, or a node runs on it (which has
 * one). Throws NotInitialisedError (naming the home), HalfMadeHomeError,
 * UnknownHomeDatabaseError, UnsafeHomeError, DatabaseLockedError; writes
 * nothing.
 */
export async function requireIdentity(home: HomePaths): Promise<void> {
  await checkHome(home);
  if (await nodeIsRunning(home.socket)) return;
  const missing = missingIdentityError(home, await homeState(home));
  if (missing) throw missing;
}
