/**
 * A Sotto home: the folder that holds one identity's database and the
 * control socket of the node running on it. Chosen by --home, else
 * $SOTTO_HOME, else ~/.sotto.
 *
 * A home is private to its user. Sotto refuses one that another user could
 * have prepared or can change (a symbolic link, a folder owned by another
 * user, one that others may write to), before reading or writing anything in
 * it: a planted control socket would receive the commands and texts meant
 * for the user's node, and a planted database would be trusted as the
 * user's identity. Sotto creates the home 0700 and every file in it 0600 (a
 * process umask of 0077 while it works on a home), and tightens what an
 * earlier Sotto left looser.
 */
import { chmod, lstat, mkdir, readdir, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import { SottoError } from '../crypto/errors.ts';

/** Environment variable that names the home when --home is not given. */
export const HOME_ENV = 'SOTTO_HOME';
/** Default home folder, under the user's home directory. */
export const DEFAULT_HOME_DIR = '.sotto';
/** Permissions of the home folder and the folders in it: only its owner may enter them. */
export const HOME_MODE = 0o700;
/** Process umask while Sotto works on a home: whatever it (or LevelDB) creates is 0600 / 0700. */
export const HOME_UMASK = 0o077;
/** Permission bits that let other users write (group and others). */
const WRITABLE_BY_OTHERS = 0o022;
/** Permission bits that let other users in at all. */
const OPEN_TO_OTHERS = 0o077;

/** The paths inside a home. */
export interface HomePaths {
  readonly root: string;
  readonly database: string;
  readonly socket: string;
  /** Sealed chunks of sent and received files (docs/FILES.md). */
  readonly files: string;
}

/** Why a home is refused. */
export type UnsafeHomeReason = 'symlink' | 'not-a-folder' | 'other-owner' | 'writable-by-others';

/** The home (or its database folder) is not private to this user; nothing in it was read or changed. */
export class UnsafeHomeError extends SottoError {
  override readonly name = 'UnsafeHomeError';
  constructor(
    readonly path: string,
    readonly reason: UnsafeHomeReason,
    readonly found: { readonly uid?: number; readonly mode?: number } = {},
    /** The home, when `path` is a folder above it. */
    readonly home: string = path,
  ) {
    super(`refusing the home${home === path ? '' : ` ${home}`}: ${path} ${UnsafeHomeError.describe(reason, found)}`);
  }

  private static describe(reason: UnsafeHomeReason, found: { uid?: number; mode?: number }): string {
    switch (reason) {
      case 'symlink':
        return 'is a symbolic link';
      case 'not-a-folder':
        return 'is not a folder';
      case 'other-owner':
        return `belongs to another user (uid ${found.uid})`;
      case 'writable-by-others':
        return `can be written by other users (mode ${(found.mode ?? 0).toString(8).padStart(4, '0')})`;
    }
  }
}

/** Resolves the home folder from the option and the environment. */
export function resolveHome(option: string | undefined, env: NodeJS.ProcessEnv = process.env): HomePaths {
  return homePaths(resolve(option ?? env[HOME_ENV] ?? join(homedir(), DEFAULT_HOME_DIR)));
}

/** The paths of the home in folder `root`. */
export function homePaths(root: string): HomePaths {
  return { root, database: join(root, 'db'), socket: join(root, 'control.sock'), files: join(root, 'files') };
}

/** The first folder on the way down to `path` that is not a folder (a file where a folder should be). */
async function firstNonFolder(path: string): Promise<string> {
  const parts = path.split(sep).filter((part) => part !== '');
  for (let i = 1; i <= parts.length; i++) {
    const above = sep + parts.slice(0, i).join(sep);
    const stats = await stat(above).catch(() => undefined);
    if (stats && !stats.isDirectory()) return above;
  }
  return path;
}

/**
 * The entry at `path` (not following a link), or undefined when there is
 * none. Throws UnsafeHomeError when a folder above it is a file (ENOTDIR),
 * and the file system's other errors.
 */
async function lstatIfAny(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ENOTDIR') throw new UnsafeHomeError(await firstNonFolder(path), 'not-a-folder', {}, path);
    throw err;
  }
}

function refuseUnsafe(path: string, stats: Stats): void {
  if (stats.isSymbolicLink()) throw new UnsafeHomeError(path, 'symlink');
  if (!stats.isDirectory()) throw new UnsafeHomeError(path, 'not-a-folder');
  const uid = process.getuid?.();
  if (uid !== undefined && stats.uid !== uid) throw new UnsafeHomeError(path, 'other-owner', { uid: stats.uid });
  if ((stats.mode & WRITABLE_BY_OTHERS) !== 0) throw new UnsafeHomeError(path, 'writable-by-others', { mode: stats.mode & 0o7777 });
}

/**
 * Checks that the home and its database folder, where they exist, are
 * folders (not symbolic links) owned by this user that no other user can
 * write to. Changes nothing. Resolves to whether the home exists; throws
 * UnsafeHomeError.
 */
export async function checkHome(home: HomePaths): Promise<boolean> {
  const root = await lstatIfAny(home.root);
  if (!root) return false;
  refuseUnsafe(home.root, root);
  const database = await lstatIfAny(home.database);
  if (database) refuseUnsafe(home.database, database);
  return true;
}

/** Removes group and other permissions from `path` (never following a link). */
async function closeToOthers(path: string, stats: Stats): Promise<void> {
  if (!stats.isSymbolicLink() && (stats.mode & OPEN_TO_OTHERS) !== 0) await chmod(path, stats.mode & 0o700);
}

/**
 * Makes work on `home` private: refuses an unsafe home (checkHome: nothing
 * changed), sets the process umask to HOME_UMASK so that everything created
 * from now on (LevelDB's files, node.log, control.sock) is 0600 / 0700, and
 * takes group and other permissions off the home, its database folder and
 * the entries of both (a home made by an earlier Sotto). A home that does
 * not exist yet is left to ensureHome. Throws UnsafeHomeError.
 */
export async function secureHome(home: HomePaths): Promise<void> {
  const exists = await checkHome(home);
  process.umask(HOME_UMASK);
  if (!exists) return;
  await closeToOthers(home.root, await lstat(home.root));
  for (const folder of [home.root, home.database]) {
    let names: string[];
    try {
      names = await readdir(folder);
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') continue;
      throw err;
    }
    for (const name of names) {
      const path = join(folder, name);
      const stats = await lstatIfAny(path);
      if (stats) await closeToOthers(path, stats);
    }
  }
}

/** Creates the home folder if needed (mode 0700), then secureHome. Throws UnsafeHomeError before creating anything. */
export async function ensureHome(home: HomePaths): Promise<void> {
  await checkHome(home);
  process.umask(HOME_UMASK);
  await mkdir(home.root, { recursive: true, mode: HOME_MODE });
  await secureHome(home);
}
