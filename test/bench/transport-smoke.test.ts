/**
 * Smoke run of `npm run bench -- transport`: the benchmark runs end to end in
 * its quick mode (two processes on loopback, a real `sotto start`; the
 * benchmark itself checks that every message was delivered and stored
 * exactly once) and its JSON output has the promised shape. It asserts no
 * timing: speed is the benchmark's job.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** /proc is only read on Linux; elsewhere the rss line is left out. */
const CASES = ['latency-p50', 'latency-p99', 'burst', ...(process.platform === 'linux' ? ['rss'] : []), 'start'];
const UNITS: Record<string, string> = { 'latency-p50': 'ms', 'latency-p99': 'ms', burst: 'msg/s', rss: 'MB', start: 'ms' };
const WITH_BASELINE = new Set(['latency-p50', 'latency-p99', 'burst']);
const RATIO_DECIMALS = 2;

interface Line {
  bench: string;
  case: string;
  unit: string;
  sotto: number;
  baseline?: number;
  ratio?: number;
  target?: number;
  rule?: string;
  met?: boolean;
  stretch?: number;
  stretchMet?: boolean;
  entry?: string;
}

test('bench transport --quick --json prints one line per case', { timeout: 180_000 }, () => {
  const out = execFileSync(process.execPath, ['--import', 'tsx', 'bench/main.ts', 'transport', '--quick', '--json'], { cwd: ROOT, encoding: 'utf8' });
  const lines = out.trim().split('\n').map((l) => JSON.parse(l) as Line);
  assert.deepEqual(lines.map((l) => l.case), CASES);
  for (const line of lines) {
    assert.equal(line.bench, 'transport');
    assert.equal(line.unit, UNITS[line.case], `${line.case}: unit`);
    assert.ok(Number.isFinite(line.sotto) && line.sotto > 0, `${line.case}: Sotto measured`);
    if (WITH_BASELINE.has(line.case)) {
      assert.ok(Number.isFinite(line.baseline) && line.baseline! > 0, `${line.case}: baseline measured`);
      assert.ok(Math.abs(line.ratio! - line.sotto / line.baseline!) <= 0.01 * line.ratio! + 10 ** -RATIO_DECIMALS, `${line.case}: ratio ${line.ratio} = sotto / baseline`);
    } else {
      assert.equal(line.baseline, undefined, `${line.case}: no baseline`);
    }
    if (line.case === 'latency-p99') {
      assert.equal(line.target, undefined, 'latency-p99 is for information');
      continue;
    }
    assert.equal(typeof line.target, 'number', `${line.case}: target`);
    const expected = line.rule === 'ratio <= target' ? line.ratio! <= line.target! : line.rule === 'sotto >= target' ? line.sotto >= line.target! : line.sotto <= line.target!;
    assert.equal(line.met, expected, `${line.case}: verdict follows the target (${line.rule})`);
  }
  for (const line of lines.filter((l) => l.case === 'rss' || l.case === 'start')) assert.ok(line.entry === 'bundle' || line.entry === 'tsx', `${line.case}: entry`);
  const burst = lines.find((l) => l.case === 'burst')!;
  assert.equal(burst.stretchMet, burst.sotto >= burst.stretch!, 'burst: stretch verdict');
});
