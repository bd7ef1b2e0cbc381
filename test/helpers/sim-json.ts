/**
 * `npm run sim -- … --json` for the simulation's smoke tests: runs it,
 * parses its lines, checks that each names its scenario and that every
 * verdict follows its target, and finds a metric's one line.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** One metric line of the report. */
export interface SimLine {
  readonly sim: string;
  readonly metric: string;
  readonly unit: string;
  readonly value: number | null;
  readonly target?: number;
  readonly rule?: string;
  readonly met?: boolean;
  readonly detail?: Record<string, unknown>;
}

/** Runs sim/main.ts with `args` (and --json); every line must be of scenario `sim`. Returns the lines and a finder of a metric's one line. */
export function runSim(sim: 'churn' | 'groups', args: readonly string[]): { lines: SimLine[]; one(metric: string): SimLine } {
  const out = execFileSync(process.execPath, ['--import', 'tsx', 'sim/main.ts', ...args, '--json'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  const lines = out.trim().split('\n').map((l) => JSON.parse(l) as SimLine);
  for (const line of lines) {
    assert.equal(line.sim, sim);
    assert.equal(typeof line.unit, 'string', `${line.metric}: unit`);
    if (line.target !== undefined && line.value !== null) {
      assert.equal(line.met, line.rule === 'value >= target' ? line.value >= line.target : line.value <= line.target, `${line.metric}: verdict follows the target`);
    }
  }
  return {
    lines,
    one: (metric) => {
      const found = lines.filter((l) => l.metric === metric);
      assert.equal(found.length, 1, `one ${metric} line`);
      return found[0]!;
    },
  };
}
