/**
 * Timing helpers for the benchmarks: run an operation for a while, repeat in
 * rounds, and take the median. Contenders are measured in interleaved rounds
 * whose order rotates (A B, B A, A B, …) so that drift in the machine
 * (frequency, other load) affects every side alike. Each round starts on a freshly collected heap
 * and ends with a full collection inside its timing, so every side pays for
 * the garbage it made and none for another side's.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** One unit of work: one message (encrypt + decrypt) or one session setup. */
export type Operation = () => Promise<void>;

/** How long to warm up and measure each contender. */
export interface TimingPlan {
  /** Untimed run per contender before the first round (JIT, caches). */
  readonly warmupMs: number;
  /** Minimum length of one timed round. */
  readonly roundMs: number;
  /** Timed rounds per contender; odd, so the median is one round. */
  readonly rounds: number;
}

/** Default plan: 5 rounds of 300 ms, i.e. 1.5 s measured per case and contender. */
export const DEFAULT_PLAN: TimingPlan = { warmupMs: 300, roundMs: 300, rounds: 5 };

/** Short plan for smoke tests (`--quick`): numbers are noisy but the whole path runs. */
export const QUICK_PLAN: TimingPlan = { warmupMs: 100, roundMs: 60, rounds: 3 };

const MS_PER_SECOND = 1000;

/** Result for one contender: operations per second of each round and their median. */
export interface Measurement {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly rounds: readonly number[];
}

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of an empty list');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Runs `op` back to back for at least `ms` milliseconds, then `settle` (inside
 * the timing); returns operations per second.
 */
export async function opsPerSecond(op: Operation, ms: number, settle: () => void = () => {}): Promise<number> {
  const start = performance.now();
  let count = 0;
  while (performance.now() - start < ms) {
    await op();
    count++;
  }
  settle();
  return (count * MS_PER_SECOND) / (performance.now() - start);
}

/**
 * A full garbage collection. V8 only exposes `gc` behind a flag, which can
 * still be set at run time (it takes effect in new contexts); if that ever
 * fails, this is a no-op and rounds simply start with whatever heap they get.
 */
const collectGarbage: () => void = (() => {
  try {
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('gc');
    if (typeof gc === 'function') return () => void gc();
  } catch {
    // fall through
  }
  return () => {};
})();

/**
 * Warms up every contender, then measures them in `plan.rounds` interleaved
 * rounds (the order rotates each round). Returns one {@link Measurement} per
 * contender, in the order given.
 */
export async function measureInterleaved(ops: readonly Operation[], plan: TimingPlan): Promise<Measurement[]> {
  for (const op of ops) await opsPerSecond(op, plan.warmupMs);
  const results: number[][] = ops.map(() => []);
  for (let round = 0; round < plan.rounds; round++) {
    for (let k = 0; k < ops.length; k++) {
      const index = (round + k) % ops.length;
      collectGarbage();
      results[index]!.push(await opsPerSecond(ops[index]!, plan.roundMs, collectGarbage));
    }
  }
  return results.map((rounds) => ({ median: median(rounds), min: Math.min(...rounds), max: Math.max(...rounds), rounds }));
}

/** Converts operations per second to milliseconds per operation. */
export function msPerOp(opsPerSec: number): number {
  return MS_PER_SECOND / opsPerSec;
}

/** Rounds to a number of decimal places. */
export function roundTo(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}

/** Columns of {@link textTable} left-aligned (labels); the rest are right-aligned (numbers). */
const LEFT_ALIGNED_COLUMNS = 2;

/** A plain-text table with a header rule; the first columns are left-aligned, the others right-aligned. */
export function textTable(header: readonly string[], lines: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const render = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i < LEFT_ALIGNED_COLUMNS ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [render(header), render(widths.map((w) => '-'.repeat(w))), ...lines.map(render)].join('\n');
}

/**
 * The `p`-quantile (0 < p ≤ 1) of a non-empty list by the nearest-rank
 * method: the smallest sample with at least p of all samples at or below it.
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new RangeError('percentile of an empty list');
  if (!(p > 0 && p <= 1)) throw new RangeError('percentile: p must be in (0, 1]');
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.ceil(p * sorted.length) - 1]!;
}
