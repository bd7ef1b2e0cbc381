/**
 * Files between two `sotto start` processes on loopback (docs/FILES.md):
 * `sotto send bob --file F` of a 64 MiB file, bob's history shows it
 * complete with the sender's SHA-256 (and alice's shows it complete once
 * bob holds every chunk, kept after both stop), `sotto save` writes it byte for byte,
 * refuses an existing destination with a sotto:/hint: error and replaces it
 * with --overwrite; and a save of a message without a file is refused.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assertCliError, sotto } from '../helpers/cli.ts';
import { FileTestRun, historyJson, sha256Of, waitForComplete, waitForFile } from '../helpers/file-homes.ts';

const run = new FileTestRun();
after(() => run.close());

const MIB = 1024 * 1024;

test('a 64 MiB file from alice to bob: complete with its SHA-256, saved byte for byte, an existing destination refused, --overwrite replaces it', { timeout: 300_000 }, async () => {
  const [alice, bob] = await run.contacts(['alice', 'bob']);
  const file = await run.randomFile('film.bin', 64 * MIB);
  const human = await sotto(alice!.home, ['send', 'bob', '--file', (await run.randomFile('small.bin', 40 * 1024)).path]);
  assert.match(human.stdout, /^bob fetches the file \(40 KiB\) from this node while both are online: keep Sotto running here until "sotto history bob" shows it complete$/m);

  const sent = await sotto(alice!.home, ['send', 'bob', '--file', file.path, '--json']);
  assert.equal(sent.code, 0, sent.stderr);
  const result = JSON.parse(sent.stdout) as { id: string; status: string; size: number; inline: boolean };
  assert.equal(result.size, 64 * MIB);
  assert.equal(result.inline, false);

  const line = await waitForComplete(bob!, 'alice', 'film.bin', { size: 64 * MIB, sha256: file.sha256 }, 240_000);
  assert.equal(line.direction, 'in');
  // The sender's line: bob holds every chunk (asked while he is connected), and that is kept.
  await waitForFile(alice!, 'bob', 'film.bin', (l) => l.file!.state === 'complete', 30_000);

  const dest = join(await run.folder('file-dest'), 'copy.bin');
  const saved = await sotto(bob!.home, ['save', line.id, dest]);
  assert.equal(saved.code, 0, saved.stderr);
  assert.equal(await sha256Of(dest), file.sha256);

  await writeFile(dest, 'something else');
  assertCliError(await sotto(bob!.home, ['save', line.id, dest]), /exists already/, /--overwrite/);
  assert.equal(await readFile(dest, 'utf8'), 'something else', 'a refused save leaves the destination as it was');

  const again = await sotto(bob!.home, ['save', line.id, dest, '--overwrite']);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(await sha256Of(dest), file.sha256);

  const text = await sotto(alice!.home, ['send', 'bob', 'not a file', '--json']);
  const textId = (JSON.parse(text.stdout) as { id: string }).id;
  assertCliError(await sotto(bob!.home, ['save', textId, join(dest, '..', 'other.bin')]), /no file/, /history/);

  await run.stop(bob!);
  await run.stop(alice!);
  const kept = (await historyJson(alice!, 'bob')).find((m) => m.file?.name === 'film.bin')!;
  assert.deepEqual({ direction: kept.direction, state: kept.file!.state }, { direction: 'out', state: 'complete' }, 'delivery is kept in the file record');
});
