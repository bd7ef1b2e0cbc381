/**
 * `npm test` runs the suite in two parts (package.json): most folders two
 * files at a time, and the network-namespace and browser folders (nat/,
 * web/) one file at a time, since two of them side by side on two cores made
 * WebRTC between browsers miss its waits. Every folder that holds a test
 * file is in exactly one part, so none is left out — except large/, run by
 * hand with `npm run test:large` (a 1 GiB exchange) and by nothing else.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');

function foldersOf(script: string): string[] {
  const match = /"test\/\{([^}]+)\}\/\*\*\/\*\.test\.ts"/.exec(script.replaceAll('\\"', '"'));
  assert.ok(match, `a test/{...}/**/*.test.ts glob in ${script}`);
  return match[1]!.split(',');
}

function holdsTests(dir: string): boolean {
  return readdirSync(dir, { withFileTypes: true }).some((e) => (e.isDirectory() ? holdsTests(join(dir, e.name)) : e.name.endsWith('.test.ts')));
}

test('every test folder runs in exactly one part of npm test', () => {
  const scripts = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  assert.equal(scripts['test:unit'], 'npm run test:parallel && npm run test:alone');
  const parts = [foldersOf(scripts['test:parallel']!), foldersOf(scripts['test:alone']!)];
  const folders = readdirSync(join(root, 'test'), { withFileTypes: true })
    .filter((e) => e.isDirectory() && e.name !== 'large' && holdsTests(join(root, 'test', e.name)))
    .map((e) => e.name)
    .sort();
  assert.deepEqual([...parts[0]!, ...parts[1]!].sort(), folders);
  assert.ok(parts[1]!.includes('nat') && parts[1]!.includes('web'));
  assert.match(scripts['test:large']!, /"test\/large\/\*\*\/\*\.test\.ts"/);
  assert.ok(!readdirSync(join(root, 'test')).some((name) => name.endsWith('.test.ts')), 'no test file directly under test/');
});
