/**
 * The end of a `sotto` process (src/app/cli/exit.ts): once its command is
 * done, a process that something still holds (here a ref'd interval, in
 * real life node-datachannel's native callbacks) is ended with the
 * command's exit status; one that nothing holds ends by itself, the grace
 * timer not holding it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const EXIT_MODULE = fileURLToPath(new URL('../../src/app/cli/exit.ts', import.meta.url));
/** Longer than any test may take: a grace timer that held the process would make the test time out. */
const NEVER_MS = 600_000;
/** A grace that ends quickly. */
const SHORT_GRACE_MS = 50;

/** Runs `body` in a fresh Node process with exitWhenDone imported; resolves to its exit code and stderr. */
function runChild(body: string): Promise<{ code: number | null; stderr: string }> {
  const script = `import { exitWhenDone } from ${JSON.stringify(EXIT_MODULE)};\n${body}`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env: { ...process.env, DEBUG: 'sotto:app:exit' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

test('a process still held after its command is ended with the command\'s exit status, and says so in the log', { timeout: 60_000 }, async () => {
  const { code, stderr } = await runChild(`setInterval(() => {}, 1000); process.exitCode = 3; exitWhenDone(${SHORT_GRACE_MS});`);
  assert.equal(code, 3);
  assert.match(stderr, /sotto:app:exit still running 50 ms after the command ended/);
});

test('a process that nothing holds ends by itself: the grace timer does not keep it', { timeout: 60_000 }, async () => {
  const { code, stderr } = await runChild(`process.exitCode = 4; exitWhenDone(${NEVER_MS});`);
  assert.equal(code, 4);
  assert.doesNotMatch(stderr, /still running/);
});
