/**
 * A home is created atomically (src/app/create-home.ts) and what a home
 * holds is told apart without its passphrase (src/app/home-state.ts):
 * nothing shows at the home's path until the identity is complete, a failed
 * or interrupted creation leaves the home as it was, a half-made home of an
 * older Sotto is recognised in each form it can take, and starting over
 * never deletes a database that holds an identity.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openLevelStore } from '../../src/node/store/level.ts';
import { createHomeDatabase } from '../../src/app/create-home.ts';
import { resolveHome, type HomePaths } from '../../src/app/home.ts';
import { homeState, requireIdentity } from '../../src/app/home-state.ts';
import { initHome } from '../../src/app/init.ts';
import { nodeCryptoContext } from '../../src/app/context.ts';
import { levelRecords, writeLevelRecords } from '../helpers/level-records.ts';

/** A fixed clock: nothing here depends on the time. */
const clock = (): number => 1_780_000_000_000;
const PASSPHRASE = 'correct horse battery staple';

/** A fresh temporary folder (removed after the test) and a home path inside it that does not exist yet. */
async function place(t: { after: (fn: () => Promise<void>) => void }): Promise<{ dir: string; home: HomePaths }> {
  const dir = await mkdtemp(join(tmpdir(), 'sotto-create-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return { dir, home: resolveHome(join(dir, 'home')) };
}

test('homeState tells a missing, complete, half-made and unknown home apart, in every form an older Sotto left', async (t) => {
  const { home } = await place(t);
  assert.deepEqual(await homeState(home), { kind: 'none' });

  // An older first run created db/ and failed at the passphrase: LevelDB's bookkeeping only.
  await mkdir(home.database, { recursive: true, mode: 0o700 });
  assert.deepEqual(await homeState(home), { kind: 'half-made' });
  await writeFile(join(home.database, 'LOCK'), '');
  assert.deepEqual(await homeState(home), { kind: 'half-made' });

  // The next start then wrote the schema record in clear.
  await rm(home.database, { recursive: true });
  await (await openLevelStore(home.database)).close();
  assert.deepEqual(Object.keys(await levelRecords(home.database)), ['meta:schema']);
  assert.deepEqual(await homeState(home), { kind: 'half-made' });

  // An init stopped after its keyring and schema, before the identity.
  await rm(home.database, { recursive: true });
  const ctx = await nodeCryptoContext(clock);
  await (await openLevelStore(home.database, ctx, { create: 'encrypted', passphrase: () => Promise.resolve(PASSPHRASE) })).close();
  assert.deepEqual(Object.keys(await levelRecords(home.database)).sort(), ['meta:keyring', 'meta:schema']);
  assert.deepEqual(await homeState(home), { kind: 'half-made' });
  await assert.rejects(requireIdentity(home), { name: 'HalfMadeHomeError', database: home.database });

  // Records other than those, or files that are no database: never taken for half-made.
  await rm(home.database, { recursive: true });
  await writeLevelRecords(home.database, { 'meta:schema': new Uint8Array([1]), 'contact:bob': new Uint8Array([2]) });
  assert.deepEqual(await homeState(home), { kind: 'unknown' });
  await assert.rejects(requireIdentity(home), { name: 'UnknownHomeDatabaseError' });
  await rm(home.database, { recursive: true });
  await mkdir(home.database);
  await writeFile(join(home.database, 'notes.txt'), 'mine');
  assert.deepEqual(await homeState(home), { kind: 'unknown' });

  await rm(home.root, { recursive: true });
  await initHome(home, 'alice', clock, true, () => Promise.resolve(PASSPHRASE));
  assert.deepEqual(await homeState(home), { kind: 'identity', encrypted: true });
  await requireIdentity(home);
});

test('requireIdentity names the home that has no identity', async (t) => {
  const { home } = await place(t);
  await assert.rejects(requireIdentity(home), (err: Error & { home?: string }) => {
    assert.equal(err.name, 'NotInitialisedError');
    assert.equal(err.home, home.root);
    assert.match(err.message, new RegExp(`the home ${home.root} has no identity yet`));
    return true;
  });
});

test('a creation that fails leaves nothing at the home, and no staging folder, whether the home folder existed or not', async (t) => {
  const { dir, home } = await place(t);
  const failing = async (database: string): Promise<never> => {
    await (await openLevelStore(database)).close();
    assert.equal(existsSync(home.database), false, 'nothing shows at the home while it is made');
    throw new Error('the disk is full');
  };
  await assert.rejects(createHomeDatabase(home, failing), /the disk is full/);
  assert.deepEqual(await readdir(dir), []);

  await mkdir(home.root, { mode: 0o700 });
  await writeFile(join(home.root, 'team.key'), 'kept');
  await assert.rejects(createHomeDatabase(home, failing), /the disk is full/);
  assert.deepEqual(await readdir(home.root), ['team.key']);
});

test('starting over deletes a half-made database but never one that holds an identity', async (t) => {
  const { home } = await place(t);
  await mkdir(home.root, { mode: 0o700 });
  await (await openLevelStore(home.database)).close();
  const peerId = await initHome(home, 'alice', clock, false, undefined, { startOver: true });
  assert.match(peerId, /^12D3KooW/);
  assert.deepEqual(await homeState(home), { kind: 'identity', encrypted: false });
  assert.deepEqual((await readdir(home.root)).sort(), ['db']);

  // Asked directly to replace it (a race with another init): it is looked at again, kept, and refused.
  const before = await levelRecords(home.database);
  const build = async (database: string): Promise<void> => void (await (await openLevelStore(database)).close());
  await assert.rejects(createHomeDatabase(home, build, { startOver: true }), { name: 'AlreadyInitialisedError' });
  assert.deepEqual(await levelRecords(home.database), before);
  assert.deepEqual((await readdir(home.root)).sort(), ['db'], 'no staging or discarded folder left');
  await assert.rejects(initHome(home, 'mallory', clock, false, undefined, { startOver: true }), { name: 'AlreadyInitialisedError' });
  assert.deepEqual(await levelRecords(home.database), before);
});

test('Ctrl-C (SIGINT) while the home is being made deletes the staging folder, and the process still ends by the signal', async (t) => {
  const { dir, home } = await place(t);
  const module = fileURLToPath(new URL('../../src/app/create-home.ts', import.meta.url));
  const script = `
    import { createHomeDatabase } from ${JSON.stringify(module)};
    await createHomeDatabase(${JSON.stringify(home)}, async (database) => {
      console.log('staged ' + database);
      return new Promise(() => setInterval(() => {}, 1000));
    });`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const ended = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  const staged = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const match = /^staged (.+)$/m.exec(out);
      if (match) resolve(match[1]!);
    });
    child.on('exit', () => reject(new Error(`the child ended before staging: ${out}`)));
  });
  assert.equal(existsSync(staged.replace(/\/db$/, '')), true);
  assert.notEqual(staged, home.database);
  child.kill('SIGINT');
  assert.equal(await ended, 'SIGINT');
  assert.deepEqual(await readdir(dir), [], 'neither the home nor its staging folder is left');
});
