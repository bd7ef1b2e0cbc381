/**
 * What `sotto send --file` and `sotto save` say when they cannot: a path
 * that names nothing, a folder, a name with a control character, a file
 * written to while it is sealed — each a "sotto: …" line and a "hint: …"
 * line, with nothing sent; and a file past the receiver's files-quota
 * (`sotto config set files-quota`) shows failed with why, and saving it is
 * refused with the quota error and its hint.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assertCliError, sotto } from '../helpers/cli.ts';
import { FileTestRun, historyJson, waitForFile } from '../helpers/file-homes.ts';

const run = new FileTestRun();
after(() => run.close());

const MIB = 1024 * 1024;

test('a missing path, a folder, a control character in the name and a file written to while it is sealed are refused with a hint; nothing is sent', { timeout: 120_000 }, async () => {
  const alice = await run.home('alice');
  const bob = await run.home('bob');
  assert.equal((await sotto(alice.home, ['contacts', 'add', 'bob', bob.peerId])).code, 0);
  const dir = await run.folder('file-bad');

  assertCliError(await sotto(alice.home, ['send', 'bob', '--file', join(dir, 'nothing-here.txt')]), /nothing-here\.txt does not exist/, /check the path/);
  await mkdir(join(dir, 'a-folder'));
  assertCliError(await sotto(alice.home, ['send', 'bob', '--file', join(dir, 'a-folder')]), /a-folder is not a regular file/, /not a folder/);
  const controlled = join(dir, 'bad\u0007name.txt');
  await writeFile(controlled, 'ding');
  assertCliError(await sotto(alice.home, ['send', 'bob', '--file', controlled]), /control/, /rename the file/);

  const growing = (await run.randomFile('growing.bin', 64 * MIB)).path;
  let writing = true;
  const writer = (async () => {
    while (writing) {
      await appendFile(growing, 'more');
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  const changed = await sotto(alice.home, ['send', 'bob', '--file', growing]);
  writing = false;
  await writer;
  assertCliError(changed, /growing\.bin changed while it was read/, /send it again/);

  assert.deepEqual(await historyJson(alice, 'bob'), [], 'nothing was sent');
});

test('a file past the receiver\'s files-quota shows failed with the quota as reason, and saving it is refused', { timeout: 180_000 }, async () => {
  const [alice, bob] = await run.contacts(['alice', 'bob']);
  const set = await sotto(bob!.home, ['config', 'set', 'files-quota', '1MiB']);
  assert.equal(set.code, 0, set.stderr);
  assert.match(set.stdout, /files-quota: 1 MiB \(1048576 bytes\)/);
  await run.stop(bob!);
  await run.start(bob!);

  const file = await run.randomFile('too-big.bin', 2 * MIB);
  assert.equal((await sotto(alice!.home, ['send', 'bob', '--file', file.path])).code, 0);
  const line = await waitForFile(bob!, 'alice', 'too-big.bin', (l) => l.file!.state === 'failed', 60_000);
  assert.match(line.file!.reason!, /exceed the quota of 1 MiB/);
  const save = await sotto(bob!.home, ['save', line.id, join(await run.folder('file-q'), 'x.bin')]);
  assertCliError(save, /exceed the quota of 1 MiB/, /sotto config set files-quota SIZE/);
});
