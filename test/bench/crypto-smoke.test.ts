/**
 * Smoke run of `npm run bench -- crypto`: the benchmark runs end to end in its
 * quick mode, really compares Sotto with libsignal-client (both sides
 * encrypt and decrypt, checked inside the benchmark), and its JSON output has
 * the promised shape. It asserts no timing: speed is the benchmark's job.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CASES = ['burst', 'pingpong', 'setup'];
const SPEEDUP_DECIMALS = 2;

interface Line {
  bench: string;
  case: string;
  unit: string;
  sotto: number;
  libsignal: number;
  speedup: number;
  target?: number;
  met?: boolean;
}

test('bench crypto --quick --json prints one comparison per case', { timeout: 120_000 }, () => {
  const out = execFileSync(process.execPath, ['--import', 'tsx', 'bench/main.ts', 'crypto', '--quick', '--json'], { cwd: ROOT, encoding: 'utf8' });
  const lines = out.trim().split('\n').map((l) => JSON.parse(l) as Line);
  assert.deepEqual(lines.filter((l) => CASES.includes(l.case)).map((l) => l.case), CASES);
  for (const line of lines) {
    assert.equal(line.bench, 'crypto');
    assert.ok(line.sotto > 0 && line.libsignal > 0, `${line.case}: both sides measured`);
    const expected = line.unit === 'ms' ? line.libsignal / line.sotto : line.sotto / line.libsignal;
    assert.ok(Math.abs(line.speedup - expected) <= 10 ** -SPEEDUP_DECIMALS, `${line.case}: speedup ${line.speedup} = ${expected}`);
    if (CASES.includes(line.case)) {
      assert.equal(line.unit, line.case === 'setup' ? 'ms' : 'msg/s');
      assert.equal(line.met, line.speedup >= line.target!, `${line.case}: verdict follows the target`);
    }
  }
});

test('an unknown benchmark name lists the benchmarks and fails', () => {
  assert.throws(
    () => execFileSync(process.execPath, ['--import', 'tsx', 'bench/main.ts', 'nope'], { cwd: ROOT, encoding: 'utf8', stdio: 'pipe' }),
    (err: { status: number; stderr: string }) => err.status === 1 && err.stderr.includes('crypto'),
  );
});
