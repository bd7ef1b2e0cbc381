/**
 * A Sotto home: the folder that holds one identity's database and the
 * control socket of the node running on it. Chosen by --home, else
 * $SOTTO_HOME, else ~/.sotto. Created private to the user (mode 0700).
 */
import { mkdir, chmod } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** Environment variable that names the home when --home is not given. */
export const HOME_ENV = 'SOTTO_HOME';
/** Default home folder, under the user's home directory. */
export const DEFAULT_HOME_DIR = '.sotto';
/** Permissions of the home folder: only its owner may enter it. */
const HOME_MODE = 0o700;

/** The paths inside a home. */
export interface HomePaths {
  readonly root: string;
  readonly database: string;
  readonly socket: string;
}

/** Resolves the home folder from the option and the environment. */
export function resolveHome(option: string | undefined, env: NodeJS.ProcessEnv = process.env): HomePaths {
  const root = resolve(option ?? env[HOME_ENV] ?? join(homedir(), DEFAULT_HOME_DIR));
  return { root, database: join(root, 'db'), socket: join(root, 'control.sock') };
}

/** Creates the home folder if needed, private to the user. */
export async function ensureHome(home: HomePaths): Promise<void> {
  await mkdir(home.root, { recursive: true, mode: HOME_MODE });
  await chmod(home.root, HOME_MODE);
}
