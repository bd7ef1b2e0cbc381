/**
 * Node versions as npm sees them. Sotto's own engines field says what a
 * machine needs (Node 20, to run npm and bin/sotto.js, which re-launches
 * itself on the bundled Node 22), so npm warns about no engine of Sotto's on
 * such a machine. Some dependencies declare Node 22, which they get: on the
 * Node that runs Sotto, npm has no engine warning at all. The install is
 * checked with `npm ci --dry-run --offline` on a copy of the manifest and
 * lockfile (nothing is downloaded or installed).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SYSTEM_NODE = '/usr/bin/node';
const SYSTEM_NPM = '/usr/bin/npm';
/** How long an offline dry run of npm may take on a busy machine. */
const NPM_TIMEOUT_MS = 120_000;

/** The system npm's folder (npm-cli.js, npx-cli.js), or undefined when this machine has none. */
function systemNpmBin(): string | undefined {
  if (!existsSync(SYSTEM_NODE) || !existsSync(SYSTEM_NPM)) return undefined;
  return dirname(realpathSync(SYSTEM_NPM));
}

/** The packages npm warns about with EBADENGINE in `output`. */
function engineWarnings(output: string): string[] {
  return [...output.matchAll(/EBADENGINE\s+package: '([^']+)'/g)].map((m) => m[1]!);
}

/** Runs `npm ci --dry-run --offline` on a copy of Sotto's manifest, lockfile and .npmrc, with `node`; its stderr. */
async function dryRunInstall(node: string, npmBin: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sotto-engines-'));
  try {
    for (const file of ['package.json', 'package-lock.json', '.npmrc']) await copyFile(join(ROOT, file), join(dir, file));
    const result = await run(node, [join(npmBin, 'npm-cli.js'), 'ci', '--dry-run', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], {
      cwd: dir,
      env: { ...process.env, npm_config_cache: join(dir, 'cache') },
      timeout: NPM_TIMEOUT_MS,
    });
    return result.stderr;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test("npm ci on the system Node warns about no engine of Sotto's; on the bundled Node it warns about none at all", { timeout: 2 * NPM_TIMEOUT_MS }, async (t) => {
  const npmBin = systemNpmBin();
  if (!npmBin) return t.skip('no system Node and npm at /usr/bin');
  const onSystemNode = engineWarnings(await dryRunInstall(SYSTEM_NODE, npmBin));
  assert.deepEqual(
    onSystemNode.filter((pkg) => pkg.startsWith('sotto@')),
    [],
    'Sotto runs on the system Node through bin/sotto.js; npm must not call it unsupported',
  );
  // The dependencies npm still names there declare Node 22, which is what runs them.
  assert.deepEqual(engineWarnings(await dryRunInstall(process.execPath, npmBin)), [], `on ${process.version}`);
});

test('the first npx sotto on the system Node prints no engine warning', { timeout: NPM_TIMEOUT_MS }, async (t) => {
  const npmBin = systemNpmBin();
  if (!npmBin) return t.skip('no system Node and npm at /usr/bin');
  // The first npx in a project checks it (later ones find it in npx's cache): a cache of its own makes this the first.
  const cache = await mkdtemp(join(tmpdir(), 'sotto-npx-cache-'));
  try {
    const { stdout, stderr } = await run(SYSTEM_NODE, [join(npmBin, 'npx-cli.js'), 'sotto', '--version'], { cwd: ROOT, env: { ...process.env, npm_config_cache: cache }, timeout: NPM_TIMEOUT_MS });
    assert.match(stdout, /^\d+\.\d+\.\d+$/m);
    assert.doesNotMatch(stderr, /EBADENGINE/);
  } finally {
    await rm(cache, { recursive: true, force: true });
  }
});
