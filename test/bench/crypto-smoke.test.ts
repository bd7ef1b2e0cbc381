/**
 * Smoke run of `npm run bench -- crypto`: the benchmark runs end to end in its
 * quick mode, really compares Sotto with libsignal-client (both sides
 * encrypt and decrypt, checked inside the benchmark), and its JSON output has
 * the promised shape. It asserts no timing: speed is the benchmark's job;
 * nor which side's messages are smaller: that is the overhead line's verdict.
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

/** The overhead line's own fields (bytes per message; no speedup). */
interface OverheadLine extends Line {
  ratio: number;
  sottoSteady: number;
  libsignalSteady: number;
  sottoMin: number;
  sottoMax: number;
  libsignalMin: number;
  libsignalMax: number;
  messages: number;
  sottoDecrypted: number;
  libsignalDecrypted: number;
}

/** The overhead script's length (bench/overhead.ts), which --quick runs whole. */
const OVERHEAD_MESSAGES = 2000;

/** Checks the overhead line: positive sizes that fit together, every message decrypted by both, a verdict that follows the figures. */
function checkOverhead(line: OverheadLine): void {
  assert.equal(line.unit, 'bytes/msg');
  assert.equal(line.messages, OVERHEAD_MESSAGES);
  assert.equal(line.sottoDecrypted, line.messages, 'Sotto decrypted every message');
  assert.equal(line.libsignalDecrypted, line.messages, 'libsignal decrypted every message');
  for (const side of ['sotto', 'libsignal'] as const) {
    const [average, steady, min, max] = [line[side], line[`${side}Steady`], line[`${side}Min`], line[`${side}Max`]];
    assert.ok(min > 0, `${side}: positive sizes`);
    assert.ok(min <= steady && steady <= max, `${side}: steady ${steady} within [${min}, ${max}]`);
    assert.ok(min <= average && average <= max, `${side}: average ${average} within [${min}, ${max}]`);
  }
  assert.ok(Math.abs(line.ratio - line.sotto / line.libsignal) <= 10 ** -SPEEDUP_DECIMALS, `overhead: ratio ${line.ratio} = sotto / libsignal`);
  // At a ratio of exactly the target after rounding, either verdict can be right.
  if (line.ratio !== line.target) assert.equal(line.met, line.ratio < line.target!, 'overhead: verdict follows the target');
}

test('bench crypto --quick --json prints one comparison per case and the overhead line', { timeout: 120_000 }, () => {
  const out = execFileSync(process.execPath, ['--import', 'tsx', 'bench/main.ts', 'crypto', '--quick', '--json'], { cwd: ROOT, encoding: 'utf8' });
  const lines = out.trim().split('\n').map((l) => JSON.parse(l) as Line);
  assert.deepEqual(lines.filter((l) => CASES.includes(l.case)).map((l) => l.case), CASES);
  const overhead = lines.filter((l) => l.case === 'overhead');
  assert.equal(overhead.length, 1, 'one overhead line');
  checkOverhead(overhead[0] as OverheadLine);
  for (const line of lines.filter((l) => l.case !== 'overhead')) {
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
