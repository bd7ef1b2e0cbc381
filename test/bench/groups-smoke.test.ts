/**
 * Smoke run of `npm run bench -- groups`: in its quick mode the benchmark
 * builds its groups, runs every operation with both ciphersuites, measures
 * ts-mls's anchor with both providers, and prints the JSON it promises with
 * verdicts that follow the targets. It asserts no timing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

test('bench groups --quick --json prints a row per suite, the anchor and the verdicts', { timeout: 120_000 }, () => {
  const out = execFileSync(process.execPath, ['--import', 'tsx', 'bench/main.ts', 'groups', '--quick', '--json'], { cwd: ROOT, encoding: 'utf8' });
  const lines = out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const rows = lines.filter((l) => l.suite !== undefined);
  assert.deepEqual(rows.map((r) => r.suite), ['X-Wing', 'X25519']);
  for (const row of rows) {
    assert.equal(row.bench, 'groups');
    for (const key of ['createMs', 'updateMs', 'processP95Ms', 'addMs', 'joinMs', 'removeMs', 'encryptMs', 'decryptMs', 'removeBytes', 'welcomeBytes', 'storedStateBytes']) {
      assert.ok(typeof row[key] === 'number' && (row[key] as number) > 0, `${String(row.suite)} ${key} measured`);
    }
  }
  const xwing = rows[0]!;
  const x25519 = rows[1]!;
  assert.ok((xwing.updateBytes as number) > (x25519.updateBytes as number), 'X-Wing path ciphertexts are larger than X25519 ones');
  const anchor = lines.find((l) => l.case === 'anchor') as { published: { commitMs: number }; tsmls: { commitMs: number }; sotto: { commitMs: number } };
  assert.equal(anchor.published.commitMs, 97);
  assert.ok(anchor.tsmls.commitMs > 0 && anchor.sotto.commitMs > 0);
  const targets = lines.find((l) => l.case === 'targets') as { processP95Ms: number; processMet: boolean; sendMs: number; sendMet: boolean; removalBytes: number; removalMet: boolean };
  assert.equal(targets.processMet, targets.processP95Ms <= 100);
  assert.equal(targets.sendMet, targets.sendMs <= 1);
  assert.equal(targets.removalMet, targets.removalBytes <= 64 * 1024);
});
