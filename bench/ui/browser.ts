/**
 * What every run of the real page needs, for the benchmark and the browser
 * tests alike: Debian's Chromium (driven by playwright-core) and a built
 * page (dist/web) as new as its sources.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Debian's Chromium. */
export const CHROMIUM = '/usr/bin/chromium';
/** Chromium's options for a page that runs a Sotto peer: host ICE candidates as plain addresses (mDNS names need a resolver a test namespace does not have), no GPU. */
export const CHROMIUM_ARGS = ['--disable-features=WebRtcHideLocalIpsWithMdns', '--disable-gpu', '--no-first-run'];

/** True when Chromium is installed. */
export function hasChromium(): boolean {
  return existsSync(CHROMIUM);
}

/** Newest modification time of the files under `dir` (ms). */
async function newest(dir: string): Promise<number> {
  let latest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) latest = Math.max(latest, (await stat(join(entry.parentPath, entry.name))).mtimeMs);
  }
  return latest;
}

/**
 * Builds the browser app (dist/web) unless it is newer than every source
 * file and package.json, so nothing runs a stale page.
 */
export async function ensureWebAppBuilt(): Promise<void> {
  const built = await stat(join(ROOT, 'dist/web/index.html')).then((s) => s.mtimeMs, () => 0);
  const sources = Math.max(await newest(join(ROOT, 'src')), (await stat(join(ROOT, 'package.json'))).mtimeMs);
  if (built >= sources) return;
  await run(process.execPath, [join(ROOT, 'scripts/build-web.mjs')], { cwd: ROOT });
}
