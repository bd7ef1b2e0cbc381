/**
 * The "two people exchange a 1 GiB file from the CLI" (docs/FILES.md),
 * run by hand with `npm run test:large` (not in `npm test`: it writes about
 * 4 GiB to the temporary folder and takes a minute or more): alice's and
 * bob's `sotto start` on loopback, `sotto send bob --file` of 1 GiB of
 * random bytes, bob's history shows it complete with its SHA-256, `sotto
 * save` writes it byte for byte. Prints how long the send and the fetch
 * took (a figure, not an assertion).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { sotto } from '../helpers/cli.ts';
import { FileTestRun, sha256Of, waitForComplete } from '../helpers/file-homes.ts';

const run = new FileTestRun();
after(() => run.close());

const GIB = 1024 * 1024 * 1024;

test('alice sends bob a 1 GiB file from the CLI; he saves it byte for byte', { timeout: 1_800_000 }, async (t) => {
  const [alice, bob] = await run.contacts(['alice', 'bob']);
  const file = await run.randomFile('one-gib.bin', GIB);

  const started = performance.now();
  const sent = await sotto(alice!.home, ['send', 'bob', '--file', file.path]);
  assert.equal(sent.code, 0, sent.stderr);
  const sealed = performance.now();
  const line = await waitForComplete(bob!, 'alice', 'one-gib.bin', { size: GIB, sha256: file.sha256 }, 1_500_000);
  const complete = performance.now();

  const dest = join(await run.folder('file-1g'), 'copy.bin');
  const saved = await sotto(bob!.home, ['save', line.id, dest]);
  assert.equal(saved.code, 0, saved.stderr);
  const savedAt = performance.now();
  assert.equal(await sha256Of(dest), file.sha256);
  const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
  t.diagnostic(`1 GiB: send --file (sealed, message sent) ${s(sealed - started)}; fetched and checked ${s(complete - sealed)} (${(GIB / 2 ** 20 / ((complete - sealed) / 1000)).toFixed(0)} MiB/s, history polled every ~0.1 s + one command); saved ${s(savedAt - complete)}; send to complete ${s(complete - started)}`);
});
