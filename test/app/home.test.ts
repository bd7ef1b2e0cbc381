/**
 * The home at rest (issue 12): a home another user could have prepared or
 * can change (a symbolic link, a folder owned by another user, one others
 * may write to) is refused by every command with "sotto: … / hint: …" and
 * nothing in it is read or changed; a home Sotto makes is 0700 with every
 * file 0600, LevelDB's files, node.log and control.sock included, and an
 * older, looser home is tightened when opened.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmod, chown, lstat, mkdir, readdir, readFile, rename, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { processEnded } from '../../src/app/control/node-control.ts';
import { checkHome, ensureHome, HOME_MODE, resolveHome, secureHome } from '../../src/app/home.ts';
import { assertCliError, detachedPid, sotto, tempHome } from '../helpers/cli.ts';

const cleanup: (() => Promise<void>)[] = [];
const pids: number[] = [];
after(async () => {
  for (const pid of pids) if (!processEnded(pid)) process.kill(pid, 'SIGKILL');
  for (const c of cleanup) await c();
});

/** A uid that is not the test's (nobody). */
const OTHER_UID = 65534;
const REFUSED = /refusing the home: /;
const HINT = /belongs to you and that only you can write to/;
const FILE_MODE = 0o600;

/** Every entry under `root` (itself included): type, mode, owner, size, mtime and content hash; links not followed. */
async function tree(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (path: string): Promise<void> => {
    const s = await lstat(path);
    const content = s.isFile() ? createHash('sha256').update(await readFile(path)).digest('hex') : '';
    out.set(path, `${s.mode.toString(8)} ${s.uid} ${s.size} ${s.mtimeMs} ${content}`);
    if (s.isDirectory()) for (const name of await readdir(path)) await walk(join(path, name));
  };
  await walk(root);
  return out;
}

/** Every entry under `root` whose permissions are not 0700 (folders) or 0600 (everything else). */
async function loose(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (path: string): Promise<void> => {
    const s = await lstat(path);
    const wanted = s.isDirectory() ? HOME_MODE : FILE_MODE;
    if ((s.mode & 0o777) !== wanted) out.push(`${path} ${(s.mode & 0o777).toString(8)}`);
    if (s.isDirectory()) for (const name of await readdir(path)) await walk(join(path, name));
  };
  await walk(root);
  return out;
}

/** Commands that each touch the home a different way: its database, its control socket, creating an identity. */
const COMMANDS = [['id'], ['status'], ['start', '--listen', '/ip4/127.0.0.1/tcp/0'], ['init', '--name', 'again', '--no-passphrase'], ['contacts', 'list']];

async function initialisedHome(label: string): Promise<string> {
  const home = await tempHome(label, cleanup);
  const init = await sotto(home, ['init', '--name', label, '--no-passphrase']);
  assert.equal(init.code, 0, init.stderr);
  return home;
}

async function assertRefusedUnchanged(home: string, watched: string, message: RegExp): Promise<void> {
  const before = await tree(watched);
  for (const command of COMMANDS) {
    const result = await sotto(home, command);
    assertCliError(result, message, HINT);
    assert.match(result.stderr, REFUSED);
  }
  assert.deepEqual(await tree(watched), before, 'nothing in the refused home changed');
}

test('a home that is a symbolic link is refused by every command, and nothing in it changes', { timeout: 60_000 }, async () => {
  const real = await initialisedHome('symlink-target');
  const link = join(dirname(real), 'link');
  await symlink(real, link);
  await assertRefusedUnchanged(link, dirname(real), /is a symbolic link/);
});

test('a home owned by another user is refused by every command, and nothing in it changes', { timeout: 60_000 }, async () => {
  const home = await initialisedHome('other-owner');
  const chownAll = async (path: string): Promise<void> => {
    await chown(path, OTHER_UID, OTHER_UID);
    if ((await lstat(path)).isDirectory()) for (const name of await readdir(path)) await chownAll(join(path, name));
  };
  await chownAll(home);
  await assertRefusedUnchanged(home, home, new RegExp(`belongs to another user \\(uid ${OTHER_UID}\\)`));
});

test('a home other users can write to (0777) is refused by every command, and nothing in it changes', { timeout: 60_000 }, async () => {
  const home = await initialisedHome('world-writable');
  await chmod(home, 0o777);
  await assertRefusedUnchanged(home, home, /can be written by other users \(mode 0777\)/);
});

test('checkHome: the database folder is held to the same rules; a missing home is fine and stays missing', async () => {
  const root = await tempHome('check', cleanup);
  const home = resolveHome(root);
  assert.equal(await checkHome(home), false);
  await assert.rejects(lstat(root), { code: 'ENOENT' });
  await ensureHome(home);
  assert.equal(await checkHome(home), true);
  const elsewhere = join(dirname(root), 'elsewhere');
  await mkdir(elsewhere, { mode: 0o700 });
  await symlink(elsewhere, home.database);
  await assert.rejects(secureHome(home), { name: 'UnsafeHomeError', reason: 'symlink', path: home.database });
  await rename(home.database, `${home.database}.link`);
  await writeFile(home.root + '/db', 'not a folder', { mode: FILE_MODE });
  await assert.rejects(checkHome(home), { name: 'UnsafeHomeError', reason: 'not-a-folder' });
});

test('after init and a run, every folder in the home is 0700 and every file 0600 (LevelDB files, node.log, control.sock)', { timeout: 120_000 }, async () => {
  const home = await tempHome('modes', cleanup);
  // A loose umask in the caller (and its children), as on most systems: Sotto does not rely on it.
  process.umask(0o022);
  assert.equal((await sotto(home, ['init', '--name', 'modes'])).code, 0);
  assert.deepEqual(await loose(home), []);
  const started = await sotto(home, ['start', '--detach', '--listen', '/ip4/127.0.0.1/tcp/0']);
  assert.equal(started.code, 0, started.stderr);
  const pid = detachedPid(started);
  if (pid !== undefined) pids.push(pid);
  const names = await readdir(home);
  assert.ok(names.includes('control.sock') && names.includes('node.log'), names.join(' '));
  assert.deepEqual(await loose(home), [], 'while the node runs');
  assert.equal((await sotto(home, ['send', 'nobody', 'x'])).code, 1);
  assert.equal((await sotto(home, ['stop'])).code, 0);
  const files = await readdir(join(home, 'db'));
  for (const kind of [/^LOCK$/, /^LOG$/, /^CURRENT$/, /^MANIFEST-\d+$/, /^\d+\.log$/]) assert.ok(files.some((f) => kind.test(f)), `LevelDB wrote ${kind} (${files.join(' ')})`);
  assert.deepEqual(await loose(home), [], 'after the node stopped');
});

test('a home left looser by an earlier Sotto (0755, files 0644) is tightened when opened', { timeout: 60_000 }, async () => {
  process.umask(0o022);
  const home = await initialisedHome('tighten');
  await chmod(home, 0o755);
  await chmod(join(home, 'db'), 0o755);
  for (const name of await readdir(join(home, 'db'))) await chmod(join(home, 'db', name), 0o644);
  assert.notDeepEqual(await loose(home), []);
  assert.equal((await sotto(home, ['id'])).code, 0);
  assert.deepEqual(await loose(home), []);
});
