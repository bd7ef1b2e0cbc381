/**
 * Creating a home's database atomically. Its database is built in a
 * staging folder next to where it goes and renamed into place only once
 * the identity is in it: the home's path shows either nothing or a complete
 * home, never a half-made one, whatever stops the creation (a mistake at a
 * prompt, Ctrl-C, a crash, a full disk). A rename within one folder is
 * atomic, and LevelDB names its files relative to its folder, so the
 * database works under its new name.
 *
 * When the home folder does not exist yet, the whole home is staged next to
 * it (`.sotto.new-XXXXXX` beside `~/.sotto`) and renamed into place; when
 * it exists (made by hand, or a mount point), only its `db` is staged, as
 * `.db.new-XXXXXX` inside it. Ctrl-C, SIGTERM or SIGHUP during the creation
 * delete the staging folder; only a kill -9 or a power cut can leave one,
 * which holds no identity and which nothing reads.
 */
import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { AlreadyInitialisedError } from '../node/errors.ts';
import { checkHome, HOME_MODE, HOME_UMASK, secureHome, type HomePaths } from './home.ts';
import { homeState, missingIdentityError, type HomeState } from './home-state.ts';

/** What a staging folder's name adds to the name of the folder it becomes. */
const STAGING_MARK = '.new-';
/** What the folder a half-made database is moved to before it is deleted adds to its name. */
const DISCARD_MARK = '.old-';
/** Signals that end the process while a home is being created: each deletes the staging folder first. */
const TERMINATING_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** A hidden temporary folder next to `target`, named after it and `mark`. */
function besideName(target: string, mark: string): string {
  const name = basename(target);
  return join(dirname(target), `${name.startsWith('.') ? '' : '.'}${name}${mark}`);
}

/**
 * Runs `cleanup` before the process ends on one of TERMINATING_SIGNALS,
 * then ends it with that signal as it would have been; returns the function
 * that stops listening.
 */
function onTermination(cleanup: () => void): () => void {
  const handlers = TERMINATING_SIGNALS.map((signal) => {
    const handler = (): void => {
      cleanup();
      stop();
      process.kill(process.pid, signal);
    };
    process.once(signal, handler);
    return [signal, handler] as const;
  });
  const stop = (): void => {
    for (const [signal, handler] of handlers) process.removeListener(signal, handler);
  };
  return stop;
}

/** Why a database in `state` is in the way of a new one at `home`. */
function inTheWay(home: HomePaths, state: HomeState): Error {
  return missingIdentityError(home, state) ?? new AlreadyInitialisedError();
}

/**
 * Deletes the half-made database of `home`: it is first moved out of the
 * home's path (so nothing opens it meanwhile) and looked at again there; a
 * database that holds an identity or unknown records, or that a process
 * holds open, is moved back and refused. Throws AlreadyInitialisedError,
 * UnknownHomeDatabaseError, DatabaseLockedError.
 */
async function discardHalfMadeDatabase(home: HomePaths): Promise<void> {
  const aside = await mkdtemp(besideName(home.database, DISCARD_MARK));
  const moved: HomePaths = { root: aside, database: join(aside, basename(home.database)), socket: join(aside, basename(home.socket)), files: join(aside, basename(home.files)) };
  await rename(home.database, moved.database);
  const restore = async (): Promise<void> => {
    await rename(moved.database, home.database);
    await rm(aside, { recursive: true, force: true });
  };
  const state = await homeState(moved).catch(async (err: unknown) => {
    await restore();
    throw err;
  });
  if (state.kind === 'identity' || state.kind === 'unknown') {
    await restore();
    throw inTheWay(home, state);
  }
  await rm(aside, { recursive: true, force: true });
}

/** Options of {@link createHomeDatabase}. */
export interface CreateHomeOptions {
  /** The home holds a half-made database: delete it (discardHalfMadeDatabase) just before the new one takes its place. */
  readonly startOver?: boolean;
}

/**
 * Creates the database of `home`: `build` fills a new database at the path
 * it is given (and closes it), and the result is renamed into place. On any
 * failure, or a terminating signal, the staging folder is deleted and the
 * home is as it was. Throws UnsafeHomeError (nothing touched),
 * AlreadyInitialisedError or HalfMadeHomeError when a database is in the
 * way, and what `build` throws.
 */
export async function createHomeDatabase<T>(home: HomePaths, build: (database: string) => Promise<T>, options: CreateHomeOptions = {}): Promise<T> {
  const rootExists = await checkHome(home);
  process.umask(HOME_UMASK);
  const target = rootExists ? home.database : home.root;
  await mkdir(dirname(target), { recursive: true, mode: HOME_MODE });
  const staging = await mkdtemp(besideName(target, STAGING_MARK));
  const cleanup = (): void => rmSync(staging, { recursive: true, force: true });
  const stopListening = onTermination(cleanup);
  try {
    const result = await build(rootExists ? staging : join(staging, basename(home.database)));
    if (options.startOver && rootExists) await discardHalfMadeDatabase(home);
    try {
      await rename(staging, target);
    } catch (err) {
      const code = (err as { code?: string }).code;
      throw code === 'ENOTEMPTY' || code === 'EEXIST' ? inTheWay(home, await homeState(home)) : err;
    }
    await secureHome(home);
    return result;
  } catch (err) {
    cleanup();
    throw err;
  } finally {
    stopListening();
  }
}
