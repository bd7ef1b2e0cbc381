/**
 * README's script block ("The same without the chat, for scripts") runs in
 * a shell without a terminal, as written, with only its placeholders filled
 * in: the two homes are temporary folders, the port a free one, and
 * "12D3KooW...A" alice's peer id (which `init` prints). Every command must
 * succeed (set -e), none may ask anything, and the outputs its comments
 * show come out.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort, sotto, tempHome } from '../helpers/cli.ts';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** How long the whole script may take on a busy machine (two detached nodes, a dozen commands). */
const SCRIPT_TIMEOUT_MS = 120_000;
const homes: string[] = [];
const cleanup: (() => Promise<void>)[] = [];
after(async () => {
  // Whatever happened, no node of the script keeps running.
  for (const home of homes) await sotto(home, ['stop']);
  for (const step of cleanup) await step();
});

test("README's script block runs as written in a shell without a terminal", { timeout: SCRIPT_TIMEOUT_MS + 30_000 }, async () => {
  const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
  const block = [...readme.matchAll(/^```sh\n([^]*?)^```/gm)].map((m) => m[1]!).find((b) => b.includes('export SOTTO_PASSPHRASE'));
  assert.ok(block, 'README has a script block');
  const alice = await tempHome('readme-alice', cleanup);
  const bob = await tempHome('readme-bob', cleanup);
  homes.push(alice, bob);
  const port = String(await freePort());
  assert.match(block, /\/tmp\/alice/);
  assert.match(block, /tcp\/4001/);
  assert.match(block, /12D3KooW\.\.\.A/);

  // alice's init runs first and prints her peer id; the placeholder of the bootstrap line is filled with it.
  const lines = block.replaceAll('/tmp/alice', alice).replaceAll('/tmp/bob', bob).replaceAll('tcp/4001', `tcp/${port}`).split('\n');
  const initAt = lines.findIndex((line) => line.includes(alice) && / init /.test(line));
  const script = [
    'set -euo pipefail',
    ...lines.slice(0, initAt),
    `ALICE_ID=$(${lines[initAt]!.replace(/\s+#.*$/, '')})`,
    ...lines.slice(initAt + 1).map((line) => line.replace('12D3KooW...A', '$ALICE_ID')),
  ].join('\n');
  const { stdout } = await run('bash', ['-c', script], { cwd: ROOT, timeout: SCRIPT_TIMEOUT_MS, env: { ...process.env, SOTTO_PASSPHRASE: '' } });
  assert.match(stdout, /^bob is verified$/m);
  assert.match(stdout, /^delivered$/m);
  assert.match(stdout, /^\d{4}-\d\d-\d\dT[\d:.]+Z < hello bob {2}\[received\]$/m);
  assert.match(stdout, /^stopped$/m);
});
