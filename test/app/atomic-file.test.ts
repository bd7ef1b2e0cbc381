/**
 * Atomic file writes: the target appears whole with mode 0600, an existing
 * one is kept unless overwriting was asked for, and no temporary file stays
 * behind either way.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../../src/app/atomic-file.ts';

const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

test('writes whole files privately, replaces only when asked, leaves no temporary file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sotto-atomic-'));
  dirs.push(dir);
  const path = join(dir, 'out.bin');
  await writeFileAtomic(path, new Uint8Array([1, 2, 3]), { overwrite: false });
  assert.deepEqual(new Uint8Array(await readFile(path)), new Uint8Array([1, 2, 3]));
  assert.equal((await stat(path)).mode & 0o777, 0o600);

  await assert.rejects(writeFileAtomic(path, new Uint8Array([4]), { overwrite: false }), { name: 'OutputFileExistsError' });
  assert.deepEqual(new Uint8Array(await readFile(path)), new Uint8Array([1, 2, 3]));

  await writeFile(join(dir, 'other'), 'x', { mode: 0o644 });
  await writeFileAtomic(join(dir, 'other'), new Uint8Array([5]), { overwrite: true });
  assert.deepEqual(new Uint8Array(await readFile(join(dir, 'other'))), new Uint8Array([5]));
  assert.equal((await stat(join(dir, 'other'))).mode & 0o777, 0o600);

  await assert.rejects(writeFileAtomic(join(dir, 'missing', 'x'), new Uint8Array([6]), { overwrite: false }), { code: 'ENOENT' });
  assert.deepEqual((await readdir(dir)).sort(), ['other', 'out.bin']);
});
