/**
 * A small file (at most FILE_INLINE_MAX_BYTES) to a contact whose node is
 * stopped travels inside its message through a mailbox peer (a third
 * `sotto start --mailbox`): alice's send says it is stored, alice goes away
 * too, and when bob comes back his history shows the file complete and he
 * saves it byte for byte.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { FILE_INLINE_MAX_BYTES } from '../../src/node/constants.ts';
import { sotto } from '../helpers/cli.ts';
import { FileTestRun, sha256Of, waitForComplete } from '../helpers/file-homes.ts';

const run = new FileTestRun();
after(() => run.close());

test('a 32 KiB file to bob while his node is stopped goes through a mailbox and is complete when he returns', { timeout: 180_000 }, async () => {
  const mailbox = await run.home('mailbox');
  const box = await run.start(mailbox, ['--mailbox']);
  const viaMailbox = ['--bootstrap', box.addresses[0]!];
  const [alice, bob] = await run.contacts(['alice', 'bob'], viaMailbox);
  // Both online once: each hands the other its mailbox pass.
  assert.equal((await sotto(alice!.home, ['send', 'bob', 'hello first'])).stdout.trim(), 'delivered');
  await run.stop(bob!);

  const file = await run.randomFile('note.bin', FILE_INLINE_MAX_BYTES);
  const sent = await sotto(alice!.home, ['send', 'bob', '--file', file.path, '--json']);
  assert.equal(sent.code, 0, sent.stderr);
  const result = JSON.parse(sent.stdout) as { status: string; inline: boolean; size: number };
  assert.deepEqual({ status: result.status, inline: result.inline, size: result.size }, { status: 'stored', inline: true, size: FILE_INLINE_MAX_BYTES });
  await run.stop(alice!);

  await run.start(bob!, viaMailbox);
  const line = await waitForComplete(bob!, 'alice', 'note.bin', { size: FILE_INLINE_MAX_BYTES, sha256: file.sha256 }, 90_000);
  const dest = join(await run.folder('file-mail'), 'note-copy.bin');
  const saved = await sotto(bob!.home, ['save', line.id, dest]);
  assert.equal(saved.code, 0, saved.stderr);
  assert.equal(await sha256Of(dest), file.sha256);
});
