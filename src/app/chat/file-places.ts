/**
 * Where the chat's file commands look: paths typed in the chat are read
 * where the chat runs (its working folder, `~` its user's home), not where
 * the node runs, and `/save` without a destination writes to the user's
 * Downloads folder when there is one, else to the working folder. The file
 * system is asked through ChatPlaces, so tests give their own.
 */
import { stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

/** What a path names. */
export type PathKind = 'file' | 'folder' | 'missing' | 'other';

/** The chat's places: its working folder, its user's home, and what a path names. */
export interface ChatPlaces {
  readonly cwd: string;
  readonly home: string;
  kind(path: string): Promise<PathKind>;
}

/** The folder `/save` writes to by default, under the user's home, when it exists. */
export const DOWNLOADS_FOLDER = 'Downloads';

/** The places of this process: process.cwd(), os.homedir(), fs.stat. */
export function processPlaces(): ChatPlaces {
  return {
    cwd: process.cwd(),
    home: homedir(),
    kind: async (path) => {
      const info = await stat(path).catch(() => undefined);
      if (info === undefined) return 'missing';
      return info.isFile() ? 'file' : info.isDirectory() ? 'folder' : 'other';
    },
  };
}

/** `typed` as an absolute path: "~" and "~/…" under the home, a relative path under the working folder. */
export function resolveTyped(typed: string, places: ChatPlaces): string {
  if (typed === '~') return places.home;
  if (typed.startsWith('~/')) return join(places.home, typed.slice(2));
  return isAbsolute(typed) ? resolve(typed) : resolve(places.cwd, typed);
}

/** Where `/save` writes without a destination: ~/Downloads when it is a folder, else the working folder. */
export async function defaultSaveFolder(places: ChatPlaces): Promise<string> {
  const downloads = join(places.home, DOWNLOADS_FOLDER);
  return (await places.kind(downloads)) === 'folder' ? downloads : places.cwd;
}
