/**
 * The `sotto` command runs on Node 22 whatever Node starts it: bin/sotto.js
 * re-executes itself under the Node 22 that npm installed when the starting
 * Node is older (the machines here ship Node 20).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SYSTEM_NODE = '/usr/bin/node';
const MIN_NODE_MAJOR = 22;

function major(version: string): number {
  return Number(version.replace(/^v/, '').split('.')[0]);
}

function selftest(node: string): { name: string; ok: boolean; detail: string }[] {
  const out = execFileSync(node, ['bin/sotto.js', 'selftest', '--json'], { cwd: ROOT, encoding: 'utf8' });
  return out.trim().split('\n').map((line) => JSON.parse(line) as { name: string; ok: boolean; detail: string });
}

test('the test suite itself runs on Node 22 or newer', () => {
  assert.ok(major(process.version) >= MIN_NODE_MAJOR, process.version);
});

test('sotto selftest passes and reports a Node 22+ runtime', () => {
  const steps = selftest(process.execPath);
  assert.ok(steps.length >= 4);
  assert.ok(steps.every((s) => s.ok), JSON.stringify(steps));
  assert.equal(major(steps[0]!.detail.replace('Node ', '')) >= MIN_NODE_MAJOR, true);
});

test('started by an older system Node, sotto re-runs itself on the bundled Node 22', (t) => {
  if (!existsSync(SYSTEM_NODE)) return t.skip('no system Node at /usr/bin/node');
  const systemVersion = execFileSync(SYSTEM_NODE, ['--version'], { encoding: 'utf8' }).trim();
  if (major(systemVersion) >= MIN_NODE_MAJOR) return t.skip(`system Node is already ${systemVersion}`);
  const steps = selftest(SYSTEM_NODE);
  const runtime = steps.find((s) => s.name === 'runtime')!;
  assert.ok(major(runtime.detail.replace('Node ', '')) >= MIN_NODE_MAJOR, `ran on ${runtime.detail}, started by ${systemVersion}`);
  assert.ok(steps.every((s) => s.ok));
  const version = execFileSync(SYSTEM_NODE, ['bin/sotto.js', '--version'], { cwd: ROOT, encoding: 'utf8' }).trim();
  assert.match(version, /^\d+\.\d+\.\d+$/);
});
